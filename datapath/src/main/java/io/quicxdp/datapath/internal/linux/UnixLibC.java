package io.quicxdp.datapath.internal.linux;

import com.sun.jna.Native;
import com.sun.jna.NativeLibrary;
import com.sun.jna.Platform;

/**
 * The libc calls behind {@link UnixSockets}, bound through JNA direct mapping like {@link LibC}: primitive
 * arguments, addresses as {@code long}, libc's return value; the caller reads {@code errno} through
 * {@link LibC#errno()} right after. No logic lives here.
 */
final class UnixLibC {

    static {
        // LibC's initializer refuses anything but 64-bit Linux before this binds
        LibC.errno();
        Native.register(UnixLibC.class, NativeLibrary.getInstance(Platform.C_LIBRARY_NAME));
    }

    private UnixLibC() {
    }

    static native int socketpair(int domain, int type, int protocol, long fdsAddr);

    static native int connect(int fd, long addr, int addrLen);

    static native int listen(int fd, int backlog);

    static native int accept4(int fd, long addr, long addrLenAddr, int flags);

    static native int shutdown(int fd, int how);

    static native long sendmsg(int fd, long msghdr, int flags);

    static native long recvmsg(int fd, long msghdr, int flags);
}
