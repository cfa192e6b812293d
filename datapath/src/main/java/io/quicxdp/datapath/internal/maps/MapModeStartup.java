package io.quicxdp.datapath.internal.maps;

import io.quicxdp.datapath.config.DatapathSettings;
import io.quicxdp.datapath.config.MapSource;
import io.quicxdp.datapath.config.TxPath;
import io.quicxdp.datapath.config.UdpChecksumPolicy;
import io.quicxdp.datapath.config.XdpMapConfig;
import io.quicxdp.datapath.failure.InvalidMapConfigException;
import io.quicxdp.datapath.internal.bpf.BpfMap;
import io.quicxdp.datapath.internal.bpf.BpfMapInfo;
import io.quicxdp.datapath.internal.bpf.BpfMapType;
import io.quicxdp.datapath.internal.bpf.BpfSetupException;
import io.quicxdp.datapath.internal.linux.Bpf;
import io.quicxdp.datapath.internal.linux.Errno;
import io.quicxdp.datapath.internal.linux.NativeIoException;
import io.quicxdp.datapath.internal.netlink.LinkInfo;
import io.quicxdp.datapath.internal.netlink.RouteNetlinkSocket;
import io.quicxdp.datapath.internal.queue.Queue;
import io.quicxdp.datapath.internal.queue.Transmitter;
import io.quicxdp.datapath.internal.source.AgentClient;
import io.quicxdp.datapath.internal.source.AgentRefusedException;
import io.quicxdp.datapath.internal.source.DevicePluginClient;
import io.quicxdp.datapath.internal.xsk.XdpSocket;
import io.quicxdp.datapath.internal.xsk.XskParameters;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.IntStream;

/**
 * Raw-only start-up in map mode, in two phases.
 *
 * <p>First every configuration is checked against the kernel without touching any map: the interface
 * exists, the map is an XSKMAP with 4-byte keys and values and enough slots, each queue exists. The map is
 * the one pinned at the configured path, the one the AF_XDP device plugin hands over on its socket, or,
 * with the quic-xdp agent, the one the agent describes (the agent checks it; this process makes no
 * {@code bpf()} call then). Then, per interface queue, a socket is created, bound and inserted into its map
 * at key = queue id with {@code BPF_NOEXIST}, by this process or by the agent. Any failure closes every
 * socket opened so far, which makes the kernel remove each of them from the slots that still hold it,
 * closes our map descriptors and agent connections, and throws; nothing is left behind and there is no
 * fallback.
 */
public final class MapModeStartup {

    /** How long the device plugin or the agent may take to answer one request. */
    static final Duration SOURCE_TIMEOUT = Duration.ofSeconds(10);

    private MapModeStartup() {
    }

    /**
     * Opens every configured map's sockets and inserts them, or nothing: the queues come back with their sockets
     * in the maps, driven by nobody yet.
     *
     * @throws io.quicxdp.datapath.failure.XdpDatapathException naming what failed and the fix, once every socket
     *     opened so far is closed (which takes it out of its slots) and every map descriptor and agent connection
     */
    public static List<MapBinding> open(List<XdpMapConfig> configs, DatapathSettings settings,
            RouteNetlinkSocket netlink) {
        checkDistinctInterfaces(configs);
        List<Prepared> prepared = new ArrayList<>();
        List<MapBinding> bindings = new ArrayList<>();
        try {
            for (XdpMapConfig config : configs) {
                prepared.add(prepare(config, netlink));
            }
            checkDistinctMaps(prepared);
            int socketCount = prepared.stream().mapToInt(p -> p.queues.size()).sum();
            // every socket is bound before any is inserted: most failures (busy queue, memlock) then
            // happen before a map is touched at all
            for (Prepared map : prepared) {
                bindings.add(openSockets(map, settings, socketCount));
            }
            for (MapBinding binding : bindings) {
                insert(binding);
            }
            return bindings;
        }
        catch (RuntimeException | Error failure) {
            for (MapBinding binding : bindings) {
                binding.queues().forEach(Queue::close);
            }
            prepared.forEach(Prepared::close);
            throw failure;
        }
    }

