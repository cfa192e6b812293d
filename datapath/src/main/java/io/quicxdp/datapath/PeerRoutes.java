package io.quicxdp.datapath;

import io.quicxdp.datapath.config.DatapathSettings;
import io.quicxdp.datapath.internal.linux.NativeIoException;
import io.quicxdp.datapath.internal.netlink.NextHop;
import io.quicxdp.datapath.internal.netlink.RouteNetlinkSocket;
import io.quicxdp.datapath.internal.netlink.RoutingChanges;
import io.quicxdp.datapath.internal.queue.Transmitter;
import java.io.IOException;
import java.lang.System.Logger.Level;
import java.net.InetAddress;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * Finds and keeps {@link UdpPeer}s' routes for one datapath.
 *
 * <p>A peer's first lookup runs on the sending thread and waits, up to the neighbour timeout, for the kernel
 * to resolve the next hop: the first datagram has nowhere else to go. Every later lookup runs on this
 * datapath's routing thread, with its own netlink socket, and never waits for a neighbour: it takes what the
 * kernel knows, starts resolution when it knows nothing, and answers at once. A send finds out whether its
 * peer's route is due through {@link UdpPeer#routeCurrent}, a generation compare and a clock read; only when
 * it is due does the send come here, to hand a lookup to the routing thread or collect its answer.
 *
 * <p>Routing changes are counted by a {@link RoutingChanges} listener watching the configured interfaces.
 */
final class PeerRoutes implements AutoCloseable {

    private static final System.Logger LOG = System.getLogger(PeerRoutes.class.getName());

    /** Lookups waiting for the routing thread; when they are this many, a peer keeps its route and asks later. */
    private static final int MAX_WAITING_LOOKUPS = 4096;

    /** The longest a peer without a route waits between lookups, since its sends fail meanwhile. */
    private static final long MAX_RETRY_WITHOUT_ROUTE_NANOS = TimeUnit.SECONDS.toNanos(1);

    private static final long FAILURE_LOG_INTERVAL_NANOS = TimeUnit.SECONDS.toNanos(10);

    /** The datapath's own socket, shared with start-up: used under its monitor. */
    private final RouteNetlinkSocket netlink;

    /** The routing thread's socket. */
    private final RouteNetlinkSocket lookups;

    private final RoutingChanges changes;

    private final Duration neighbourTimeout;

    private final long maxAgeNanos;

    private final BlockingQueue<RouteLookup> waiting = new ArrayBlockingQueue<>(MAX_WAITING_LOOKUPS);

    private final Thread thread;

    /** The transmitters of each interface with sockets, by interface index. */
    private final Map<Integer, List<Transmitter>> transmitters;

    private volatile boolean closed;

    /** Read and written by the routing thread only. */
    private long lastFailureLog;

    private PeerRoutes(RouteNetlinkSocket netlink, DatapathSettings settings, Map<Integer, List<Transmitter>> transmitters,
            RouteNetlinkSocket lookups, RoutingChanges changes) {
        this.netlink = netlink;
        this.transmitters = transmitters;
        this.lookups = lookups;
        this.changes = changes;
        this.neighbourTimeout = settings.neighbourTimeout();
        this.maxAgeNanos = settings.routeMaxAge().toNanos();
        this.thread = new Thread(this::answerLookups, "quic-xdp-routes");
        this.thread.setDaemon(true);
    }

    /**
     * Opens the routing thread's netlink socket and the change listener in the calling thread's network
     * namespace, and starts both threads. Routes go over {@code transmitters}, by interface index in the order
     * configured, and only changes on those interfaces count. {@code netlink} stays the caller's.
     */
    static PeerRoutes open(RouteNetlinkSocket netlink, DatapathSettings settings,
            Map<Integer, List<Transmitter>> transmitters) throws NativeIoException {
        RouteNetlinkSocket lookups = RouteNetlinkSocket.open();
        RoutingChanges changes;
        try {
            changes = RoutingChanges.open("quic-xdp-route-changes");
        }
        catch (NativeIoException | RuntimeException ex) {
            lookups.close();
            throw ex;
        }
        changes.watch(transmitters.keySet().stream().mapToInt(Integer::intValue).toArray());
        PeerRoutes routes = new PeerRoutes(netlink, settings, transmitters, lookups, changes);
        routes.thread.start();
        return routes;
    }

