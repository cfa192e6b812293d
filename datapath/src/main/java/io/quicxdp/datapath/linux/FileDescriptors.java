package io.quicxdp.datapath.linux;

/** Closing and opening raw file descriptors. */
public final class FileDescriptors {

    /** {@code O_RDONLY | O_CLOEXEC}. */
    public static final int O_RDONLY_CLOEXEC = 0x80000;

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

    /** Opens a path with the given flags. */
    public static int open(String path, int flags) throws NativeIoException {
        int fd = LibC.open(path, flags);
        if (fd < 0) {
            throw new NativeIoException("open(" + path + ")", LibC.errno());
        }
        return fd;
    }
}