    private static void checkDistinctInterfaces(List<XdpMapConfig> configs) {
        if (configs.isEmpty()) {
            throw new InvalidMapConfigException("No XDP map is configured.",
                    "Configure at least one interface with the path of its pinned XSKMAP.", null, null, null, 0, null);
        }
        Set<String> seen = new HashSet<>();
        for (XdpMapConfig config : configs) {
            if (!seen.add(config.interfaceName())) {
                throw new InvalidMapConfigException("Interface " + config.interfaceName() + " is configured twice.",
                        "Configure each interface once, with the one XSKMAP its XDP program redirects into.",
                        config.interfaceName(), config.mapPath(), null, 0, null);
            }
        }
    }

    private static void checkDistinctMaps(List<Prepared> prepared) {
        Map<Integer, Prepared> byId = new HashMap<>();
        for (Prepared map : prepared) {
            Prepared other = byId.putIfAbsent(map.info.id(), map);
            if (other != null) {
                throw new InvalidMapConfigException("Interfaces " + other.config.interfaceName() + " and "
                        + map.config.interfaceName() + " are configured with the same XSKMAP (id " + map.info.id()
                        + "), whose keys are queue indexes and would collide.",
                        "Give each interface its own XSKMAP.", map.config.interfaceName(), map.config.mapPath(),
                        null, 0, null);
            }
        }
    }

    private static Prepared prepare(XdpMapConfig config, RouteNetlinkSocket netlink) {
        LinkInfo link;
        try {
            link = netlink.link(config.interfaceName());
        }
        catch (IOException ex) {
            throw StartupFailures.interfaceLookup(config, ex);
        }
        if (link.mac() == 0) {
            throw StartupFailures.notEthernet(config);
        }
        int rxQueues = link.bindableRxQueues();
        List<Integer> queues = config.queues().isEmpty()
                ? IntStream.range(0, rxQueues).boxed().toList() : config.queues();
        for (int queue : queues) {
            if (queue >= rxQueues) {
                throw StartupFailures.queueMissing(config, queue, rxQueues);
            }
        }
        return switch (config.source().kind()) {
            case PINNED_MAP -> checked(config, link, queues, openPin(config));
            case DEVICE_PLUGIN -> checked(config, link, queues, fromDevicePlugin(config));
            case AGENT -> fromAgent(config, link, queues);
        };
    }

    /** Checks that {@code map}, open in this process, is an XSKMAP with a slot for every queue. */
    private static Prepared checked(XdpMapConfig config, LinkInfo link, List<Integer> queues, BpfMap map) {
        boolean pinned = config.source().kind() == MapSource.Kind.PINNED_MAP;
        int rxQueues = link.bindableRxQueues();
        try {
            BpfMapInfo info = map.info();
            if (!info.is(BpfMapType.XSKMAP) || info.keySize() != 4 || info.valueSize() != 4) {
                String found = "a map of type " + info.typeName() + " named '" + info.name() + "' (id " + info.id()
                        + ", key " + info.keySize() + " bytes, value " + info.valueSize() + " bytes)";
                throw pinned ? StartupFailures.notAnXskMap(config, found) : SourceFailures.notAnXskMap(config, found);
            }
            int highest = queues.stream().mapToInt(Integer::intValue).max().orElse(0);
            if (highest >= info.maxEntries()) {
                throw pinned ? StartupFailures.mapTooSmall(config, info.maxEntries(), highest, rxQueues)
                        : SourceFailures.mapTooSmall(config, info.maxEntries(), highest, rxQueues);
            }
            return new Prepared(config, link, map, info, queues, null);
        }
        catch (NativeIoException ex) {
            map.close();
            if (ex.errno() == Errno.EPERM) {
                // the device plugin's map under Docker's default seccomp: the first bpf() call is this one
                throw StartupFailures.bpfRefused("The kernel refused the bpf() system call to read the map from "
                        + config.source(), "the map from " + config.source(), BpfRefusal.ofCallingThread(), config,
                        null, ex);
            }
            throw StartupFailures.other("Reading the map from " + config.source(), config, null, ex);
        }
        catch (RuntimeException | Error ex) {
            map.close();
            throw ex;
        }
    }

