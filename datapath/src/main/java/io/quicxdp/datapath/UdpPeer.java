package io.quicxdp.datapath;

import java.net.InetSocketAddress;
import java.util.Objects;

/**
 * A remote UDP address to send to, reusable so that sending allocates nothing.
 *
 * <p>Besides the address and port it caches how to reach the peer: the next hop's MAC address, the
 * socket (interface queue) to send on and the local address to send from. A peer copied from a received
 * datagram with {@link ReceivedDatagram#copySourceTo(UdpPeer)} learns all of that from the frame; a peer
 * made from an address learns it from the kernel's route and neighbour tables on its first send.
 *
 * <p>The first send to a peer made from an address may wait up to the neighbour timeout for the kernel
 * to resolve the next hop, so make that first send off a poll thread (or answer with
 * {@link ReceivedDatagram#reply}). What was learned is kept until {@link #set} points the peer elsewhere.
 *
 * <p>Not thread-safe: give each sending thread its own peers.
 */
public final class UdpPeer {

    boolean ipv6;

    long addressHigh;

    long addressLow;

    int port;

    /** The next hop's MAC address, or -1 until learned. */
    long nextHopMac = -1;

    QueueWorker worker;

    long localHigh;

    long localLow;

    /** An empty peer, to be filled by {@link ReceivedDatagram#copySourceTo(UdpPeer)} or {@link #set}. */
    public UdpPeer() {
    }

    /** A peer at {@code address}, whose route is looked up on the first send. */
    public static UdpPeer of(InetSocketAddress address) {
        UdpPeer peer = new UdpPeer();
        peer.set(address);
        return peer;
    }

    /** Points this peer at {@code address}, forgetting what was learned about the previous one. */
    public UdpPeer set(InetSocketAddress address) {
        Objects.requireNonNull(address, "address");
        if (address.isUnresolved()) {
            throw new IllegalArgumentException("peer address " + address + " is not resolved");
        }
        this.ipv6 = IpAddresses.isIpv6(address.getAddress());
        this.addressHigh = IpAddresses.high(address.getAddress());
        this.addressLow = IpAddresses.low(address.getAddress());
        this.port = address.getPort();
        this.nextHopMac = -1;
        this.worker = null;
        return this;
    }

    /** Whether the peer's address is IPv6 (else IPv4). */
    public boolean isIpv6() {
        return ipv6;
    }

    /** The peer's UDP port. */
    public int port() {
        return port;
    }

    /** The peer's address and port; allocates. */
    public InetSocketAddress socketAddress() {
        return new InetSocketAddress(IpAddresses.toInetAddress(ipv6, addressHigh, addressLow), port);
    }

    boolean routed() {
        return worker != null && nextHopMac != -1;
    }

    @Override
    public String toString() {
        return "UdpPeer[" + socketAddress() + "]";
    }
}
