package io.quicxdp.datapath;

import io.quicxdp.datapath.internal.packet.ParsedUdpFrame;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;

/**
 * A UDP port served by the datapath on every socket of every configured interface: bound to a local
 * address (or to all), and optionally connected to one remote peer.
 *
 * <p>Received datagrams go to the endpoint's {@link DatagramHandler}; {@link #send} builds the frame and
 * puts it on a socket's TX ring. Sends are thread-safe. Closing the endpoint unbinds it; the datapath's
 * sockets stay open.
 */
public final class UdpEndpoint implements AutoCloseable {

    private final XdpDatapath datapath;

    final DatagramHandler handler;

    final boolean wildcard;

    final boolean ipv6;

    final long localHigh;

    final long localLow;

    final int port;

    /** The connected peer, or {@code null}. */
    final UdpPeer remote;

    private final PortReservation reservation;

    /** The one queue this endpoint serves, or {@code null} for every queue. */
    final QueueWorker queue;

    private volatile boolean closed;

    UdpEndpoint(XdpDatapath datapath, InetAddress localAddress, int port, UdpPeer remote, DatagramHandler handler,
            PortReservation reservation, QueueWorker queue) {
        this.datapath = datapath;
        this.handler = handler;
        this.wildcard = IpAddresses.isAnyLocal(localAddress);
        this.ipv6 = !wildcard && IpAddresses.isIpv6(localAddress);
        this.localHigh = wildcard ? 0 : IpAddresses.high(localAddress);
        this.localLow = wildcard ? 0 : IpAddresses.low(localAddress);
        this.port = port;
        this.remote = remote;
        this.reservation = reservation;
        this.queue = queue;
    }

    /** The local address and port; the wildcard address when bound to all. */
    public InetSocketAddress localAddress() {
        return wildcard ? new InetSocketAddress(port)
                : new InetSocketAddress(IpAddresses.toInetAddress(ipv6, localHigh, localLow), port);
    }

    /** The peer this endpoint is connected to, or {@code null}. */
    public InetSocketAddress remoteAddress() {
        return remote == null ? null : remote.socketAddress();
    }

    /**
     * Sends the bytes between {@code payload}'s position and limit to {@code peer}, whose route is looked
     * up on its first use and kept up to date as {@link UdpPeer} describes. The payload's position is left
     * unchanged.
     *
     * @return true when the datagram is on a TX ring; false when the TX ring or the TX frames are all in
     *     use (back-pressure: try again after the kernel has sent some)
     * @throws IllegalArgumentException when the payload does not fit one frame or the interface MTU, or
     *     the peer's address family differs from this endpoint's address
     * @throws IllegalStateException when the endpoint or datapath is closed, or the peer has no route through
     *     a configured interface: its first lookup failed, and the lookups retried since have not found one
     */
    public boolean send(UdpPeer peer, ByteBuffer payload) {
        if (closed) {
            throw new IllegalStateException(this + " is closed");
        }
        if (!wildcard && peer.ipv6 != ipv6) {
            throw new IllegalArgumentException("cannot send to " + peer.socketAddress() + " from "
                    + localAddress());
        }
        PeerRoutes routes = datapath.routes;
        if (!peer.routeCurrent(routes.generation())) {
            routes.prepare(this, peer);
        }
        return peer.worker.send(peer.nextHopMac, peer.ipv6, wildcard ? peer.localHigh : localHigh,
                wildcard ? peer.localLow : localLow, port, peer.addressHigh, peer.addressLow, peer.port, payload);
    }

    /**
     * Sends to the connected peer.
     *
     * @see #send(UdpPeer, ByteBuffer)
     */
    public boolean send(ByteBuffer payload) {
        if (remote == null) {
            throw new IllegalStateException(this + " is not connected: name the peer");
        }
        synchronized (remote) {
            return send(remote, payload);
        }
    }

    /** Unbinds the endpoint and releases its port reservation. Idempotent. */
    @Override
    public void close() {
        if (!closed) {
            closed = true;
            datapath.unbind(this);
            if (reservation != null) {
                reservation.close();
            }
        }
    }

    boolean isClosed() {
        return closed;
    }

    PeerRoutes routes() {
        return datapath.routes;
    }

    /** 3: connected and both ends match; 2: bound to the destination address; 1: wildcard; 0: no match. */
    int matchScore(ByteBuffer frame, ParsedUdpFrame datagram, QueueWorker receivedOn) {
        if (queue != null && queue != receivedOn) {
            return 0;
        }
        boolean datagramIpv6 = datagram.ipVersion() == 6;
        if (wildcard) {
            return 1;
        }
        if (datagramIpv6 != ipv6
                || !IpAddresses.equalsAt(frame, datagram.destinationAddressOffset(), ipv6, localHigh, localLow)) {
            return 0;
        }
        if (remote == null) {
            return 2;
        }
        boolean fromRemote = remote.port == datagram.sourcePort()
                && IpAddresses.equalsAt(frame, datagram.sourceAddressOffset(), ipv6, remote.addressHigh,
                        remote.addressLow);
        return fromRemote ? 3 : 0;
    }

    boolean conflictsWith(UdpEndpoint other) {
        if (queue != null && other.queue != null && queue != other.queue) {
            return false;
        }
        boolean sameLocal = wildcard == other.wildcard
                && (wildcard || (ipv6 == other.ipv6 && localHigh == other.localHigh && localLow == other.localLow));
        if (!sameLocal) {
            return false;
        }
        if (remote == null || other.remote == null) {
            return remote == other.remote;
        }
        return remote.ipv6 == other.remote.ipv6 && remote.addressHigh == other.remote.addressHigh
                && remote.addressLow == other.remote.addressLow && remote.port == other.remote.port;
    }

    @Override
    public String toString() {
        return "UdpEndpoint[" + localAddress() + (remote == null ? "" : " -> " + remote.socketAddress()) + "]";
    }
}