    /** The routing generation: it moves on whenever the kernel announces a change that may move a route. */
    long generation() {
        return changes.generation();
    }

    /** Gives {@code peer} the route it just learned from a received frame, dated now at the current generation. */
    void learned(UdpPeer peer, long nextHopMac, Transmitter via) {
        peer.routed(nextHopMac, via, changes.generation(), System.nanoTime() + maxAgeNanos);
    }

    /**
     * Looks up {@code peer}'s route on this thread, waiting up to the neighbour timeout for the next hop's MAC.
     *
     * @param wildcard whether the sending endpoint is bound to every address, so that the route must name the
     *     source address
     * @throws IllegalStateException when there is no route to a configured interface, or no MAC in time
     */
    void resolve(UdpPeer peer, boolean wildcard) {
        ensureOpen();
        // the generation is read before the lookup: a change during it makes the next send look again
        RouteLookup lookup = lookup(peer, wildcard, changes.generation(), System.nanoTime());
        try {
            NextHop hop;
            synchronized (netlink) {
                hop = netlink.resolve(lookup.destination, neighbourTimeout);
            }
            lookup.found(hop, path(hop, wildcard, lookup.hash, lookup.destination));
            take(lookup, peer);
        }
        catch (IOException ex) {
            throw failed(peer, lookup.generation,
                    new IllegalStateException("cannot send to " + lookup.destination + ": " + ex.getMessage(), ex));
        }
        catch (IllegalStateException ex) {
            throw failed(peer, lookup.generation, ex);
        }
    }

    /**
     * Makes {@code peer}'s route ready for a send from an endpoint ({@code wildcard}: bound to every address), when {@link UdpPeer#routeCurrent} said
     * it was not: collects an answered lookup, hands a new one to the routing thread when one is due, and looks
     * up on this thread only for a peer that never had a route nor a failed lookup. Otherwise it never waits.
     *
     * @throws IllegalStateException when the peer has no route, with the reason its last lookup gave
     */
    void prepare(UdpPeer peer, boolean wildcard) {
        ensureOpen();
        long now = System.nanoTime();
        RouteLookup lookup = peer.lookup;
        if (lookup != null && lookup.answered()) {
            peer.lookup = null;
            collect(lookup, peer, now);
        }
        if (!peer.hasRoute() && peer.routeFailure == null) {
            resolve(peer, wildcard);
            return;
        }
        long generation = changes.generation();
        if (peer.lookup == null && (peer.routeGeneration != generation || now - peer.lookUpAt >= 0)) {
            lookup = lookup(peer, wildcard, generation, now);
            if (waiting.offer(lookup)) {
                peer.lookup = lookup;
            }
            else {
                // the routing thread is behind: keep the route, ask again after a while
                peer.lookupFailed(lookup.generation, now, maxRetry(peer));
            }
        }
        if (!peer.hasRoute()) {
            throw new IllegalStateException(peer.routeFailure);
        }
    }

    /** Stops the routing thread and the change listener, each closing its socket. Idempotent. */
    @Override
    public void close() {
        closed = true;
        thread.interrupt();
        if (thread != Thread.currentThread()) {
            try {
                thread.join(TimeUnit.SECONDS.toMillis(1));
            }
            catch (InterruptedException ex) {
                Thread.currentThread().interrupt();
            }
        }
        changes.close();
    }

    private void ensureOpen() {
        if (closed) {
            throw new IllegalStateException("the XDP datapath is closed");
        }
    }

    private void collect(RouteLookup lookup, UdpPeer peer, long now) {
        if (lookup.transmitter != null) {
            take(lookup, peer);
            return;
        }
        peer.lookupFailed(lookup.generation, now, maxRetry(peer));
        // a next hop still being resolved leaves a peer without a route with the reason it had
        if (!peer.hasRoute() && lookup.failure != null) {
            peer.routeFailure = lookup.failure;
        }
    }

