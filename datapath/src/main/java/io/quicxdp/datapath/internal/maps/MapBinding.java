package io.quicxdp.datapath.internal.maps;

import io.quicxdp.datapath.config.MapSource;
import io.quicxdp.datapath.config.XdpMapConfig;
import io.quicxdp.datapath.internal.bpf.BpfMap;
import io.quicxdp.datapath.internal.bpf.BpfMapInfo;
import io.quicxdp.datapath.internal.bpf.PinAccess;
import io.quicxdp.datapath.internal.bpf.XskMapProbe;
import io.quicxdp.datapath.internal.linux.Errno;
import io.quicxdp.datapath.internal.linux.NativeIoException;
import io.quicxdp.datapath.internal.netlink.LinkInfo;
import io.quicxdp.datapath.internal.netlink.RouteNetlinkSocket;
import io.quicxdp.datapath.internal.queue.Queue;
import io.quicxdp.datapath.internal.queue.Transmitter;
import io.quicxdp.datapath.internal.source.AgentClient;
import io.quicxdp.datapath.state.LinkStatus;
import io.quicxdp.datapath.state.MapInspection;
import io.quicxdp.datapath.state.MapState;
import io.quicxdp.datapath.state.PinStatus;
import io.quicxdp.datapath.state.SlotStatus;
import io.quicxdp.datapath.state.SourceStatus;
import java.io.IOException;
import java.lang.System.Logger.Level;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.OptionalInt;

/**
 * One configured map once opened: the interface, our descriptor of the application's XSKMAP (never
 * pinned, unpinned or changed other than our own slots), or, with the agent, the connection to the agent
 * that inserted our sockets, and the queues whose sockets sit in it. It reports how all of them stand.
 */
public final class MapBinding {

    private static final System.Logger LOG = System.getLogger(MapBinding.class.getName());

    private final XdpMapConfig config;

    private final LinkInfo link;

    /** Our descriptor of the map, or {@code null} when the agent inserts for us. */
    final BpfMap map;

    /** The map as the kernel describes it, to us or, with the agent, to the agent. */
    private final BpfMapInfo info;

    /** The connection to the agent that inserted our sockets, or {@code null}. */
    final AgentClient agent;

    private final List<Queue> queues;

    /** The transmitters of the queues whose sockets can send: those with a transmit queue of their own. */
    private final List<Transmitter> transmitters;

    /** Loaded on the first inspection and kept: loading is the expensive part. */
    private XskMapProbe probe;

    private String probeFailure;

    private boolean closed;

    private volatile boolean lossReported;

    MapBinding(XdpMapConfig config, LinkInfo link, BpfMap map, BpfMapInfo info, List<Queue> queues,
            List<Transmitter> transmitters, AgentClient agent) {
        this.config = config;
        this.link = link;
        this.map = map;
        this.info = info;
        this.agent = agent;
        this.queues = queues;
        this.transmitters = transmitters;
    }

    public XdpMapConfig config() {
        return config;
    }

    /** The interface's index, which routes name. */
    public int ifindex() {
        return link.index();
    }

    /** The map's queues, in the order configured. */
    public List<Queue> queues() {
        return queues;
    }

    /** The transmitters that can send on the interface, at least one. */
    public List<Transmitter> transmitters() {
        return transmitters;
    }

    /**
     * Checks the pin, if any, the source and our slots. Costs a few system calls: opening the pin read-only
     * and reading its id, and one BPF_PROG_TEST_RUN per slot. With the agent it makes no {@code bpf()} call:
     * the slots are then not looked into.
     */
    public synchronized MapInspection inspect(LinkCheck linkNow) {
        MapSource source = config.source();
        PinCheck pinNow = checkPin();
        PinStatus pin = pinNow.status();
        String detail = pinNow.detail();
        SourceStatus status = sourceStatus();
        Map<Integer, SlotStatus> slots = new LinkedHashMap<>();
        XskMapProbe loaded = map == null ? null : probe();
        for (Queue queue : queues) {
            slots.put(queue.queueId(), loaded == null ? SlotStatus.UNKNOWN : slot(loaded, queue));
        }
        if (loaded == null && detail == null) {
            detail = map == null ? "slots are not looked into: with the agent, this process makes no bpf() call"
                    : probeFailure;
        }
        return new MapInspection(config.interfaceName(), source, info.id(), pin, status, slots, detail,
                sourceDetail(status), linkNow.status(), link.xdpProgramId(), linkNow.xdpProgram());
    }

    /** What the configured pin refers to now: opens it read-only and reads the map's id. */
    private PinCheck checkPin() {
        MapSource source = config.source();
        if (source.kind() != MapSource.Kind.PINNED_MAP) {
            return new PinCheck(PinStatus.NOT_PINNED, null);
        }
        try (BpfMap current = BpfMap.openPinned(source.path(), PinAccess.READ_ONLY)) {
            int id = current.info().id();
            return id == info.id() ? new PinCheck(PinStatus.SAME_MAP, null)
                    : new PinCheck(PinStatus.REPLACED, source.path() + " now refers to map id " + id + ", not "
                            + info.id());
        }
        catch (NativeIoException ex) {
            return ex.errno() == Errno.ENOENT ? new PinCheck(PinStatus.REMOVED, "nothing is pinned at " + source.path())
                    : new PinCheck(PinStatus.UNREADABLE, ex.getMessage());
        }
        catch (IOException ex) {
            return new PinCheck(PinStatus.REPLACED, ex.getMessage());
        }
    }

