package io.quicxdp.datapath.internal.linux;

import java.nio.ByteBuffer;

/**
 * {@code poll(2)} on sockets and the eventfd that wakes their thread, with the {@code struct pollfd}s
 * allocated once, so that waiting allocates nothing.
 *
 * <p>Owned by the single thread that waits on it.
 */
public final class SocketPoller {

    public static final short POLLIN = 0x1;

    private static final int POLLFD_SIZE = 8;

    private final ByteBuffer pollFds;

    private final long address;

    private final int wakeupSlot;

    private final EventFd wakeup;

    /** Creates a poller for {@code socketFd} waiting for {@code events}, or for {@code wakeup} to be signalled. */
    public SocketPoller(int socketFd, short events, EventFd wakeup) {
        this(new int[] {socketFd}, events, wakeup);
    }

    /** Creates a poller for any of {@code socketFds} to have {@code events}, or for {@code wakeup}. */
    public SocketPoller(int[] socketFds, short events, EventFd wakeup) {
        this.wakeup = wakeup;
        this.wakeupSlot = socketFds.length * POLLFD_SIZE;
        this.pollFds = DirectBuffers.allocate((socketFds.length + 1) * POLLFD_SIZE);
        this.address = DirectBuffers.address(pollFds);
        for (int i = 0; i < socketFds.length; i++) {
            pollFds.putInt(i * POLLFD_SIZE, socketFds[i]);
            pollFds.putShort(i * POLLFD_SIZE + 4, events);
        }
        pollFds.putInt(wakeupSlot, wakeup.fd());
        pollFds.putShort(wakeupSlot + 4, POLLIN);
    }

    /** Stops waiting on the {@code index}th socket, whose descriptor is closed or about to be. */
    public void ignore(int index) {
        // poll(2) skips entries with a negative descriptor
        pollFds.putInt(index * POLLFD_SIZE, -1);
    }

    /**
     * Waits up to {@code timeoutMillis} for the sockets' events or a wake-up, which it consumes.
     *
     * @return the first socket's events that occurred (0 on timeout or wake-up), or {@code -errno}
     */
    public int await(int timeoutMillis) {
        for (int slot = 0; slot <= wakeupSlot; slot += POLLFD_SIZE) {
            pollFds.putShort(slot + 6, (short) 0);
        }
        int ready = LibC.poll(address, wakeupSlot / POLLFD_SIZE + 1, timeoutMillis);
        if (ready < 0) {
            return -LibC.errno();
        }
        if (pollFds.getShort(wakeupSlot + 6) != 0) {
            wakeup.drain();
        }
        return ready == 0 ? 0 : pollFds.getShort(6) & 0xffff;
    }
}
