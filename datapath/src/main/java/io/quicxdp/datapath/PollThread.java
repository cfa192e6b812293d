package io.quicxdp.datapath;

import io.quicxdp.datapath.config.DatapathSettings;
import io.quicxdp.datapath.config.PollMode;
import io.quicxdp.datapath.driver.QueueDriver;
import io.quicxdp.datapath.driver.QueueWaiter;
import java.io.IOException;
import java.lang.System.Logger.Level;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * The datapath's own thread for one queue, when it has poll threads: it drives the queue through the same seam
 * and sleeps in the same {@link QueueWaiter} as a transport's event loop. Between turns that receive nothing
 * it sleeps in {@code poll(2)} until the socket receives, the queue wakes it, or the poll timeout is up; at
 * most a millisecond while frames wait for the kernel; never in busy mode, where it spins.
 */
final class PollThread implements Runnable {

    private static final System.Logger LOG = System.getLogger(PollThread.class.getName());

    private final QueueDriver queue;

    private final QueueWaiter waiter;

    private final int batch;

    private final boolean busy;

    private final long timeoutNanos;

    private final ThreadFactory factory;

    private volatile Thread thread;

    /** @throws IOException when the wake-up descriptor cannot be made */
    PollThread(QueueDriver queue, DatapathSettings settings) throws IOException {
        this.queue = queue;
        this.waiter = new QueueWaiter(List.of(queue));
        this.batch = settings.rxBatchSize();
        this.busy = settings.pollMode() == PollMode.BUSY;
        this.timeoutNanos = settings.pollTimeout().toNanos();
        this.factory = settings.pollThreadFactory();
    }

    /**
     * Starts the thread, made by the settings' thread factory if there is one.
     *
     * @throws RuntimeException or {@link Error} when the thread cannot be made or started
     */
    void start() {
        Thread polling;
        if (factory == null) {
            polling = new Thread(this, "quic-xdp-" + queue.interfaceName() + "-q" + queue.queueId());
            polling.setDaemon(true);
        }
        else {
            polling = factory.newThread(this);
            if (polling == null) {
                throw new IllegalStateException("the poll thread factory made no thread");
            }
        }
        polling.start();
        thread = polling;
    }

    @Override
    public void run() {
        try {
            queue.attach(waiter::wakeup);
        }
        catch (IllegalStateException closedBeforeStart) {
            waiter.close();
            return;
        }
        try {
            while (true) {
                int received = queue.poll(batch);
                if (queue.isClosed()) {
                    break;
                }
                if (received == 0) {
                    idle();
                }
            }
        }
        finally {
            queue.detach();
            waiter.close();
        }
    }

    private void idle() {
        // the wait is also where the kernel is woken for what the turns left on the TX ring: a busy thread
        // waits for nothing, but makes that wake-up all the same
        try {
            waiter.await(busy ? 0 : timeoutNanos);
        }
        catch (IOException ex) {
            LOG.log(Level.ERROR, "poll on " + queue + " failed: " + ex.getMessage());
            LockSupport.parkNanos(timeoutNanos);
        }
        if (busy) {
            Thread.onSpinWait();
        }
    }

    /**
     * Waits for the thread to stop, until {@code deadline} ({@link System#nanoTime()}); it was told to. A thread
     * that never started has only its wake-up descriptor to free, which this does.
     */
    void awaitStop(long deadline, Duration timeout) {
        Thread polling = thread;
        if (polling == null) {
            waiter.close();
            return;
        }
        if (polling == Thread.currentThread()) {
            return;
        }
        try {
            polling.join(Math.max(1, TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime())));
        }
        catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
        }
        if (polling.isAlive()) {
            LOG.log(Level.WARNING, polling.getName() + " did not stop within " + timeout + " (a handler may be "
                    + "blocked); its socket leaves the map now, its memory is freed when the handler returns");
        }
    }
}