    private static BpfMap fromDevicePlugin(XdpMapConfig config) {
        Path socket = config.source().path();
        DevicePluginClient.Handover handover;
        try {
            handover = DevicePluginClient.requestMap(socket, config.interfaceName(), DevicePluginClient.hostname(),
                    SOURCE_TIMEOUT);
        }
        catch (IOException ex) {
            throw SourceFailures.unreachable(config, SOURCE_TIMEOUT, ex);
        }
        try {
            return BpfMap.adopt(handover.mapFd(), "the AF_XDP device plugin on " + socket);
        }
        catch (BpfSetupException ex) {
            throw SourceFailures.notAnXskMap(config, "not a map (" + ex.getMessage() + ")");
        }
        catch (IOException ex) {
            throw StartupFailures.other("Reading the descriptor from " + config.source(), config, null, ex);
        }
    }

    /** Connects to the agent and asks for its map: the agent checked it, this process makes no bpf() call. */
    private static Prepared fromAgent(XdpMapConfig config, LinkInfo link, List<Integer> queues) {
        AgentClient agent;
        try {
            agent = AgentClient.connect(config.source().path(), SOURCE_TIMEOUT);
        }
        catch (IOException ex) {
            throw SourceFailures.unreachable(config, SOURCE_TIMEOUT, ex);
        }
        try {
            AgentClient.AgentMap map = agent.map(config.interfaceName());
            int highest = queues.stream().mapToInt(Integer::intValue).max().orElse(0);
            if (highest >= map.maxEntries()) {
                throw SourceFailures.mapTooSmall(config, map.maxEntries(), highest, link.bindableRxQueues());
            }
            BpfMapInfo info = new BpfMapInfo(map.id(), BpfMapType.XSKMAP.id(), 4, 4, map.maxEntries(), 0, map.name());
            return new Prepared(config, link, null, info, queues, agent);
        }
        catch (IOException ex) {
            agent.close();
            throw SourceFailures.unreachable(config, SOURCE_TIMEOUT, ex);
        }
        catch (RuntimeException | Error ex) {
            agent.close();
            throw ex;
        }
    }

    private static BpfMap openPin(XdpMapConfig config) {
        Path path = config.mapPath();
        try {
            return BpfMap.openPinned(path);
        }
        catch (BpfSetupException ex) {
            throw StartupFailures.notAnXskMap(config, "not a map (" + ex.getMessage() + ")");
        }
        catch (NativeIoException ex) {
            if (ex.errno() == Errno.ENOENT || ex.errno() == Errno.EACCES || ex.errno() == Errno.EINVAL) {
                if (!onBpffs(path)) {
                    throw StartupFailures.notOnBpffs(config, ex);
                }
                if (ex.errno() == Errno.ENOENT) {
                    throw StartupFailures.pinMissing(config, ex);
                }
            }
            if (ex.errno() == Errno.EACCES || ex.errno() == Errno.EPERM) {
                throw StartupFailures.pinAccess(config, ex);
            }
            throw StartupFailures.other("Opening the map pinned at " + path, config, null, ex);
        }
        catch (IOException ex) {
            throw StartupFailures.other("Opening the map pinned at " + path, config, null, ex);
        }
    }

    /** Whether the path, or the nearest directory above it that exists, is on bpffs. */
    private static boolean onBpffs(Path path) {
        for (Path candidate = path; candidate != null; candidate = candidate.getParent()) {
            try {
                return Bpf.isOnBpfFileSystem(candidate.toString());
            }
            catch (NativeIoException ex) {
                // not there: look at the directory above
            }
        }
        return false;
    }

