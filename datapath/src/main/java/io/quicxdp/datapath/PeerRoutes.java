package io.quicxdp.datapath;

import io.quicxdp.datapath.config.DatapathSettings;
import io.quicxdp.datapath.internal.linux.NativeIoException;
import io.quicxdp.datapath.internal.netlink.NextHop;
import io.quicxdp.datapath.internal.netlink.RouteNetlinkSocket;
import io.quicxdp.datapath.internal.netlink.RoutingChanges;
import java.io.IOException;
import java.lang.System.Logger.Level;
import java.net.InetAddress;
import java.time.Duration;
import java.util.List;
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

    private final BlockingQueue<Lookup> waiting = new ArrayBlockingQueue<>(MAX_WAITING_LOOKUPS);

    private final Thread thread;

    private volatile List<MapBinding> bindings = List.of();

    private volatile boolean closed;

    /** Read and written by the routing thread only. */
    private long lastFailureLog;

    private PeerRoutes(RouteNetlinkSocket netlink, DatapathSettings settings, RouteNetlinkSocket lookups,
            RoutingChanges changes) {
        this.netlink = netlink;
        this.lookups = lookups;
        this.changes = changes;
        this.neighbourTimeout = settings.neighbourTimeout();
        this.maxAgeNanos = settings.routeMaxAge().toNanos();
        this.thread = new Thread(this::answerLookups, "quic-xdp-routes");
        this.thread.setDaemon(true);
    }

    /**
     * Opens the routing thread's netlink socket and the change listener in the calling thread's network
     * namespace, and starts both threads. {@code netlink} stays the caller's.
     */
    static PeerRoutes open(RouteNetlinkSocket netlink, DatapathSettings settings) throws NativeIoException {
        RouteNetlinkSocket lookups = RouteNetlinkSocket.open();
        RoutingChanges changes;
        try {
            changes = RoutingChanges.open("quic-xdp-route-changes");
        }
        catch (NativeIoException | RuntimeException ex) {
            lookups.close();
            throw ex;
        }
        PeerRoutes routes = new PeerRoutes(netlink, settings, lookups, changes);
        routes.thread.start();
        return routes;
    }

    /** Routes over the sockets of {@code opened}, and counts only changes on their interfaces. */
    void serve(List<MapBinding> opened) {
        bindings = opened;
        changes.watch(opened.stream().mapToInt(binding -> binding.link.index()).toArray());
    }

    /** The routing generation: it moves on whenever the kernel announces a change that may move a route. */
    long generation() {
        return changes.generation();
    }

    /** Dates the route a peer just learned from a received frame: now, at the current generation. */
    void learned(UdpPeer peer) {
        peer.routed(peer.nextHopMac, peer.worker, changes.generation(), System.nanoTime() + maxAgeNanos);
    }

    /**
     * Looks up {@code peer}'s route on this thread, waiting up to the neighbour timeout for the next hop's MAC.
     *
     * @throws IllegalStateException when there is no route to a configured interface, or no MAC in time
     */
    void resolve(UdpEndpoint endpoint, UdpPeer peer) {
        ensureOpen();
        // read before the lookup: a change during it makes the next send look again
        long generation = changes.generation();
        long now = System.nanoTime();
        InetAddress destination = IpAddresses.toInetAddress(peer.ipv6, peer.addressHigh, peer.addressLow);
        try {
            NextHop hop;
            synchronized (netlink) {
                hop = netlink.resolve(destination, neighbourTimeout);
            }
            peer.routed(hop.mac(), path(hop, endpoint.wildcard, hash(peer), destination), generation,
                    now + maxAgeNanos);
            InetAddress source = hop.source();
            if (source != null) {
                peer.localHigh = IpAddresses.high(source);
                peer.localLow = IpAddresses.low(source);
            }
        }
        catch (IOException ex) {
            throw failed(peer, generation,
                    new IllegalStateException("cannot send to " + destination + ": " + ex.getMessage(), ex));
        }
        catch (IllegalStateException ex) {
            throw failed(peer, generation, ex);
        }
    }

    /**
     * Makes {@code peer}'s route ready for a send from {@code endpoint}, when {@link UdpPeer#routeCurrent} said
     * it was not: collects an answered lookup, hands a new one to the routing thread when one is due, and looks
     * up on this thread only for a peer that never had a route nor a failed lookup. Otherwise it never waits.
     *
     * @throws IllegalStateException when the peer has no route, with the reason its last lookup gave
     */
    void prepare(UdpEndpoint endpoint, UdpPeer peer) {
        ensureOpen();
        long now = System.nanoTime();
        Lookup lookup = peer.lookup;
        if (lookup != null && lookup.answered()) {
            peer.lookup = null;
            collect(lookup, peer, now);
        }
        if (!peer.hasRoute() && peer.routeFailure == null) {
            resolve(endpoint, peer);
            return;
        }
        long generation = changes.generation();
        if (peer.lookup == null && (peer.routeGeneration != generation || now - peer.lookUpAt >= 0)) {
            lookup = new Lookup(IpAddresses.toInetAddress(peer.ipv6, peer.addressHigh, peer.addressLow),
                    endpoint.wildcard, hash(peer), generation, now);
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

    private void collect(Lookup lookup, UdpPeer peer, long now) {
        if (lookup.worker != null) {
            // a peer keeps its queue while its route stays on that interface: replies to a peer heard on a
            // queue leave on it, and a driving thread keeps its peers to itself
            QueueWorker current = peer.worker;
            QueueWorker worker = current != null && current.interfaceName().equals(lookup.worker.interfaceName())
                    ? current : lookup.worker;
            peer.routed(lookup.mac, worker, lookup.generation, lookup.askedAt + maxAgeNanos);
            if (lookup.hasSource) {
                peer.localHigh = lookup.localHigh;
                peer.localLow = lookup.localLow;
            }
            return;
        }
        peer.lookupFailed(lookup.generation, now, maxRetry(peer));
        // a next hop still being resolved leaves a peer without a route with the reason it had
        if (!peer.hasRoute() && lookup.failure != null) {
            peer.routeFailure = lookup.failure;
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
     * The socket to send on for a route through {@code hop}: one of its interface's, picked by the peer's
     * hash so that a peer keeps its queue.
     *
     * @throws IllegalStateException when the route leaves through an interface this datapath has no socket on,
     *     or a wildcard endpoint would need a source address the route does not name
     */
    private QueueWorker path(NextHop hop, boolean wildcard, int hash, InetAddress destination) {
        List<MapBinding> served = bindings;
        for (MapBinding binding : served) {
            if (binding.link.index() == hop.interfaceIndex()) {
                if (wildcard && hop.source() == null) {
                    throw new IllegalStateException("the route to " + destination + " names no source address: "
                            + "bind the endpoint to a concrete address");
                }
                return binding.transmitters.get(Math.floorMod(hash, binding.transmitters.size()));
            }
        }
        throw new IllegalStateException("the route to " + destination + " leaves through interface index "
                + hop.interfaceIndex() + ", where this datapath has no socket (configured: "
                + served.stream().map(binding -> binding.config.interfaceName()).toList() + ")");
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

    private void answer(Lookup lookup) {
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

    /**
     * One lookup of a peer's route, asked by the peer's sending thread and answered by the routing thread. The
     * answer is written before {@link #answered()} turns true, and read only after.
     */
    static final class Lookup {

        final InetAddress destination;

        final boolean wildcard;

        final int hash;

        /** The routing generation when the lookup was asked: the answer is no newer than that. */
        final long generation;

        final long askedAt;

        long mac;

        /** The socket to send on; null when there is no route or the next hop is still being resolved. */
        QueueWorker worker;

        boolean hasSource;

        long localHigh;

        long localLow;

        /** Why there is no route; null when there is one or the next hop is still being resolved. */
        String failure;

        private volatile boolean answered;

        Lookup(InetAddress destination, boolean wildcard, int hash, long generation, long askedAt) {
            this.destination = destination;
            this.wildcard = wildcard;
            this.hash = hash;
            this.generation = generation;
            this.askedAt = askedAt;
        }

        boolean answered() {
            return answered;
        }

        void found(NextHop hop, QueueWorker via) {
            InetAddress source = hop.source();
            mac = hop.mac();
            worker = via;
            hasSource = source != null;
            if (hasSource) {
                localHigh = IpAddresses.high(source);
                localLow = IpAddresses.low(source);
            }
            answered = true;
        }

        void resolving() {
            answered = true;
        }

        void failed(String reason) {
            failure = reason;
            answered = true;
        }
    }
}
