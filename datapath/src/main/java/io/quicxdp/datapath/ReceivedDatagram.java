package io.quicxdp.datapath;

import io.quicxdp.datapath.internal.packet.ParsedUdpFrame;
import io.quicxdp.datapath.internal.queue.Queue;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;

/**
 * A received UDP datagram, as a view into its UMEM frame.
 *
 * <p>One instance per socket is reused for every datagram: it and the buffer from {@link #payload()} are
 * valid only inside {@link DatagramHandler#onDatagram}. Nothing here allocates, except the methods that
 * return an {@link InetSocketAddress} the first time they meet an address: the socket keeps the most recent
 * ones and hands out the same instance again.
 */
public final class ReceivedDatagram {

    private static final int ADDRESS_CACHE_SIZE = 256;

    private final Queue queue;

    private final PeerRoutes routes;

    private final ByteBuffer frames;

    private final ByteBuffer payloadView;

    /** Recently met addresses, direct-mapped by a hash of address and port. */
    private final long[] cachedHigh = new long[ADDRESS_CACHE_SIZE];

    private final long[] cachedLow = new long[ADDRESS_CACHE_SIZE];

    private final int[] cachedPortAndFamily = new int[ADDRESS_CACHE_SIZE];

    private final InetSocketAddress[] cachedAddress = new InetSocketAddress[ADDRESS_CACHE_SIZE];

    private ParsedUdpFrame frame;

    ReceivedDatagram(Queue queue, PeerRoutes routes) {
        this.queue = queue;
        this.routes = routes;
        this.frames = queue.frames();
        this.payloadView = frames.duplicate();
    }

    void set(ParsedUdpFrame frame) {
        this.frame = frame;
    }

    /**
     * The payload, from position to limit, in a buffer reused for every datagram of this socket. Reading
     * may move its position; it must not be kept.
     */
    public ByteBuffer payload() {
        int offset = frame.payloadOffset();
        payloadView.clear().position(offset).limit(offset + frame.payloadLength());
        return payloadView;
    }

    /** The payload's length in bytes. */
    public int payloadLength() {
        return frame.payloadLength();
    }

    /** Whether the datagram came over IPv6 (else IPv4). */
    public boolean isIpv6() {
        return frame.ipVersion() == 6;
    }

    /** The sender's UDP port. */
    public int sourcePort() {
        return frame.sourcePort();
    }

    /** The UDP port the datagram was sent to. */
    public int destinationPort() {
        return frame.destinationPort();
    }

    /** The sender's address and port; allocates only for an address the socket has not met lately. */
    public InetSocketAddress sourceAddress() {
        boolean ipv6 = isIpv6();
        int at = frame.sourceAddressOffset();
        return address(ipv6, IpAddresses.highAt(frames, at, ipv6), IpAddresses.lowAt(frames, at, ipv6),
                frame.sourcePort());
    }

    /**
     * The address and port the datagram was sent to; allocates only for an address the socket has not met
     * lately.
     */
    public InetSocketAddress destinationAddress() {
        boolean ipv6 = isIpv6();
        int at = frame.destinationAddressOffset();
        return address(ipv6, IpAddresses.highAt(frames, at, ipv6), IpAddresses.lowAt(frames, at, ipv6),
                frame.destinationPort());
    }

    private InetSocketAddress address(boolean ipv6, long high, long low, int port) {
        int portAndFamily = port | (ipv6 ? 1 << 16 : 0);
        long hash = (high * 31 + low) * 0x9E3779B97F4A7C15L + portAndFamily;
        int slot = (int) (hash >>> 56) & (ADDRESS_CACHE_SIZE - 1);
        InetSocketAddress cached = cachedAddress[slot];
        if (cached != null && cachedPortAndFamily[slot] == portAndFamily && cachedHigh[slot] == high
                && cachedLow[slot] == low) {
            return cached;
        }
        InetSocketAddress address = new InetSocketAddress(IpAddresses.toInetAddress(ipv6, high, low), port);
        cachedAddress[slot] = address;
        cachedHigh[slot] = high;
        cachedLow[slot] = low;
        cachedPortAndFamily[slot] = portAndFamily;
        return address;
    }

    /** The interface the datagram arrived on. */
    public String interfaceName() {
        return queue.interfaceName();
    }

    /** The receive queue the datagram arrived on. */
    public int queueId() {
        return queue.queueId();
    }

    /**
     * Fills {@code peer} with the sender and how to answer it: the sender's MAC as next hop, this
     * socket, and the datagram's destination as the local address. That route is as fresh as the frame:
     * it is trusted as long as one looked up in the kernel (see {@link UdpPeer}), and copying a newer
     * datagram's source renews it. Allocates nothing.
     *
     * @return {@code peer}
     */
    public UdpPeer copySourceTo(UdpPeer peer) {
        boolean ipv6 = isIpv6();
        int source = frame.sourceAddressOffset();
        int destination = frame.destinationAddressOffset();
        peer.ipv6 = ipv6;
        peer.addressHigh = IpAddresses.highAt(frames, source, ipv6);
        peer.addressLow = IpAddresses.lowAt(frames, source, ipv6);
        peer.port = frame.sourcePort();
        peer.localHigh = IpAddresses.highAt(frames, destination, ipv6);
        peer.localLow = IpAddresses.lowAt(frames, destination, ipv6);
        peer.localFromPeer = true;
        routes.learned(peer, frame.sourceMac(), queue.transmitter());
        return peer;
    }

    /**
     * Sends {@code payload} back to the sender, from the address and port it was sent to, on this socket.
     *
     * @return false on back-pressure, as {@link UdpEndpoint#send(UdpPeer, ByteBuffer)}
     */
    public boolean reply(ByteBuffer payload) {
        boolean ipv6 = isIpv6();
        int source = frame.sourceAddressOffset();
        int destination = frame.destinationAddressOffset();
        return queue.transmitter().send(frame.sourceMac(), ipv6, IpAddresses.highAt(frames, destination, ipv6),
                IpAddresses.lowAt(frames, destination, ipv6), frame.destinationPort(),
                IpAddresses.highAt(frames, source, ipv6), IpAddresses.lowAt(frames, source, ipv6),
                frame.sourcePort(), payload);
    }
}
