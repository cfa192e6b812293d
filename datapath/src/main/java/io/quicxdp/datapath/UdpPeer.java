package io.quicxdp.datapath;

import io.quicxdp.datapath.config.DatapathSettings;
import io.quicxdp.datapath.internal.queue.Transmitter;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.Objects;
import java.util.concurrent.TimeUnit;

/**
 * A remote UDP address to send to, reusable so that sending allocates nothing.
 *
 * <p>Besides the address and port it caches how to reach the peer, its route: the next hop's MAC address,
 * the socket (interface queue) to send on and the local address to send from. A peer copied from a received
 * datagram with {@link ReceivedDatagram#copySourceTo(UdpPeer)} learns its route from the frame, the sender's
 * MAC being the next hop for an answer; a peer made from an address learns it from the kernel's route and
 * neighbour tables on its first send. That first send may wait up to the neighbour timeout for the kernel to
 * resolve the next hop, so make it off a poll thread (or answer with {@link ReceivedDatagram#reply}).
 *
 * <p>A route is trusted for at most {@link DatapathSettings#routeMaxAge()}, and only until the kernel
 * announces a change to the neighbours or routes of a configured interface. The next send after that asks
 * the datapath's routing thread to look the route up again and goes on with the route it has until the
 * answer is in; a send never waits for such a lookup, nor makes a system call for it. A lookup that fails
 * (no route any more, the next hop not resolved yet) leaves the route as it was and is tried again after a
 * backoff, at once when the kernel announces another change. If the first lookup fails, that send throws;
 * later sends throw the same at once while the lookup is retried in the background, until one succeeds.
 * Back-pressure ({@code send} returning false) says nothing about the route and changes nothing here.
 *
 * <p>Not thread-safe: give each sending thread its own peers. The routing thread never writes a peer; it
 * answers a lookup that the next send on the peer's own thread collects.
 */
public final class UdpPeer {

    /** The first wait before looking up again after a failed lookup; it doubles with each failure. */
    static final long FIRST_RETRY_NANOS = TimeUnit.MILLISECONDS.toNanos(50);

    boolean ipv6;

    long addressHigh;

    long addressLow;

    int port;

    /** The next hop's MAC address, or -1 until learned. */
    long nextHopMac = -1;

    /** The transmitter to send on, or {@code null} until routed. */
    Transmitter transmitter;

    long localHigh;

    long localLow;

    /**
     * Whether the local address is the one the peer sent to (from a received frame, or {@link #answerFrom}): a
     * route lookup then leaves it, as an answer must come from where the peer sent. Otherwise the route's
     * source address is taken.
     */
    boolean localFromPeer;

    /** The routing generation the route was learned or last looked up at. */
    long routeGeneration;

    /** When, by {@link System#nanoTime()}, the route is next to be looked up. */
    long lookUpAt;

    /** The wait before the next lookup after a failed one; 0 after a successful one. */
    long retryDelay;

    /** Why the peer has no route, once a lookup for it failed; null otherwise. */
    String routeFailure;

    /** The lookup on the routing thread whose answer the next send collects, or null. */
    RouteLookup lookup;

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
        this.transmitter = null;
        this.routeFailure = null;
        this.lookup = null;
        this.retryDelay = 0;
        this.localFromPeer = false;
        return this;
    }

    /**
     * Sends to this peer from {@code local}, the address the peer sent to, from now on, whatever source address
     * the kernel's route to it names: for answers to a datagram that another socket (or thread) received, such
     * as one sent to an address the host serves on its loopback behind a load balancer. A wildcard endpoint
     * sends from it; one bound to an address, from that. Its route is still looked up on the next send.
     *
     * @throws IllegalArgumentException when {@code local} is of the other IP version than the peer
     */
    public UdpPeer answerFrom(InetAddress local) {
        if (IpAddresses.isIpv6(local) != ipv6) {
            throw new IllegalArgumentException("peer " + socketAddress() + " cannot be answered from " + local);
        }
        this.localHigh = IpAddresses.high(local);
        this.localLow = IpAddresses.low(local);
        this.localFromPeer = true;
        return this;
    }

    /** Whether the local address is one the peer sent to, which {@link #answerFrom} or a received frame set. */
    public boolean answersFromWhereItSent() {
        return localFromPeer;
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

    /**
     * Whether the route may be used as it is: the peer has one, no lookup's answer waits to be collected, and
     * neither its age nor a routing change since calls for a new lookup. Plain reads and one clock read.
     */
    boolean routeCurrent(long generation) {
        return lookup == null && hasRoute() && routeGeneration == generation && System.nanoTime() - lookUpAt < 0;
    }

    /** Whether the peer has a route, current or not: a next hop MAC and a socket to send on. */
    boolean hasRoute() {
        return nextHopMac != -1;
    }

    /** Takes a route found at {@code generation}, to be looked up again at {@code lookUpAt} at the latest. */
    void routed(long nextHopMac, Transmitter transmitter, long generation, long lookUpAt) {
        this.nextHopMac = nextHopMac;
        this.transmitter = transmitter;
        this.routeGeneration = generation;
        this.lookUpAt = lookUpAt;
        this.retryDelay = 0;
        this.routeFailure = null;
        this.lookup = null;
    }

    /**
     * Keeps the route as it is after a failed lookup, and backs off: the next lookup is due after a wait that
     * starts at {@link #FIRST_RETRY_NANOS} and doubles up to {@code maxDelay}, or at the next routing change.
     */
    void lookupFailed(long generation, long now, long maxDelay) {
        retryDelay = Math.min(retryDelay == 0 ? FIRST_RETRY_NANOS : retryDelay * 2, maxDelay);
        routeGeneration = generation;
        lookUpAt = now + retryDelay;
    }

    @Override
    public String toString() {
        return "UdpPeer[" + socketAddress() + "]";
    }
}
