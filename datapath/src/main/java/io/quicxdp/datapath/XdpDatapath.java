package io.quicxdp.datapath;

import io.quicxdp.datapath.config.DatapathSettings;
import io.quicxdp.datapath.config.TxPath;
import io.quicxdp.datapath.config.XdpMapConfig;
import io.quicxdp.datapath.driver.QueueDriver;
import io.quicxdp.datapath.failure.XdpDatapathException;
import io.quicxdp.datapath.failure.XdpSocketException;
import io.quicxdp.datapath.internal.linux.NativeIoException;
import io.quicxdp.datapath.internal.linux.UdpGsoSocket;
import io.quicxdp.datapath.internal.maps.MapBinding;
import io.quicxdp.datapath.internal.maps.MapModeStartup;
import io.quicxdp.datapath.internal.maps.StartupFailures;
import io.quicxdp.datapath.internal.netlink.RouteNetlinkSocket;
import io.quicxdp.datapath.internal.queue.Queue;
import io.quicxdp.datapath.internal.queue.Transmitter;
import io.quicxdp.datapath.state.DatapathState;
import io.quicxdp.datapath.state.LinkStatus;
import io.quicxdp.datapath.state.MapInspection;
import io.quicxdp.datapath.state.MapState;
import io.quicxdp.datapath.state.SlotStatus;
import io.quicxdp.datapath.state.SocketState;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.System.Logger.Level;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * The raw-only UDP datapath in XDP map mode: one AF_XDP socket per configured interface queue, each
 * inserted into the application's XSKMAP at key = queue id, each polled by its own thread or, without poll
 * threads, by a transport's event loops through {@link #queues()}.
 *
 * <p>There is no ordinary-socket fallback: {@link #open} either starts every socket of every map or
 * throws an {@link XdpDatapathException} that says what to fix, having removed whatever it had inserted.
 * The datapath never attaches an XDP program to an interface or changes one, and never creates, unpins or
 * closes the application's maps beyond its own descriptors. The only program it ever loads is the
 * read-only probe behind {@link #inspectMaps()}, which is run with BPF_PROG_TEST_RUN and attached nowhere.
 *
 * <p>It is built in one direction: the queues with their sockets in the maps, then the routes over their
 * transmitters, then the endpoint table and one {@code QueueDemux} per queue, then, with poll threads, one
 * {@code PollThread} per queue. Each received frame comes back up once, through the queue's demux.
 *
 * <p>{@link #close()} mirrors open: it stops the poll threads, waits (bounded) for pending sends, and
 * closes each socket, whereupon the kernel removes it from exactly the map slots that still point at it.
 * It never deletes a slot by key, which could remove another process's socket that took the slot over.
 * Close is idempotent and safe from a shutdown hook.
 */
public final class XdpDatapath implements AutoCloseable {

    private static final System.Logger LOG = System.getLogger(XdpDatapath.class.getName());

    private final List<XdpMapConfig> configs;

    private final DatapathSettings settings;

    private final RouteNetlinkSocket netlink;

    /**
     * Asks how the interfaces stand for {@link #state()}: a socket of its own, since lookups on the others may
     * wait for a neighbour; {@code null} for a datapath without maps.
     */
    private final RouteNetlinkSocket links;

    private final List<MapBinding> bindings;

    private final List<Queue> queues;

    private final PeerRoutes routes;

    private final EndpointTable endpoints = new EndpointTable();

    /** The queues as the driver seam offers them, in the order of {@link #queues}. */
    private final List<DrivenQueue> driven;

    /** One per queue with poll threads, made by {@link #open}; none when a transport drives the queues. */
    private final List<PollThread> pollThreads = new ArrayList<>();

    private volatile boolean open = true;

    /**
     * A datapath over {@code queues}, whose sockets are open and in their maps ({@code bindings}), or, for a
     * datapath without maps, over queues whose kernel half is played elsewhere. Nothing drives them yet.
     */
    XdpDatapath(List<XdpMapConfig> configs, DatapathSettings settings, RouteNetlinkSocket netlink,
            RouteNetlinkSocket links, List<MapBinding> bindings, List<Queue> queues, PeerRoutes routes) {
        this.configs = configs;
        this.settings = settings;
        this.netlink = netlink;
        this.links = links;
        this.bindings = bindings;
        this.queues = queues;
        this.routes = routes;
        this.driven = queues.stream().map(queue -> new DrivenQueue(queue, new QueueDemux(queue, endpoints, routes)))
                .toList();
    }

    /**
     * Opens the datapath on the given maps.
     *
     * @throws XdpDatapathException a subclass naming the interface, map or queue and the fix; nothing
     *     stays inserted in any map and every descriptor is closed
     */
    public static XdpDatapath open(List<XdpMapConfig> maps, DatapathSettings settings) {
        List<XdpMapConfig> configs = List.copyOf(Objects.requireNonNull(maps, "maps"));
        Objects.requireNonNull(settings, "settings");
        XdpPlatform.ensureSupported();
        RouteNetlinkSocket netlink;
        RouteNetlinkSocket links;
        try {
            netlink = RouteNetlinkSocket.open();
        }
        catch (NativeIoException ex) {
            throw netlinkFailure(ex);
        }
        try {
            links = RouteNetlinkSocket.open();
        }
        catch (NativeIoException ex) {
            netlink.close();
            throw netlinkFailure(ex);
        }
        List<MapBinding> bindings;
        try {
            bindings = MapModeStartup.open(configs, settings, netlink);
        }
        catch (RuntimeException | Error ex) {
            links.close();
            netlink.close();
            throw ex;
        }
        List<Queue> queues = bindings.stream().flatMap(binding -> binding.queues().stream()).toList();
        Map<Integer, List<Transmitter>> transmitters = new LinkedHashMap<>();
        bindings.forEach(binding -> transmitters.put(binding.ifindex(), binding.transmitters()));
        PeerRoutes routes = null;
        try {
            routes = PeerRoutes.open(netlink, settings, transmitters);
        }
        catch (NativeIoException ex) {
            throw netlinkFailure(ex);
        }
        finally {
            if (routes == null) {
                queues.forEach(Queue::close);
                bindings.forEach(MapBinding::close);
                links.close();
                netlink.close();
            }
        }
        XdpDatapath datapath = new XdpDatapath(configs, settings, netlink, links, bindings, queues, routes);
        if (settings.pollThreads()) {
            try {
                datapath.startPollThreads();
            }
            catch (RuntimeException | Error ex) {
                datapath.close();
                throw ex;
            }
        }
        return datapath;
    }

    private static XdpSocketException netlinkFailure(NativeIoException ex) {
        return new XdpSocketException("Opening a route netlink socket failed: " + ex.getMessage() + ".",
                "Check that the process may open NETLINK_ROUTE sockets (seccomp or sandbox rules).", null, null,
                null, ex.errno(), ex);
    }

    /** One poll thread per queue; one that fails to start fails the open, and close frees what was made. */
    private void startPollThreads() {
        int index = 0;
        for (MapBinding binding : bindings) {
            for (Queue queue : binding.queues()) {
                PollThread thread;
                try {
                    thread = new PollThread(driven.get(index++), settings);
                }
                catch (IOException ex) {
                    throw StartupFailures.other("Creating the wake-up descriptor of queue " + queue.queueId(),
                            binding.config(), queue.queueId(), ex);
                }
                pollThreads.add(thread);
                try {
                    thread.start();
                }
                catch (RuntimeException ex) {
                    throw StartupFailures.threadStart(binding.config(), queue.queueId(), ex);
                }
            }
        }
    }

    /** The maps this datapath was opened with. */
    public List<XdpMapConfig> maps() {
        return configs;
    }

    /** The settings this datapath was opened with. */
    public DatapathSettings settings() {
        return settings;
    }

    /** Whether the datapath is open: true from {@link #open} until {@link #close()}. */
    public boolean isOpen() {
        return open;
    }

    /** Binds {@code port} on every address; see {@link #bind(InetSocketAddress, DatagramHandler)}. */
    public UdpEndpoint bind(int port, DatagramHandler handler) {
        return bind(new InetSocketAddress(port), handler);
    }

    /**
     * Serves UDP datagrams addressed to {@code local} (a wildcard address means every address, IPv4 and
     * IPv6) on every socket. With port reservation on (the default) the port is also held in the kernel,
     * and port 0 picks an ephemeral port.
     *
     * @throws IllegalStateException when the port is already bound here or, with port reservation, in
     *     the kernel
     */
    public UdpEndpoint bind(InetSocketAddress local, DatagramHandler handler) {
        return register(local, null, handler, null);
    }

    /**
     * Serves {@code local} on one of {@link #queues()} only, for a transport that drives the queues. Several
     * queues may each bind the same address, as sockets do with {@code SO_REUSEPORT}; with port reservation on,
     * the kernel port is held with {@code SO_REUSEPORT} accordingly. The handler runs on the queue's driving
     * thread.
     *
     * @throws IllegalArgumentException when {@code queue} is not one of this datapath's
     * @throws IllegalStateException when the queue already serves the address
     */
    public UdpEndpoint bind(InetSocketAddress local, DatagramHandler handler, QueueDriver queue) {
        Objects.requireNonNull(queue, "queue");
        DrivenQueue served = driven.stream().filter(candidate -> candidate == queue).findFirst()
                .orElseThrow(() -> new IllegalArgumentException(queue + " is not a queue of this datapath"));
        return register(local, null, handler, served.queue);
    }

    /**
     * Serves datagrams from {@code remote} to {@code local} only, and lets {@link UdpEndpoint#send(java.nio.ByteBuffer)}
     * send to {@code remote}. The route to {@code remote} is resolved now.
     *
     * @throws IllegalArgumentException when {@code local} is not a concrete address of {@code remote}'s family,
     *     or {@code remote} is not resolved
     */
    public UdpEndpoint connect(InetSocketAddress local, InetSocketAddress remote, DatagramHandler handler) {
        Objects.requireNonNull(local, "local");
        Objects.requireNonNull(remote, "remote");
        if (remote.isUnresolved()) {
            throw new IllegalArgumentException("remote " + remote + " is not resolved");
        }
        InetAddress address = local.getAddress();
        if (IpAddresses.isAnyLocal(address) || local.isUnresolved()) {
            throw new IllegalArgumentException("a connected endpoint needs a concrete local address, not " + local);
        }
        if (IpAddresses.isIpv6(address) != IpAddresses.isIpv6(remote.getAddress())) {
            throw new IllegalArgumentException("local " + local + " and remote " + remote + " differ in family");
        }
        return register(local, remote, handler, null);
    }

    /**
     * The queues, for a transport that drives them from its own threads: the seam of
     * {@code io.quicxdp.datapath.driver}. Only for a datapath opened with
     * {@link DatapathSettings.Builder#pollThreads(boolean) pollThreads(false)}.
     *
     * @throws IllegalStateException when the datapath runs its own poll threads
     */
    public List<QueueDriver> queues() {
        if (!pollThreads.isEmpty()) {
            throw new IllegalStateException("this datapath polls its queues itself: open it with pollThreads(false) "
                    + "to drive them");
        }
        return List.copyOf(driven);
    }

    private synchronized UdpEndpoint register(InetSocketAddress local, InetSocketAddress remote,
            DatagramHandler handler, Queue queue) {
        Objects.requireNonNull(local, "local");
        Objects.requireNonNull(handler, "handler");
        ensureOpen();
        PortReservation reservation = null;
        int port = local.getPort();
        boolean kernelBatches = settings.txPath() != TxPath.XDP;
        if (settings.portReservation()) {
            try {
                // the kernel socket batches leave through binds the same port beside the reservation
                reservation = PortReservation.reserve(local, remote, queue != null || kernelBatches);
            }
            catch (UncheckedIOException ex) {
                throw new IllegalStateException(ex.getMessage(), ex);
            }
            port = reservation.port();
        }
        else if (port == 0) {
            throw new IllegalArgumentException("port 0 picks an ephemeral port through port reservation, which is "
                    + "off: bind a concrete port or turn port reservation on");
        }
        UdpGsoSocket kernelSocket = null;
        Binding binding;
        try {
            if (kernelBatches) {
                kernelSocket = UdpGsoSocket.open(IpAddresses.isAnyLocal(local.getAddress()) ? null
                        : local.getAddress().getAddress(), port);
            }
            binding = new Binding(local.getAddress(), port, remote == null ? null : UdpPeer.of(remote), handler,
                    reservation, queue, kernelSocket);
        }
        catch (NativeIoException ex) {
            if (reservation != null) {
                reservation.close();
            }
            throw new IllegalStateException("cannot open the kernel UDP socket batches leave through on " + local
                    + " (quic.xdp.tx-path " + settings.txPath() + "): " + ex.getMessage(), ex);
        }
        try {
            if (binding.remote != null) {
                routes.resolve(binding.remote, binding.wildcard);
            }
            endpoints.add(binding);
        }
        catch (RuntimeException | Error ex) {
            if (reservation != null) {
                reservation.close();
            }
            if (kernelSocket != null) {
                kernelSocket.close();
            }
            throw ex;
        }
        return new UdpEndpoint(binding, endpoints, routes);
    }

    /**
     * The state of every map and socket, read without stopping traffic. Besides reading counters it asks the
     * kernel how each interface stands (one netlink request) and what each pin refers to (opening it
     * read-only). The sockets of an interface that is gone are reported unbound: the kernel unbound them.
     */
    public DatapathState state() {
        List<MapState> maps = new ArrayList<>();
        List<SocketState> sockets = new ArrayList<>();
        for (MapBinding binding : bindings) {
            MapBinding.LinkCheck link = checkLink(binding);
            maps.add(binding.state(link));
            binding.queues().forEach(queue -> sockets.add(queue.state(link.status() == LinkStatus.GONE)));
        }
        return new DatapathState(open, List.copyOf(maps), List.copyOf(sockets));
    }

    private MapBinding.LinkCheck checkLink(MapBinding binding) {
        synchronized (links) {
            return open ? binding.checkLink(links) : MapBinding.LinkCheck.CLOSED;
        }
    }

    /**
     * The sockets of one interface, as {@link #state()} has them, read without touching the others'.
     *
     * @return the sockets in queue order, or an empty list when {@code interfaceName} is not configured
     */
    public List<SocketState> sockets(String interfaceName) {
        return bindings.stream()
                .filter(binding -> binding.config().interfaceName().equals(interfaceName))
                .flatMap(binding -> {
                    boolean gone = checkLink(binding).status() == LinkStatus.GONE;
                    return binding.queues().stream().map(queue -> queue.state(gone));
                })
                .toList();
    }

    /**
     * Checks each map against the kernel without changing anything: does its pin still refer to the map
     * we opened, and does each of our slots hold our socket. Userspace cannot look up XSKMAP entries, so
     * the slots are read through a tiny XDP program run with BPF_PROG_TEST_RUN, loaded on the first call;
     * without CAP_BPF and CAP_NET_ADMIN the slots are {@link SlotStatus#UNKNOWN} and the detail says why.
     */
    public List<MapInspection> inspectMaps() {
        ensureOpen();
        return bindings.stream().map(binding -> binding.inspect(checkLink(binding))).toList();
    }

    /**
     * Checks the map of one interface, as {@link #inspectMaps()} does for all.
     *
     * @return the inspection, or empty when {@code interfaceName} is not configured
     */
    public Optional<MapInspection> inspectMap(String interfaceName) {
        ensureOpen();
        return bindings.stream()
                .filter(binding -> binding.config().interfaceName().equals(interfaceName))
                .findFirst()
                .map(binding -> binding.inspect(checkLink(binding)));
    }

    private void ensureOpen() {
        if (!open) {
            throw new IllegalStateException("the XDP datapath is closed");
        }
    }

    /**
     * Waits until the frames already on every TX ring are sent, all queues together within one
     * {@code timeout}: a link that is down then holds up shutdown once, not once per queue.
     */
    private static void drainTx(List<Queue> queues, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        List<Queue> draining = new ArrayList<>(queues);
        while (true) {
            draining.removeIf(queue -> queue.drainStep() == 0);
            if (draining.isEmpty() || System.nanoTime() - deadline >= 0) {
                break;
            }
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(1));
        }
        for (Queue queue : draining) {
            LOG.log(Level.WARNING, queue.drainStep() + " frames on " + queue.interfaceName() + " queue "
                    + queue.queueId() + " were not sent within " + timeout);
        }
    }

    /**
     * Stops receiving, waits up to the TX drain timeout for pending sends, closes every socket (the kernel
     * takes each out of its map slots) and releases the endpoints' port reservations. Idempotent.
     */
    @Override
    public synchronized void close() {
        if (!open) {
            return;
        }
        open = false;
        queues.forEach(Queue::requestStop);
        Duration stopTimeout = settings.pollTimeout().multipliedBy(5);
        long deadline = System.nanoTime() + stopTimeout.toNanos();
        // a transport's driving thread is not ours to wait for: it lets go at its next poll, or at detach
        pollThreads.forEach(thread -> thread.awaitStop(deadline, stopTimeout));
        drainTx(queues, settings.txDrainTimeout());
        queues.forEach(Queue::close);
        bindings.forEach(MapBinding::close);
        endpoints.closeAll();
        routes.close();
        synchronized (netlink) {
            netlink.close();
        }
        if (links != null) {
            synchronized (links) {
                links.close();
            }
        }
    }
}