    private static MapBinding openSockets(Prepared prepared, DatapathSettings settings, int socketCount) {
        XdpMapConfig config = prepared.config;
        List<XdpSocket> sockets = new ArrayList<>();
        try {
            for (int queue : prepared.queues) {
                try {
                    sockets.add(XdpSocket.open(prepared.link.index(), queue, XskParameters.of(settings),
                            settings.queueReleaseTimeout()));
                }
                catch (NativeIoException ex) {
                    throw StartupFailures.socket(config, queue, settings.bindMode(), settings.umemBytes(),
                            socketCount, ex);
                }
            }
            return bound(prepared, sockets, settings.udpChecksumPolicy(), settings.txPath());
        }
        catch (RuntimeException | Error ex) {
            sockets.forEach(XdpSocket::close);
            throw ex;
        }
    }

    /**
     * The queues over {@code sockets}: each queue without a transmit queue of its own sends through one that has
     * one, spread evenly. Fails when no configured queue can send, since replies would vanish without an error.
     */
    private static MapBinding bound(Prepared prepared, List<XdpSocket> sockets, UdpChecksumPolicy checksumPolicy,
            TxPath txPath) {
        LinkInfo link = prepared.link;
        String name = prepared.config.interfaceName();
        Queue[] queues = new Queue[sockets.size()];
        List<Transmitter> transmitters = new ArrayList<>();
        for (int i = 0; i < queues.length; i++) {
            if (prepared.queues.get(i) < link.transmitQueues()) {
                queues[i] = new Queue(name, prepared.queues.get(i), sockets.get(i), link.mac(), link.mtu(),
                        checksumPolicy, txPath, null);
                transmitters.add(queues[i].transmitter());
            }
        }
        if (transmitters.isEmpty()) {
            throw StartupFailures.noTransmitQueue(prepared.config, prepared.queues, link.transmitQueues());
        }
        int next = 0;
        for (int i = 0; i < queues.length; i++) {
            if (queues[i] == null) {
                queues[i] = new Queue(name, prepared.queues.get(i), sockets.get(i), link.mac(), link.mtu(),
                        checksumPolicy, txPath, transmitters.get(next++ % transmitters.size()));
            }
        }
        return new MapBinding(prepared.config, link, prepared.map, prepared.info, List.of(queues),
                List.copyOf(transmitters), prepared.agent);
    }

    private static void insert(MapBinding binding) {
        XdpMapConfig config = binding.config();
        for (Queue opened : binding.queues()) {
            int queue = opened.queueId();
            if (binding.agent != null) {
                try {
                    binding.agent.insert(config.interfaceName(), queue, opened.socket().fd());
                }
                catch (AgentRefusedException ex) {
                    throw SourceFailures.agentRefused(config, queue, ex);
                }
                catch (IOException ex) {
                    throw SourceFailures.unreachable(config, SOURCE_TIMEOUT, ex);
                }
            }
            else {
                try {
                    binding.map.update(queue, opened.socket().fd(), BpfMap.BPF_NOEXIST);
                }
                catch (NativeIoException ex) {
                    boolean pinned = config.source().kind() == MapSource.Kind.PINNED_MAP;
                    if (!pinned && ex.errno() == Errno.EPERM) {
                        throw StartupFailures.bpfRefused("Inserting the AF_XDP socket of "
                                + config.interfaceName() + " queue " + queue + " into the map from "
                                + config.source() + " was refused", "the map from " + config.source(),
                                BpfRefusal.ofCallingThread(), config, queue, ex);
                    }
                    throw pinned ? StartupFailures.insert(config, queue, ex)
                            : SourceFailures.insert(config, queue, ex);
                }
            }
            opened.markInMap(true);
        }
    }

    /**
     * A configuration checked against the kernel, with its map open in this process, or, with the agent, the
     * agent's description of it and the connection to the agent.
     */
    private record Prepared(XdpMapConfig config, LinkInfo link, BpfMap map, BpfMapInfo info, List<Integer> queues,
            AgentClient agent) {

        void close() {
            if (map != null) {
                map.close();
            }
            if (agent != null) {
                agent.close();
            }
        }
    }
}
