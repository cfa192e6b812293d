package io.quicxdp.datapath.internal.linux;

import java.io.IOException;
import java.lang.ref.Reference;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;

/**
 * {@code AF_UNIX} {@code SOCK_SEQPACKET} sockets: connecting, listening, messages that carry at most one
 * descriptor ({@code SCM_RIGHTS}), and the peer's credentials ({@code SO_PEERCRED}).
 *
 * <p>These are control-path calls: each builds its small kernel structures in a fresh direct buffer, retries
 * {@code EINTR}, and throws {@link NativeIoException} on failure. Every descriptor is opened close-on-exec,
 * received ones included. The structure layouts are the LP64 ones of x86-64 and arm64, the only
 * platforms {@link LibC} loads on.
 */
public final class UnixSockets {

    private static final int AF_UNIX = 1;
    private static final int SOCK_SEQPACKET = 5;
    private static final int SOL_SOCKET = 1;
    private static final int SCM_RIGHTS = 1;
    private static final int SO_PEERCRED = 17;
    private static final int SHUT_RDWR = 2;
    private static final int MSG_CTRUNC = 0x8;
    private static final int MSG_NOSIGNAL = 0x4000;
    private static final int MSG_CMSG_CLOEXEC = 0x40000000;

    private static final short POLLHUP = 0x10;
    private static final short POLLERR = 0x8;
    private static final short POLLRDHUP = 0x2000;

    /** {@code struct sockaddr_un}: a 2-byte family, then the NUL-terminated path. */
    private static final int SUN_PATH_OFFSET = 2;
    private static final int SUN_PATH_SIZE = 108;

    /** {@code struct msghdr}. */
    private static final int MSGHDR_SIZE = 56;
    private static final int MSG_IOV = 16;
    private static final int MSG_IOVLEN = 24;
    private static final int MSG_CONTROL = 32;
    private static final int MSG_CONTROLLEN = 40;
    private static final int MSG_FLAGS = 48;

    /** {@code struct iovec}. */
    private static final int IOVEC_SIZE = 16;

    /** {@code struct cmsghdr}: an 8-byte length, level, type, then the data, 8-byte aligned. */
    private static final int CMSG_LEVEL = 8;
    private static final int CMSG_TYPE = 12;
    private static final int CMSG_DATA = 16;

    /** {@code CMSG_SPACE} for one descriptor, and {@code CMSG_LEN} of it. */
    private static final int ONE_FD_SPACE = 24;
    private static final int ONE_FD_LENGTH = 20;

    /** Control room on receive for a peer that sends several descriptors: the extra ones are closed. */
    private static final int RECEIVE_CONTROL_SPACE = CMSG_DATA + 8 * 4;

    private UnixSockets() {
    }

    /** Connects a new {@code SOCK_SEQPACKET} socket to the socket bound at {@code path}. */
    public static int connect(Path path) throws NativeIoException {
        ByteBuffer address = address(path);
        int fd = Sockets.open(AF_UNIX, SOCK_SEQPACKET, 0, "AF_UNIX");
        try {
            int result;
            do {
                result = UnixLibC.connect(fd, DirectBuffers.address(address), address.capacity());
            }
            while (result < 0 && LibC.errno() == Errno.EINTR);
            if (result < 0) {
                throw new NativeIoException("connect(" + path + ")", LibC.errno());
            }
            return fd;
        }
        catch (NativeIoException ex) {
            FileDescriptors.closeQuietly(fd);
            throw ex;
        }
        finally {
            Reference.reachabilityFence(address);
        }
    }

    /**
     * Binds a new {@code SOCK_SEQPACKET} socket at {@code path}, which must not exist, and listens on it. The
     * socket file is created with the process's umask; whoever may write to it may connect.
     */
    public static int listen(Path path, int backlog) throws NativeIoException {
        ByteBuffer address = address(path);
        int fd = Sockets.open(AF_UNIX, SOCK_SEQPACKET, 0, "AF_UNIX");
        try {
            Sockets.bind(fd, address, address.capacity(), "AF_UNIX " + path);
            if (UnixLibC.listen(fd, backlog) < 0) {
                throw new NativeIoException("listen(" + path + ")", LibC.errno());
            }
            return fd;
        }
        catch (NativeIoException ex) {
            FileDescriptors.closeQuietly(fd);
            throw ex;
        }
    }

