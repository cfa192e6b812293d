package io.quicxdp.datapath.internal.linux;

import java.lang.ref.Reference;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * A kernel UDP socket bound to a served port, that only sends: batches of equal-sized datagrams as one
 * {@code sendmsg(2)} with {@code UDP_SEGMENT} (the kernel's GSO), from the source address given per call
 * ({@code IP_PKTINFO}/{@code IPV6_PKTINFO}). Bound with {@code SO_REUSEPORT} beside the port's reservation;
 * it is never read. A wildcard socket is dual-stack: IPv4 peers are reached through mapped addresses.
 *
 * <p>Sends are serialised on the socket's monitor, so that its one message buffer is not shared and a close
 * never frees the descriptor number under a send.
 */
public final class UdpGsoSocket implements AutoCloseable {

    /** The most segments one {@code UDP_SEGMENT} send carries on every kernel that has it. */
    public static final int MAX_SEGMENTS = 64;

    /** The most payload bytes one send carries: what fits one IP datagram's 16-bit length. */
    public static final int MAX_BYTES = 65000;

    private static final int SOL_SOCKET = 1;
    private static final int SO_REUSEPORT = 15;
    private static final int SO_RCVBUF = 8;
    private static final int SOL_IP = 0;
    private static final int IP_PKTINFO = 8;
    private static final int SOL_IPV6 = 41;
    private static final int IPV6_V6ONLY = 26;
    private static final int IPV6_PKTINFO = 50;
    private static final int SOL_UDP = 17;
    private static final int UDP_SEGMENT = 103;
    private static final int MSG_DONTWAIT = 0x40;

    /** {@code struct msghdr}, {@code struct iovec}, the destination's {@code sockaddr_in6}, the control messages. */
    private static final int MSGHDR = 0;
    private static final int IOVEC = 56;
    private static final int NAME = IOVEC + 16;
    private static final int CONTROL = NAME + 32;
    /** {@code CMSG_SPACE(sizeof(u16))} for UDP_SEGMENT, then the packet info's. */
    private static final int SEGMENT_SPACE = 24;
    private static final int PKTINFO_SPACE = 32;
    private static final int PKTINFO6_SPACE = 40;

    private final int fd;

    /** Whether the socket is AF_INET6 (dual-stack when bound to the wildcard), else AF_INET. */
    private final boolean inet6;

    private final ByteBuffer message = DirectBuffers.allocate(CONTROL + SEGMENT_SPACE + PKTINFO6_SPACE)
            .order(ByteOrder.nativeOrder());

    /** The same memory in network byte order, for addresses and ports. */
    private final ByteBuffer network = message.duplicate().order(ByteOrder.BIG_ENDIAN);

    private final long messageAddress = DirectBuffers.address(message);

    private boolean closed;

    private UdpGsoSocket(int fd, boolean inet6) {
        this.fd = fd;
        this.inet6 = inet6;
        message.putLong(MSGHDR, messageAddress + NAME);
        message.putLong(MSGHDR + 16, messageAddress + IOVEC);
        message.putLong(MSGHDR + 24, 1);
        message.putLong(MSGHDR + 32, messageAddress + CONTROL);
    }

    /**
     * Opens a socket bound to {@code port} of {@code local}: 16 bytes of an IPv6 address, 4 of an IPv4 one, or
     * {@code null} for every address of both families.
     *
     * @throws NativeIoException when the kernel refuses, for example when the port is held without
     *     {@code SO_REUSEPORT}
     */
    public static UdpGsoSocket open(byte[] local, int port) throws NativeIoException {
        boolean inet6 = local == null || local.length == 16;
        int fd = Sockets.open(inet6 ? Sockets.AF_INET6 : Sockets.AF_INET, Sockets.SOCK_DGRAM, 0, "UDP");
        try {
            Sockets.setOption(fd, SOL_SOCKET, SO_REUSEPORT, 1, "SO_REUSEPORT");
            Sockets.setOption(fd, SOL_SOCKET, SO_RCVBUF, 1, "SO_RCVBUF");
            ByteBuffer address = DirectBuffers.allocate(28).order(ByteOrder.nativeOrder());
            address.putShort(0, (short) (inet6 ? Sockets.AF_INET6 : Sockets.AF_INET));
            address.duplicate().order(ByteOrder.BIG_ENDIAN).putShort(2, (short) port);
            if (inet6) {
                Sockets.setOption(fd, SOL_IPV6, IPV6_V6ONLY, local == null ? 0 : 1, "IPV6_V6ONLY");
                if (local != null) {
                    address.put(8, local);
                }
            }
            else {
                address.put(4, local);
            }
            int length = inet6 ? 28 : 16;
            Sockets.bind(fd, address, length, "UDP port " + port);
            return new UdpGsoSocket(fd, inet6);
        }
        catch (NativeIoException | RuntimeException ex) {
            FileDescriptors.closeQuietly(fd);
            throw ex;
        }
    }

    /**
     * Sends the {@code length} bytes at {@code payload} (native memory) as datagrams of {@code segmentSize}
     * bytes each, the last one possibly shorter, to the destination, from the source address given.
     * Addresses are two big-endian halves, an IPv4 one in the low 32 bits of {@code low}.
     *
     * @return 0, or {@code -errno} ({@code -EAGAIN} or {@code -ENOBUFS} when the socket's buffer is full)
     */
    public synchronized int send(boolean ipv6, long destinationHigh, long destinationLow, int destinationPort,
            long sourceHigh, long sourceLow, long payload, int length, int segmentSize) {
        if (closed) {
            return -Errno.EBADF;
        }
        message.putLong(IOVEC, payload);
        message.putLong(IOVEC + 8, length);
        int nameLength = name(ipv6, destinationHigh, destinationLow, destinationPort);
        message.putInt(MSGHDR + 8, nameLength);
        // UDP_SEGMENT: struct cmsghdr {size_t len; int level; int type;}, then the u16 segment size
        message.putLong(CONTROL, 18);
        message.putInt(CONTROL + 8, SOL_UDP);
        message.putInt(CONTROL + 12, UDP_SEGMENT);
        message.putShort(CONTROL + 16, (short) segmentSize);
        int info = CONTROL + SEGMENT_SPACE;
        int control;
        if (ipv6) {
            // struct in6_pktinfo {in6_addr addr; int ifindex;}
            message.putLong(info, 36);
            message.putInt(info + 8, SOL_IPV6);
            message.putInt(info + 12, IPV6_PKTINFO);
            network.putLong(info + 16, sourceHigh).putLong(info + 24, sourceLow);
            message.putInt(info + 32, 0);
            control = SEGMENT_SPACE + PKTINFO6_SPACE;
        }
        else {
            // struct in_pktinfo {int ifindex; in_addr spec_dst; in_addr addr;}: spec_dst is the source
            message.putLong(info, 28);
            message.putInt(info + 8, SOL_IP);
            message.putInt(info + 12, IP_PKTINFO);
            message.putInt(info + 16, 0);
            network.putInt(info + 20, (int) sourceLow).putInt(info + 24, 0);
            control = SEGMENT_SPACE + PKTINFO_SPACE;
        }
        message.putLong(MSGHDR + 40, control);
        message.putInt(MSGHDR + 48, 0);
        try {
            return LibC.sendmsg(fd, messageAddress, MSG_DONTWAIT) < 0 ? -LibC.errno() : 0;
        }
        finally {
            Reference.reachabilityFence(message);
        }
    }

    /** Writes the destination's socket address; returns its length. */
    private int name(boolean ipv6, long high, long low, int port) {
        if (inet6) {
            message.putShort(NAME, (short) Sockets.AF_INET6);
            network.putShort(NAME + 2, (short) port).putInt(NAME + 4, 0);
            if (ipv6) {
                network.putLong(NAME + 8, high).putLong(NAME + 16, low);
            }
            else {
                // ::ffff:a.b.c.d
                network.putLong(NAME + 8, 0).putLong(NAME + 16, 0xFFFF_0000_0000L | (low & 0xFFFF_FFFFL));
            }
            message.putInt(NAME + 24, 0);
            return 28;
        }
        message.putShort(NAME, (short) Sockets.AF_INET);
        network.putShort(NAME + 2, (short) port).putInt(NAME + 4, (int) low).putLong(NAME + 8, 0);
        return 16;
    }

    /** Closes the socket; sends after this fail with {@code EBADF}. Idempotent. */
    @Override
    public synchronized void close() {
        if (!closed) {
            closed = true;
            FileDescriptors.closeQuietly(fd);
        }
    }
}
