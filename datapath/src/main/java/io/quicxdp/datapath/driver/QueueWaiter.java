package io.quicxdp.datapath.driver;

import io.quicxdp.datapath.internal.linux.Errno;
import io.quicxdp.datapath.internal.linux.EventFd;
import io.quicxdp.datapath.internal.linux.NativeIoException;
import io.quicxdp.datapath.internal.linux.SocketPoller;
import java.io.IOException;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Where a driving thread sleeps: in one {@code poll(2)} on its queues' sockets and an eventfd, until a
 * queue receives, another thread calls {@link #wakeup()}, or the time is up. That {@code poll(2)} is also how
 * the kernel is woken for the frames the queues' turns left on their TX rings. Allocation-free.
 *
 * <p>A wake-up that comes while the thread is awake is not lost: the next {@link #await} returns at once. A
 * queue that {@linkplain QueueDriver#isClosed() closed} is no longer waited on.
 */
public final class QueueWaiter implements AutoCloseable {

    /** How long a thread sleeps at most while a queue has work outside {@code POLLIN}: a TX or fill-ring backlog. */
    private static final long BACKLOG_SLEEP_NANOS = TimeUnit.MILLISECONDS.toNanos(1);

    private final EventFd eventFd;

    private final SocketPoller poller;

    private final List<QueueDriver> queues;

    private final boolean[] ignored;

    /** Set while the driving thread is in, or about to enter, poll(2). */
    private volatile boolean sleeping;

    private volatile boolean wakeRequested;

    /**
     * Creates a waiter for {@code queues}, for one driving thread to sleep in.
     *
     * @throws IOException when the eventfd cannot be made
     */
    public QueueWaiter(List<QueueDriver> queues) throws IOException {
        this.queues = List.copyOf(queues);
        this.ignored = new boolean[queues.size()];
        this.eventFd = EventFd.open();
        this.poller = new SocketPoller(queues.stream().mapToInt(QueueDriver::descriptor).toArray(),
                SocketPoller.POLLIN, eventFd);
    }

    /** Makes the driving thread return from {@link #await} now, or skip its next one; any thread. */
    public void wakeup() {
        wakeRequested = true;
        // only the driving thread sets sleeping, and never while it runs this
        if (sleeping) {
            eventFd.signal();
        }
    }

    /**
     * Sleeps up to {@code timeoutNanos} (rounded up to whole milliseconds; 0 does not sleep), unless a
     * wake-up came since the last call; at most a millisecond while a queue {@linkplain QueueDriver#hasBacklog()
     * has a backlog}. First the queues hand it the kernel's wake-up for their TX rings
     * ({@link QueueDriver#handKickToPoll()}): then it calls {@code poll(2)} even when it does not sleep, with a
     * zero timeout, which wakes the kernel for every queue at once. The driving thread only.
     *
     * @throws IOException when poll(2) fails other than by EINTR
     */
    public void await(long timeoutNanos) throws IOException {
        boolean kick = false;
        boolean backlog = false;
        for (int i = 0; i < ignored.length; i++) {
            if (ignored[i]) {
                continue;
            }
            QueueDriver queue = queues.get(i);
            if (queue.isClosed()) {
                // a closed queue's descriptor number may be reused: never wait on it again
                ignored[i] = true;
                poller.ignore(i);
                continue;
            }
            kick |= queue.handKickToPoll();
            backlog |= queue.hasBacklog();
        }
        long timeout = backlog ? Math.min(timeoutNanos, BACKLOG_SLEEP_NANOS) : timeoutNanos;
        if (timeout <= 0 && !kick) {
            wakeRequested = false;
            return;
        }
        sleeping = true;
        try {
            int millis = timeout <= 0 || wakeRequested ? 0
                    : (int) Math.min(Integer.MAX_VALUE, TimeUnit.NANOSECONDS.toMillis(timeout + 999_999));
            if (millis > 0 || kick) {
                int events = poller.await(millis);
                if (events < 0 && events != -Errno.EINTR) {
                    throw new NativeIoException("poll", -events);
                }
            }
        }
        finally {
            sleeping = false;
            wakeRequested = false;
        }
    }

    /** Closes the eventfd; wake-ups after this do nothing. */
    @Override
    public void close() {
        eventFd.close();
    }
}