    /**
     * Waits for the next connection on a listening socket.
     *
     * @throws NativeIoException {@code EINVAL} once {@link #shutdown} was called on it
     */
    public static int accept(int listeningFd) throws NativeIoException {
        int fd;
        do {
            fd = UnixLibC.accept4(listeningFd, 0, 0, Sockets.SOCK_CLOEXEC);
        }
        while (fd < 0 && LibC.errno() == Errno.EINTR);
        if (fd < 0) {
            throw new NativeIoException("accept", LibC.errno());
        }
        return fd;
    }

    /** A connected pair of {@code SOCK_SEQPACKET} sockets. */
    public static int[] pair() throws NativeIoException {
        ByteBuffer fds = DirectBuffers.allocate(8);
        try {
            if (UnixLibC.socketpair(AF_UNIX, SOCK_SEQPACKET | Sockets.SOCK_CLOEXEC, 0, DirectBuffers.address(fds)) < 0) {
                throw new NativeIoException("socketpair(AF_UNIX)", LibC.errno());
            }
            return new int[] {fds.getInt(0), fds.getInt(4)};
        }
        finally {
            Reference.reachabilityFence(fds);
        }
    }

    /**
     * Shuts a socket down in both directions: a thread blocked in {@link #accept} or {@link #receive} on it
     * returns, which closing the descriptor alone would not make it do.
     */
    public static void shutdown(int fd) {
        // ENOTCONN on a listening socket still wakes its accept; nothing else can go wrong worth reporting
        UnixLibC.shutdown(fd, SHUT_RDWR);
    }

    /**
     * Sends {@code message} as one packet, with a duplicate of {@code passedFd} for the peer when it is not
     * negative. Never raises SIGPIPE: a closed peer is {@code EPIPE}.
     */
    public static void send(int fd, byte[] message, int passedFd) throws NativeIoException {
        int control = passedFd < 0 ? 0 : ONE_FD_SPACE;
        int dataOffset = MSGHDR_SIZE + IOVEC_SIZE + control;
        ByteBuffer buffer = DirectBuffers.allocate(dataOffset + Math.max(message.length, 1));
        long base = DirectBuffers.address(buffer);
        buffer.put(dataOffset, message);
        buffer.putLong(MSGHDR_SIZE, base + dataOffset);
        buffer.putLong(MSGHDR_SIZE + 8, message.length);
        buffer.putLong(MSG_IOV, base + MSGHDR_SIZE);
        buffer.putLong(MSG_IOVLEN, 1);
        if (passedFd >= 0) {
            int cmsg = MSGHDR_SIZE + IOVEC_SIZE;
            buffer.putLong(cmsg, ONE_FD_LENGTH);
            buffer.putInt(cmsg + CMSG_LEVEL, SOL_SOCKET);
            buffer.putInt(cmsg + CMSG_TYPE, SCM_RIGHTS);
            buffer.putInt(cmsg + CMSG_DATA, passedFd);
            buffer.putLong(MSG_CONTROL, base + cmsg);
            buffer.putLong(MSG_CONTROLLEN, control);
        }
        try {
            long sent;
            do {
                sent = UnixLibC.sendmsg(fd, base, MSG_NOSIGNAL);
            }
            while (sent < 0 && LibC.errno() == Errno.EINTR);
            if (sent < 0) {
                throw new NativeIoException("sendmsg(AF_UNIX)", LibC.errno());
            }
        }
        finally {
            Reference.reachabilityFence(buffer);
        }
    }

    /** Sends a text message without a descriptor; see {@link #send(int, byte[], int)}. */
    public static void send(int fd, String message) throws NativeIoException {
        send(fd, message.getBytes(StandardCharsets.US_ASCII), -1);
    }

    /**
     * Receives one packet into {@code into} (bytes beyond its length are lost, as {@code SOCK_SEQPACKET}
     * truncates), blocking up to the receive timeout.
     *
     * @throws NativeIoException {@code EAGAIN} when the receive timeout passed without a packet
     * @throws IOException when the peer sent more than one descriptor or the control data was truncated; any
     *     descriptor that did arrive is closed
     */
    public static UnixMessage receive(int fd, byte[] into) throws IOException {
        int dataOffset = MSGHDR_SIZE + IOVEC_SIZE + RECEIVE_CONTROL_SPACE;
        ByteBuffer buffer = DirectBuffers.allocate(dataOffset + Math.max(into.length, 1));
        long base = DirectBuffers.address(buffer);
        buffer.putLong(MSGHDR_SIZE, base + dataOffset);
        buffer.putLong(MSGHDR_SIZE + 8, into.length);
        buffer.putLong(MSG_IOV, base + MSGHDR_SIZE);
        buffer.putLong(MSG_IOVLEN, 1);
        buffer.putLong(MSG_CONTROL, base + MSGHDR_SIZE + IOVEC_SIZE);
        buffer.putLong(MSG_CONTROLLEN, RECEIVE_CONTROL_SPACE);
        long received;
        try {
            do {
                received = UnixLibC.recvmsg(fd, base, MSG_CMSG_CLOEXEC);
            }
            while (received < 0 && LibC.errno() == Errno.EINTR);
            if (received < 0) {
                throw new NativeIoException("recvmsg(AF_UNIX)", LibC.errno());
            }
        }
        finally {
            Reference.reachabilityFence(buffer);
        }
        int passed = passedDescriptor(buffer, MSGHDR_SIZE + IOVEC_SIZE, (int) buffer.getLong(MSG_CONTROLLEN));
        if ((buffer.getInt(MSG_FLAGS) & MSG_CTRUNC) != 0) {
            FileDescriptors.closeQuietly(passed);
            throw new IOException("recvmsg(AF_UNIX): the peer sent more descriptors than fit, which were dropped");
        }
        buffer.get(dataOffset, into, 0, (int) Math.min(received, into.length));
        return new UnixMessage((int) received, passed);
    }

