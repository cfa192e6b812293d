package io.quicxdp.bench;

import java.time.Duration;

/**
 * Ends a benchmark process that outlived its driver: a receiver, server or load generator left behind by a
 * crashed run exits by itself instead of holding its queue, port or core.
 */
public final class LifetimeGuard {

    private LifetimeGuard() {
    }

    /**
     * Starts a daemon thread that exits the JVM with status 3 once {@code lifetime} has passed; interrupt it
     * when the process ends normally.
     */
    public static Thread start(String process, Duration lifetime) {
        Thread guard = new Thread(() -> {
            try {
                Thread.sleep(lifetime.toMillis());
                System.err.println(process + ": lifetime of " + lifetime + " reached, exiting");
                System.exit(3);
            }
            catch (InterruptedException ex) {
                // exiting normally
            }
        }, "lifetime-guard");
        guard.setDaemon(true);
        guard.start();
        return guard;
    }
}