    private RouteLookup lookup(UdpPeer peer, boolean wildcard, long generation, long now) {
        return new RouteLookup(IpAddresses.toInetAddress(peer.ipv6, peer.addressHigh, peer.addressLow), wildcard,
                hash(peer), generation, now);
    }

    /** Gives {@code peer} the route {@code lookup} found, dated when it was asked. */
    private void take(RouteLookup lookup, UdpPeer peer) {
        // a peer keeps its queue while its route stays on that interface: replies to a peer heard on a queue
        // leave on it, and a driving thread keeps its peers to itself
        Transmitter current = peer.transmitter;
        Transmitter via = current != null && current.interfaceName().equals(lookup.transmitter.interfaceName())
                ? current : lookup.transmitter;
        peer.routed(lookup.mac, via, lookup.generation, lookup.askedAt + maxAgeNanos);
        // an answer leaves from where the peer sent, which a host serving an address on its loopback (behind a
        // load balancer) must keep: the route names the link's own address
        if (lookup.hasSource && !peer.localFromPeer) {
            peer.localHigh = lookup.localHigh;
            peer.localLow = lookup.localLow;
        }
    }

    private IllegalStateException failed(UdpPeer peer, long generation, IllegalStateException failure) {
        peer.routeFailure = failure.getMessage();
        peer.lookupFailed(generation, System.nanoTime(), maxRetry(peer));
        return failure;
    }

    private long maxRetry(UdpPeer peer) {
        return !peer.hasRoute() ? Math.min(MAX_RETRY_WITHOUT_ROUTE_NANOS, maxAgeNanos) : maxAgeNanos;
    }

    private static int hash(UdpPeer peer) {
        return Long.hashCode(peer.addressHigh ^ peer.addressLow) * 31 + peer.port;
    }

    /**
     * The transmitter to send on for a route through {@code hop}: one of its interface's, picked by the peer's
     * hash so that a peer keeps its queue.
     *
     * @throws IllegalStateException when the route leaves through an interface this datapath has no socket on,
     *     or a wildcard endpoint would need a source address the route does not name
     */
    private Transmitter path(NextHop hop, boolean wildcard, int hash, InetAddress destination) {
        List<Transmitter> served = transmitters.get(hop.interfaceIndex());
        if (served == null) {
            throw new IllegalStateException("the route to " + destination + " leaves through interface index "
                    + hop.interfaceIndex() + ", where this datapath has no socket (configured: "
                    + transmitters.values().stream().map(list -> list.get(0).interfaceName()).toList() + ")");
        }
        if (wildcard && hop.source() == null) {
            throw new IllegalStateException("the route to " + destination + " names no source address: "
                    + "bind the endpoint to a concrete address");
        }
        return served.get(Math.floorMod(hash, served.size()));
    }

    private void answerLookups() {
        try {
            while (!closed) {
                answer(waiting.take());
            }
        }
        catch (InterruptedException ex) {
            // closing
        }
        finally {
            lookups.close();
        }
    }

    private void answer(RouteLookup lookup) {
        try {
            NextHop hop = lookups.lookup(lookup.destination);
            if (hop == null) {
                lookup.resolving();
            }
            else {
                lookup.found(hop, path(hop, lookup.wildcard, lookup.hash, lookup.destination));
            }
        }
        catch (IOException | RuntimeException ex) {
            String failure = "cannot send to " + lookup.destination + ": " + ex.getMessage();
            lookup.failed(failure);
            long now = System.nanoTime();
            if (lastFailureLog == 0 || now - lastFailureLog > FAILURE_LOG_INTERVAL_NANOS) {
                lastFailureLog = now;
                LOG.log(Level.WARNING, "Looking up a route again failed, " + failure + "; peers keep the route they "
                        + "had, if any, and look again later (further failures are logged at most every 10 s)");
            }
        }
    }
}