    /**
     * How the interface stands now, asked of the kernel by index through {@code links} (one
     * {@code RTM_GETLINK}): an index no interface has any more means ours was deleted.
     */
    public LinkCheck checkLink(RouteNetlinkSocket links) {
        try {
            LinkInfo now = links.link(link.index());
            return new LinkCheck(now.up() && now.running() ? LinkStatus.UP : LinkStatus.DOWN, now.xdpProgramId());
        }
        catch (NativeIoException ex) {
            return new LinkCheck(ex.errno() == Errno.ENODEV ? LinkStatus.GONE : LinkStatus.UNKNOWN, 0);
        }
        catch (IOException | RuntimeException ex) {
            return new LinkCheck(LinkStatus.UNKNOWN, 0);
        }
    }

    /** A pin's status and, when it is not the same map, what it refers to. */
    private record PinCheck(PinStatus status, String detail) {
    }

    /** An interface's status and the id of the XDP program attached to it now. */
    public record LinkCheck(LinkStatus status, int xdpProgram) {

        /** What a closed datapath reports: it asks the kernel nothing. */
        public static final LinkCheck CLOSED = new LinkCheck(LinkStatus.UNKNOWN, 0);
    }

    /** How the map's source stands; the first time the agent is found lost, says so in the log. */
    SourceStatus sourceStatus() {
        SourceStatus status = switch (config.source().kind()) {
            case PINNED_MAP -> SourceStatus.PINNED;
            case AGENT -> agent.lost() ? SourceStatus.LOST : SourceStatus.CONNECTED;
            // the descriptor is ours once handed over: the plugin's socket going is the plugin's usual way
            case DEVICE_PLUGIN -> SourceStatus.HANDED_OVER;
        };
        if (status == SourceStatus.LOST && agent != null && !lossReported && !closed) {
            lossReported = true;
            LOG.log(Level.WARNING, lostDetail());
        }
        return status;
    }

    private String lostDetail() {
        return "the quic-xdp agent on " + config.source().path() + " closed the connection: the sockets of "
                + config.interfaceName() + " stay in their slots and traffic flows, but a restart of the "
                + "application needs the agent back";
    }

    private String sourceDetail(SourceStatus status) {
        if (status == SourceStatus.LOST) {
            return lostDetail();
        }
        if (status == SourceStatus.HANDED_OVER && !isSocket(config.source().path())) {
            return "the plugin's socket " + config.source().path() + " is gone since the hand-off, as the AF_XDP "
                    + "device plugin removes it once it has served the pod; the map's descriptor is this "
                    + "process's";
        }
        return null;
    }

    private static boolean isSocket(Path path) {
        try {
            return Files.readAttributes(path, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS).isOther();
        }
        catch (IOException ex) {
            return false;
        }
    }

    private static SlotStatus slot(XskMapProbe probe, Queue queue) {
        try {
            OptionalInt found = probe.queueIdAt(queue.queueId());
            if (found.isEmpty()) {
                return SlotStatus.EMPTY;
            }
            boolean ours = queue.inMap() && !queue.socket().isClosed() && found.getAsInt() == queue.queueId();
            return ours ? SlotStatus.OURS : SlotStatus.OTHER_SOCKET;
        }
        catch (NativeIoException ex) {
            return SlotStatus.UNKNOWN;
        }
    }

    private XskMapProbe probe() {
        if (probe == null && probeFailure == null && !closed) {
            try {
                probe = XskMapProbe.load(map);
            }
            catch (IOException ex) {
                boolean denied = ex instanceof NativeIoException n
                        && (n.errno() == Errno.EPERM || n.errno() == Errno.EACCES);
                probeFailure = denied
                        ? "slots cannot be looked into: loading the read-only probe program needs CAP_BPF and "
                                + "CAP_NET_ADMIN (" + ((NativeIoException) ex).errnoName() + ")"
                        : "slots cannot be looked into: " + ex.getMessage();
            }
        }
        return probe;
    }

    public synchronized void close() {
        closed = true;
        if (probe != null) {
            probe.close();
            probe = null;
        }
        if (map != null) {
            map.close();
        }
        if (agent != null) {
            agent.close();
        }
    }

    public MapState state(LinkCheck linkNow) {
        List<Integer> held = queues.stream().filter(Queue::inMap).map(Queue::queueId).toList();
        return new MapState(config.interfaceName(), config.source(), sourceStatus(), info.id(), info.name(),
                info.typeName().toLowerCase(Locale.ROOT), info.maxEntries(), held, checkPin().status(), linkNow.status(),
                link.xdpProgramId(), linkNow.xdpProgram());
    }
}
