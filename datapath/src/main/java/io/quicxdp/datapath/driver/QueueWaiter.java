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
 * queue receives, another thread calls {@link #wakeup()}, or the time is up. Allocation-free.
 *
 * <p>A wake-up that comes while the thread is awake is not lost: the next {@link #await} returns at once. A
 * queue that {@linkplain QueueDriver#isClosed() closed} is no longer waited on.
 */
public final class QueueWaiter implements AutoCloseable {

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
     * wake-up came since the last call. The driving thread only.
     *
     * @throws IOException when poll(2) fails other than by EINTR
     */
    public void await(long timeoutNanos) throws IOException {
        if (timeoutNanos <= 0) {
            wakeRequested = false;
            return;
        }
        for (int i = 0; i < ignored.length; i++) {
            if (!ignored[i] && queues.get(i).isClosed()) {
                // a closed queue's descriptor number may be reused: never wait on it again
                ignored[i] = true;
                poller.ignore(i);
            }
        }
        sleeping = true;
        try {
            if (!wakeRequested) {
                long millis = Math.min(Integer.MAX_VALUE, TimeUnit.NANOSECONDS.toMillis(timeoutNanos + 999_999));
                int events = poller.await((int) millis);
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
