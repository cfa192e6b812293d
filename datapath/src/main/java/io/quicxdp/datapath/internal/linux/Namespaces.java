package io.quicxdp.datapath.internal.linux;

/**
 * Moves the calling thread into another network namespace.
 *
 * <p>On Linux the network namespace belongs to the thread, and a socket stays in the namespace it was
 * created in, so one dedicated thread can open sockets inside, for example, a test's peer namespace
 * while the rest of the JVM stays where it is.
 */
public final class Namespaces {

    private static final int CLONE_NEWNET = 0x40000000;

    private Namespaces() {
    }

    /**
     * Enters the network namespace at {@code path} (such as {@code /var/run/netns/NAME}) on the calling
     * thread only.
     */
    public static void enterNetworkNamespace(String path) throws NativeIoException {
        int fd = FileDescriptors.open(path, FileDescriptors.O_RDONLY_CLOEXEC);
        try {
            if (LibC.setns(fd, CLONE_NEWNET) < 0) {
                throw new NativeIoException("setns(" + path + ")", LibC.errno());
            }
        } finally {
            FileDescriptors.closeQuietly(fd);
        }
    }
}
