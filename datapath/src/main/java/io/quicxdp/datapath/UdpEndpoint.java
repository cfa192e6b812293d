package io.quicxdp.datapath;

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

    private final Binding binding;

    private final EndpointTable endpoints;

    private final PeerRoutes routes;

    UdpEndpoint(Binding binding, EndpointTable endpoints, PeerRoutes routes) {
        this.binding = binding;
        this.endpoints = endpoints;
        this.routes = routes;
    }

    /** The local address and port; the wildcard address when bound to all. */
    public InetSocketAddress localAddress() {
        return binding.localAddress();
    }

    /** The peer this endpoint is connected to, or {@code null}. */
    public InetSocketAddress remoteAddress() {
        return binding.remote == null ? null : binding.remote.socketAddress();
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
        Binding local = route(peer);
        return peer.transmitter.send(peer.nextHopMac, peer.ipv6, local.wildcard ? peer.localHigh : local.localHigh,
                local.wildcard ? peer.localLow : local.localLow, local.port, peer.addressHigh, peer.addressLow,
                peer.port, payload);
    }

    /**
     * Sends the datagrams of {@code batch} from index {@code from} on to {@code peer}, as one batch: one lock, one
     * route check, one TX ring reservation, each payload copied straight into its TX frame, or sent from the TX frame
     * it was written into when the socket that sends lent that frame ({@link DatagramBatch#lender}). On back-pressure
     * only the first ones go: send the rest later, from where this left off.
     *
     * @return how many went on a TX ring, from {@code from} on
     * @throws IllegalArgumentException when a payload does not fit one frame or the interface MTU (nothing is
     *     sent then), or the peer's address family differs from this endpoint's address
     * @throws IllegalStateException as {@link #send(UdpPeer, ByteBuffer)}
     */
    public int send(UdpPeer peer, DatagramBatch batch, int from) {
        Binding local = route(peer);
        return peer.transmitter.send(peer.nextHopMac, peer.ipv6, local.wildcard ? peer.localHigh : local.localHigh,
                local.wildcard ? peer.localLow : local.localLow, local.port, peer.addressHigh, peer.addressLow,
                peer.port, batch.payloads, from, local.kernelSocket);
    }

    /** Checks that this endpoint may send to {@code peer} and makes the peer's route ready; returns the binding. */
    private Binding route(UdpPeer peer) {
        Binding local = binding;
        if (local.closed) {
            throw new IllegalStateException(this + " is closed");
        }
        if (!local.wildcard && peer.ipv6 != local.ipv6) {
            throw new IllegalArgumentException("cannot send to " + peer.socketAddress() + " from "
                    + localAddress());
        }
        if (!peer.routeCurrent(routes.generation())) {
            routes.prepare(peer, local.wildcard);
        }
        return local;
    }

    /**
     * Sends to the connected peer.
     *
     * @see #send(UdpPeer, ByteBuffer)
     */
    public boolean send(ByteBuffer payload) {
        UdpPeer remote = binding.remote;
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
        endpoints.close(binding);
    }

    @Override
    public String toString() {
        return binding.toString();
    }
}
