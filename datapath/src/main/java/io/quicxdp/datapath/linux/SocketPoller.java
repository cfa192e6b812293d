package io.quicxdp.datapath.linux;

import java.nio.ByteBuffer;

/**
 * {@code poll(2)} on one descriptor with a {@code struct pollfd} allocated once, so that waiting
 * allocates nothing.
 *
 * <p>Owned by the single thread that waits on it.
 */
public final class SocketPoller {

    public static final short POLLIN = 0x1;

    private final ByteBuffer pollFd = DirectBuffers.allocate(8);

    private final long address = DirectBuffers.address(pollFd);

    /** Creates a poller for {@code fd} waiting for {@code events}. */
    public SocketPoller(int fd, short events) {
        pollFd.putInt(0, fd);
        pollFd.putShort(4, events);
    }

    /**
     * Waits up to {@code timeoutMillis} for the events.
     *
     * @return the events that occurred (0 on timeout), or {@code -errno}
     */
    public int await(int timeoutMillis) {
        pollFd.putShort(6, (short) 0);
        int ready = LibC.poll(address, 1, timeoutMillis);
        if (ready < 0) {
            return -LibC.errno();
        }
        return ready == 0 ? 0 : pollFd.getShort(6) & 0xffff;
    }
}