    /**
     * The descriptor in the {@code SCM_RIGHTS} control message, or -1; with more than one, closes them all and
     * throws.
     */
    private static int passedDescriptor(ByteBuffer buffer, int control, int controlLength) throws IOException {
        int passed = -1;
        int extra = 0;
        for (int cmsg = control; cmsg + CMSG_DATA <= control + controlLength;) {
            long length = buffer.getLong(cmsg);
            if (length < CMSG_DATA) {
                break;
            }
            if (buffer.getInt(cmsg + CMSG_LEVEL) == SOL_SOCKET && buffer.getInt(cmsg + CMSG_TYPE) == SCM_RIGHTS) {
                for (int at = cmsg + CMSG_DATA; at + 4 <= cmsg + length; at += 4) {
                    int fd = buffer.getInt(at);
                    if (passed < 0) {
                        passed = fd;
                    }
                    else {
                        FileDescriptors.closeQuietly(fd);
                        extra++;
                    }
                }
            }
            cmsg += (int) ((length + 7) & ~7L);
        }
        if (extra > 0) {
            FileDescriptors.closeQuietly(passed);
            throw new IOException("recvmsg(AF_UNIX): the peer sent " + (extra + 1) + " descriptors in one message, "
                    + "where one is expected");
        }
        return passed;
    }

    /** The credentials the kernel recorded for the peer of a connected unix socket. */
    public static PeerCredentials peerCredentials(int fd) throws NativeIoException {
        ByteBuffer ucred = DirectBuffers.allocate(12);
        Sockets.getOption(fd, SOL_SOCKET, SO_PEERCRED, ucred, "SO_PEERCRED");
        return new PeerCredentials(ucred.getInt(0), ucred.getInt(4), ucred.getInt(8));
    }

    /** Bounds how long {@link #receive} and {@link #send} wait; zero waits forever. */
    public static void setTimeouts(int fd, Duration timeout) throws NativeIoException {
        Sockets.setTimeout(fd, Sockets.SO_RCVTIMEO, timeout);
        Sockets.setTimeout(fd, Sockets.SO_SNDTIMEO, timeout);
    }

    /**
     * Whether the peer has closed its end or the connection broke, without waiting and without reading
     * anything.
     */
    public static boolean peerClosed(int fd) throws NativeIoException {
        ByteBuffer pollFd = DirectBuffers.allocate(8);
        pollFd.putInt(0, fd);
        pollFd.putShort(4, POLLRDHUP);
        try {
            if (LibC.poll(DirectBuffers.address(pollFd), 1, 0) < 0) {
                throw new NativeIoException("poll(AF_UNIX)", LibC.errno());
            }
            return (pollFd.getShort(6) & (POLLHUP | POLLRDHUP | POLLERR)) != 0;
        }
        finally {
            Reference.reachabilityFence(pollFd);
        }
    }

    /** {@code struct sockaddr_un} for {@code path}, sized to the path and its terminating NUL. */
    private static ByteBuffer address(Path path) {
        byte[] bytes = path.toString().getBytes(StandardCharsets.UTF_8);
        if (bytes.length >= SUN_PATH_SIZE) {
            throw new IllegalArgumentException("a unix socket path has at most " + (SUN_PATH_SIZE - 1)
                    + " bytes, not " + bytes.length + ": " + path);
        }
        ByteBuffer address = DirectBuffers.allocate(SUN_PATH_OFFSET + bytes.length + 1);
        address.putShort(0, (short) AF_UNIX);
        address.put(SUN_PATH_OFFSET, bytes);
        return address;
    }
}
