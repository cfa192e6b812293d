package io.quicxdp.datapath.internal.linux;

import java.io.IOException;

/**
 * A system call that failed, with the operation and the {@code errno} it returned.
 *
 * <p>Layers above turn it into an error that names what the user configured and how to fix it; this
 * one only says which call failed and why the kernel refused it.
 */
public class NativeIoException extends IOException {

    private static final long serialVersionUID = 1L;

    private final String operation;

    private final int errno;

    public NativeIoException(String operation, int errno) {
        super(operation + " failed: " + Errno.name(errno) + " (" + Errno.describe(errno) + ")");
        this.operation = operation;
        this.errno = errno;
    }

    /** The call that failed, as written in the message, for example {@code bind(AF_XDP)}. */
    public String operation() {
        return operation;
    }

    /** The positive errno value the kernel returned. */
    public int errno() {
        return errno;
    }

    /** The symbolic errno name, for example {@code EBUSY}. */
    public String errnoName() {
        return Errno.name(errno);
    }
}
