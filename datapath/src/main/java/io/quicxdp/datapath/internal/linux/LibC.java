package io.quicxdp.datapath.internal.linux;

import com.sun.jna.Native;
import com.sun.jna.NativeLibrary;
import com.sun.jna.Platform;

/**
 * The libc functions the datapath calls, bound once through JNA direct mapping.
 *
 * <p>Direct mapping keeps primitive arguments unboxed, so a call allocates nothing. Pointers travel as
 * {@code long} addresses; every function returns what libc returns ({@code -1} on failure) and the
 * caller reads {@code errno} through {@link #errno()} right after. No logic lives here.
 */
final class LibC {

    static {
        if (!Platform.isLinux() || !Platform.is64Bit()) {
            throw new UnsupportedOperationException("quic-xdp needs 64-bit Linux, this is "
                    + System.getProperty("os.name") + " " + System.getProperty("os.arch"));
        }
        Native.register(LibC.class, NativeLibrary.getInstance(Platform.C_LIBRARY_NAME));
    }

    private LibC() {
    }

    static int errno() {
        return Native.getLastError();
    }

    static native int close(int fd);

    static native int dup3(int oldFd, int newFd, int flags);

    static native int socket(int domain, int type, int protocol);

    static native int bind(int fd, long addr, int addrLen);

    static native int setsockopt(int fd, int level, int name, long value, int length);

    static native int getsockopt(int fd, int level, int name, long value, long lengthAddr);

    static native long sendto(int fd, long buf, long length, int flags, long addr, int addrLen);

    static native long sendmsg(int fd, long message, int flags);

    static native long recvfrom(int fd, long buf, long length, int flags, long addr, long addrLenAddr);

    static native int poll(long fds, long count, int timeoutMillis);

    static native int eventfd(int initialValue, int flags);

    static native long read(int fd, long buf, long count);

    static native long write(int fd, long buf, long count);

    static native long mmap(long addr, long length, int prot, int flags, int fd, long offset);

    static native int munmap(long addr, long length);

    static native int ioctl(int fd, long request, long arg);

    static native long syscall(long number, long arg1, long arg2, long arg3);

    static native String strerror(int errno);

    static native int setns(int fd, int nsType);

    static native int open(String path, int flags);

    static native int if_nametoindex(String name);
}
