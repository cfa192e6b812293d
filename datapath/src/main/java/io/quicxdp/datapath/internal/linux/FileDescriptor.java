package io.quicxdp.datapath.internal.linux;

import java.util.concurrent.atomic.AtomicBoolean;

/**
 * An owned file descriptor, closed once.
 *
 * <p>After {@link #close()} the number may already belong to another object of this process, so
 * {@link #intValue()} refuses to hand it out instead of letting a stale number reach a system call.
 */
public final class FileDescriptor implements AutoCloseable {

    private final int fd;

    private final String what;

    private final AtomicBoolean closed = new AtomicBoolean();

    /** Takes ownership of {@code fd}; {@code what} names it in errors, for example {@code BPF map}. */
    public FileDescriptor(int fd, String what) {
        this.fd = fd;
        this.what = what;
    }

    /**
     * The descriptor number.
     *
     * @throws IllegalStateException after {@link #close()}
     */
    public int intValue() {
        if (closed.get()) {
            throw new IllegalStateException("the " + what + " descriptor is closed");
        }
        return fd;
    }

    public boolean isClosed() {
        return closed.get();
    }

    /** Closes the descriptor; later calls do nothing. */
    @Override
    public void close() {
        if (closed.compareAndSet(false, true)) {
            FileDescriptors.closeQuietly(fd);
        }
    }
}
