package io.quicxdp.datapath.linux;

import java.nio.ByteBuffer;

/**
 * {@code poll(2)} on one socket and the eventfd that wakes its thread, with the {@code struct pollfd}s
 * allocated once, so that waiting allocates nothing.
 *
 * <p>Owned by the single thread that waits on it.
 */
public final class SocketPoller {

    public static final short POLLIN = 0x1;

    private static final int POLLFD_SIZE = 8;

    private final ByteBuffer pollFds = DirectBuffers.allocate(2 * POLLFD_SIZE);

    private final long address = DirectBuffers.address(pollFds);

    private final EventFd wakeup;

    /** Creates a poller for {@code socketFd} waiting for {@code events}, or for {@code wakeup} to be signalled. */
    public SocketPoller(int socketFd, short events, EventFd wakeup) {
        this.wakeup = wakeup;
        pollFds.putInt(0, socketFd);
        pollFds.putShort(4, events);
        pollFds.putInt(POLLFD_SIZE, wakeup.fd());
        pollFds.putShort(POLLFD_SIZE + 4, POLLIN);
    }

    /**
     * Waits up to {@code timeoutMillis} for the socket's events or a wake-up, which it consumes.
     *
     * @return the socket's events that occurred (0 on timeout or wake-up), or {@code -errno}
     */
    public int await(int timeoutMillis) {
        pollFds.putShort(6, (short) 0);
        pollFds.putShort(POLLFD_SIZE + 6, (short) 0);
        int ready = LibC.poll(address, 2, timeoutMillis);
        if (ready < 0) {
            return -LibC.errno();
        }
        if (pollFds.getShort(POLLFD_SIZE + 6) != 0) {
            wakeup.drain();
        }
        return ready == 0 ? 0 : pollFds.getShort(6) & 0xffff;
    }
}
