package io.quicxdp.datapath.internal.linux;

/** Closing and opening raw file descriptors. */
public final class FileDescriptors {

    private static final int O_CLOEXEC = 0x80000;

    /** {@code O_RDONLY | O_CLOEXEC}. */
    public static final int O_RDONLY_CLOEXEC = O_CLOEXEC;

    private FileDescriptors() {
    }

    /**
     * Closes a descriptor. {@code EINTR} still releases the descriptor on Linux, so it is not retried.
     *
     * @throws NativeIoException when the kernel reports anything but success or {@code EINTR}
     */
    public static void close(int fd) throws NativeIoException {
        if (LibC.close(fd) < 0) {
            int errno = LibC.errno();
            if (errno != Errno.EINTR) {
                throw new NativeIoException("close", errno);
            }
        }
    }

    /** Closes a descriptor while already handling another failure; a failure to close is ignored. */
    public static void closeQuietly(int fd) {
        if (fd >= 0) {
            LibC.close(fd);
        }
    }

    /**
     * Points descriptor {@code fd} at a fresh, unbound UDP socket, dropping this process's reference to
     * whatever it referred to, while the number stays valid: a thread that still uses the number after
     * this gets harmless errors instead of reaching an unrelated object that reused it.
     */
    public static void replaceWithPlaceholder(int fd) throws NativeIoException {
        int placeholder = Sockets.open(Sockets.AF_INET, Sockets.SOCK_DGRAM, 0, "placeholder");
        try {
            if (LibC.dup3(placeholder, fd, O_CLOEXEC) < 0) {
                throw new NativeIoException("dup3", LibC.errno());
            }
        }
        finally {
            closeQuietly(placeholder);
        }
    }

    /** Opens a path with the given flags. */
    public static int open(String path, int flags) throws NativeIoException {
        int fd = LibC.open(path, flags);
        if (fd < 0) {
            throw new NativeIoException("open(" + path + ")", LibC.errno());
        }
        return fd;
    }
}
