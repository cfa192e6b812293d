package io.quicxdp.datapath.internal.linux;

import java.lang.ref.Reference;
import java.nio.ByteBuffer;
import java.time.Duration;

/**
 * Socket system calls over raw descriptors, with structures passed as direct buffers.
 *
 * <p>Control-path calls throw {@link NativeIoException}. The calls meant for the hot path
 * ({@link #kick}, {@link #receiveNonBlocking}) return {@code -errno} instead, because "try again" is
 * a result there, not an exception.
 */
public final class Sockets {

    public static final int AF_INET = 2;
    public static final int AF_INET6 = 10;
    public static final int AF_NETLINK = 16;
    public static final int AF_XDP = 44;

    public static final int SOCK_DGRAM = 2;
    public static final int SOCK_RAW = 3;
    public static final int SOCK_CLOEXEC = 0x80000;

    public static final int SOL_SOCKET = 1;
    public static final int SO_RCVTIMEO = 20;
    public static final int SO_SNDTIMEO = 21;

    public static final int MSG_DONTWAIT = 0x40;

    private Sockets() {
    }

    /** Opens a socket with {@code SOCK_CLOEXEC} added to the type. */
    public static int open(int domain, int type, int protocol, String what) throws NativeIoException {
        int fd = LibC.socket(domain, type | SOCK_CLOEXEC, protocol);
        if (fd < 0) {
            throw new NativeIoException("socket(" + what + ")", LibC.errno());
        }
        return fd;
    }

    /** Binds to the address in the first {@code length} bytes of {@code address}. */
    public static void bind(int fd, ByteBuffer address, int length, String what) throws NativeIoException {
        int result = tryBind(fd, address, length);
        if (result < 0) {
            throw new NativeIoException("bind(" + what + ")", -result);
        }
    }

    /**
     * Binds and returns {@code -errno} instead of throwing, for callers that retry on some errors.
     *
     * @return 0 on success, else the negated errno
     */
    public static int tryBind(int fd, ByteBuffer address, int length) {
        try {
            return LibC.bind(fd, DirectBuffers.address(address), length) < 0 ? -LibC.errno() : 0;
        }
        finally {
            // the kernel reads the buffer by address: it must not be freed during the call
            Reference.reachabilityFence(address);
        }
    }

    /** Sets an option whose value is the first {@code length} bytes of {@code value}. */
    public static void setOption(int fd, int level, int name, ByteBuffer value, int length, String what)
            throws NativeIoException {
        int result = trySetOption(fd, level, name, value, length);
        if (result < 0) {
            throw new NativeIoException("setsockopt(" + what + ")", -result);
        }
    }

    /**
     * Sets an option as {@link #setOption(int, int, int, ByteBuffer, int, String)} does, returning {@code -errno}
     * instead of throwing, for options a kernel may refuse.
     *
     * @return 0 on success, else the negated errno
     */
    public static int trySetOption(int fd, int level, int name, ByteBuffer value, int length) {
        try {
            return LibC.setsockopt(fd, level, name, DirectBuffers.address(value), length) < 0 ? -LibC.errno() : 0;
        }
        finally {
            Reference.reachabilityFence(value);
        }
    }

    /**
     * Bounds how long one receive ({@link #SO_RCVTIMEO}) or send ({@link #SO_SNDTIMEO}) on {@code fd} waits, to
     * the microsecond; zero waits forever.
     */
    public static void setTimeout(int fd, int option, Duration timeout) throws NativeIoException {
        ByteBuffer timeval = DirectBuffers.allocate(16);
        timeval.putLong(0, timeout.getSeconds());
        timeval.putLong(8, timeout.toNanosPart() / 1000);
        setOption(fd, SOL_SOCKET, option, timeval, 16, option == SO_SNDTIMEO ? "SO_SNDTIMEO" : "SO_RCVTIMEO");
    }

    /** Sets an {@code int} option. */
    public static void setOption(int fd, int level, int name, int value, String what) throws NativeIoException {
        int result = trySetOption(fd, level, name, value);
        if (result < 0) {
            throw new NativeIoException("setsockopt(" + what + ")", -result);
        }
    }

    /**
     * Sets an {@code int} option and returns {@code -errno} instead of throwing, for options a kernel may not know.
     *
     * @return 0 on success, else the negated errno
     */
    public static int trySetOption(int fd, int level, int name, int value) {
        ByteBuffer buffer = DirectBuffers.allocate(4);
        buffer.putInt(0, value);
        return trySetOption(fd, level, name, buffer, 4);
    }

    /**
     * Reads an option into {@code value}, which must have room for the whole structure.
     *
     * @return the length the kernel wrote
     */
    public static int getOption(int fd, int level, int name, ByteBuffer value, String what)
            throws NativeIoException {
        ByteBuffer length = DirectBuffers.allocate(4);
        length.putInt(0, value.capacity());
        try {
            if (LibC.getsockopt(fd, level, name, DirectBuffers.address(value), DirectBuffers.address(length)) < 0) {
                throw new NativeIoException("getsockopt(" + what + ")", LibC.errno());
            }
            return length.getInt(0);
        }
        finally {
            Reference.reachabilityFence(value);
        }
    }

    /** Sends {@code length} bytes from the start of {@code data} to the address in {@code to}. */
    public static long sendTo(int fd, ByteBuffer data, int length, ByteBuffer to, int toLength, String what)
            throws NativeIoException {
        try {
            long sent = LibC.sendto(fd, DirectBuffers.address(data), length, 0,
                    to == null ? 0 : DirectBuffers.address(to), toLength);
            if (sent < 0) {
                throw new NativeIoException("sendto(" + what + ")", LibC.errno());
            }
            return sent;
        }
        finally {
            Reference.reachabilityFence(data);
            Reference.reachabilityFence(to);
        }
    }

    /**
     * Receives into {@code data} without blocking.
     *
     * @return the number of bytes received, or {@code -errno} ({@code -EAGAIN} when nothing is queued)
     */
    public static long receiveNonBlocking(int fd, ByteBuffer data) {
        try {
            long received = LibC.recvfrom(fd, DirectBuffers.address(data), data.capacity(), MSG_DONTWAIT, 0, 0);
            return received < 0 ? -LibC.errno() : received;
        }
        finally {
            Reference.reachabilityFence(data);
        }
    }

    /**
     * Receives into {@code data}, blocking up to the socket's receive timeout.
     *
     * @return the number of bytes received, or {@code -errno}
     */
    public static long receive(int fd, ByteBuffer data) {
        try {
            long received = LibC.recvfrom(fd, DirectBuffers.address(data), data.capacity(), 0, 0, 0);
            return received < 0 ? -LibC.errno() : received;
        }
        finally {
            Reference.reachabilityFence(data);
        }
    }

    /**
     * An empty non-blocking {@code recvfrom}: the wake-up call AF_XDP uses to make the kernel take frames
     * from the fill ring again.
     *
     * @return 0, or {@code -errno}
     */
    public static int wakeReceive(int fd) {
        return LibC.recvfrom(fd, 0, 0, MSG_DONTWAIT, 0, 0) < 0 ? -LibC.errno() : 0;
    }

    /**
     * An empty non-blocking {@code sendto}: the wake-up call AF_XDP uses to make the kernel process
     * its TX ring, and, on the fill ring, to resume receiving.
     *
     * @return 0, or {@code -errno}
     */
    public static int kick(int fd) {
        return LibC.sendto(fd, 0, 0, MSG_DONTWAIT, 0, 0) < 0 ? -LibC.errno() : 0;
    }
}
