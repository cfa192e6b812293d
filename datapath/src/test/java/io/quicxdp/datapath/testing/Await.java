package io.quicxdp.datapath.testing;

import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/** Waiting, bounded, for what a test's traffic makes happen. */
public final class Await {

    private Await() {
    }

    /**
     * Polls {@code condition} every 10 ms until it holds.
     *
     * @throws AssertionError naming {@code what} when it does not hold within 10 seconds
     */
    public static void until(BooleanSupplier condition, String what) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() - deadline > 0) {
                throw new AssertionError("not within 10 s: " + what);
            }
            Thread.sleep(10);
        }
    }
}
