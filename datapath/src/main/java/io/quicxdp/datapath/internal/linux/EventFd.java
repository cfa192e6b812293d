package io.quicxdp.datapath.internal.linux;

import java.nio.ByteBuffer;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A non-blocking {@code eventfd(2)}: the way another thread wakes a thread that sleeps in
 * {@code poll(2)}. Any thread may {@link #signal()}; the owning thread {@link #drain()}s it after waking.
 * Signalling after {@link #close()} does nothing; callers keep signals from racing with close, because
 * the descriptor number may be reused once closed.
 */
public final class EventFd implements AutoCloseable {

    private static final int EFD_CLOEXEC = 0x80000;
    private static final int EFD_NONBLOCK = 0x800;

    /** The value every signal adds: written by any thread, only ever read by the kernel. */
    private static final ByteBuffer ONE = DirectBuffers.allocate(8).putLong(0, 1);

    private static final long ONE_ADDRESS = DirectBuffers.address(ONE);

    private final int fd;

    private final ByteBuffer counter = DirectBuffers.allocate(8);

    private final long counterAddress = DirectBuffers.address(counter);

    private final AtomicBoolean closed = new AtomicBoolean();

    private EventFd(int fd) {
        this.fd = fd;
    }

    /** Creates an eventfd with its counter at zero. */
    public static EventFd open() throws NativeIoException {
        int fd = LibC.eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
        if (fd < 0) {
            throw new NativeIoException("eventfd", LibC.errno());
        }
        return new EventFd(fd);
    }

    /** The descriptor, readable while a signal is pending. */
    public int fd() {
        return fd;
    }

    /** Makes the descriptor readable, waking a thread that polls it. A full counter is already readable. */
    public void signal() {
        if (!closed.get()) {
            LibC.write(fd, ONE_ADDRESS, 8);
        }
    }

    /** Consumes every pending signal; the owning thread only. */
    public void drain() {
        LibC.read(fd, counterAddress, 8);
    }

    /** Closes the descriptor. Idempotent. */
    @Override
    public void close() {
        if (closed.compareAndSet(false, true)) {
            FileDescriptors.closeQuietly(fd);
        }
    }
}
