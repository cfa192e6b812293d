package io.quicxdp.autoconfigure.actuate.health;

import io.quicxdp.datapath.XdpDatapath;
import io.quicxdp.datapath.state.FillRingStarvation;
import io.quicxdp.datapath.state.LinkStatus;
import io.quicxdp.datapath.state.MapInspection;
import io.quicxdp.datapath.state.PinStatus;
import io.quicxdp.datapath.state.SlotStatus;
import io.quicxdp.datapath.state.SocketState;
import java.time.Duration;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import org.jspecify.annotations.Nullable;
import org.springframework.boot.health.contributor.AbstractHealthIndicator;
import org.springframework.boot.health.contributor.Health;

/**
 * The health of one configured map: UP while every configured queue has its socket bound and in the
 * map, the pin (for a pinned map) still refers to the map the datapath opened, and each of our slots holds
 * our socket; DOWN, naming the queue and the reason, otherwise.
 *
 * <p>The {@code link} detail says whether the interface is up, down (DOWN until it is up again; traffic then
 * resumes by itself) or gone (DOWN: the kernel unbound its sockets). The {@code xdpProgram} detail names the
 * program attached to the interface: none is DOWN, since nothing is redirected; another than at start stays
 * UP, since which map a program redirects into cannot be seen without CAP_SYS_ADMIN, and says what to check.
 *
 * <p>The {@code source} detail says where the map came from ({@code path}, {@code device-plugin-socket} or
 * {@code agent-socket}) and how that source stands. A lost agent, or a device plugin's socket gone since the
 * hand-off, is reported there but leaves the map UP: the sockets stay in their slots and traffic flows.
 *
 * <p>A check reads the state of this interface's sockets and makes a few read-only system calls (the
 * pin's identity, one probe run per slot); it never changes a map. Where the slots cannot be read (the probe
 * needs CAP_BPF and CAP_NET_ADMIN), each queue says that its slot was not verified, and why.
 *
 * <p>A socket is starved when the kernel has found its fill ring empty while it received nothing, counted
 * from the last check at which it was received on or idle: once starved it stays DOWN, whoever checks how
 * often, until it receives again. The first check of a socket sets that baseline.
 *
 * <p>A socket that keeps receiving while the kernel keeps finding its fill ring empty is overloaded, not
 * broken: packets arrive faster than its loop gives frames back, and the kernel drops the rest. That stays UP;
 * once such a stretch ({@link SocketState#fillRingStarvation()}) has lasted the threshold, the
 * {@code fillRing} detail names the queue, since when and how many packets found no frame, and keeps saying so
 * after the stretch ended, until a later one passes the threshold.
 */
public class XdpMapHealthIndicator extends AbstractHealthIndicator {

    private final XdpDatapath datapath;

    private final String interfaceName;

    private final Duration starvedThreshold;

    /** Per queue, the kernel's fill-ring-empty count and our received count when the socket was last fine. */
    private final Map<Integer, long[]> baseline = new HashMap<>();

    /** Per queue, the latest stretch of fill-ring starvation that lasted the threshold. */
    private final Map<Integer, FillRingStarvation> starvedLong = new HashMap<>();

    /**
     * Creates the indicator.
     *
     * @param datapath the datapath
     * @param interfaceName the interface of the map to check
     * @param starvedThreshold how long a queue's fill ring must have starved while it received before the
     *     {@code fillRing} detail reports it
     */
    public XdpMapHealthIndicator(XdpDatapath datapath, String interfaceName, Duration starvedThreshold) {
        super("XDP map health check failed");
        this.datapath = datapath;
        this.interfaceName = interfaceName;
        this.starvedThreshold = starvedThreshold;
    }

    @Override
    protected synchronized void doHealthCheck(Health.Builder builder) {
        Optional<MapInspection> inspected;
        try {
            inspected = this.datapath.inspectMap(this.interfaceName);
        }
        catch (IllegalStateException ex) {
            // closed since, or while, the check began
            builder.down().withDetail("interface", this.interfaceName).withDetail("reason", "the datapath is closed");
            return;
        }
        MapInspection inspection = inspected
            .orElseThrow(() -> new IllegalStateException("interface " + this.interfaceName + " is not configured"));
        List<SocketState> sockets = this.datapath.sockets(this.interfaceName);
        Map<String, String> queues = new LinkedHashMap<>();
        Map<String, String> fillRing = new LinkedHashMap<>();
        boolean up = (inspection.pin() == PinStatus.SAME_MAP || inspection.pin() == PinStatus.NOT_PINNED)
                && inspection.link() != LinkStatus.GONE && inspection.link() != LinkStatus.DOWN
                && (inspection.xdpProgram() != 0 || inspection.link() == LinkStatus.UNKNOWN);
        for (SocketState socket : sockets) {
            String starved = starved(socket);
            String problem = linkProblem(inspection.link());
            problem = (problem != null) ? problem : problem(socket, inspection.slots().get(socket.queueId()));
            problem = (problem != null) ? problem : starved;
            up &= problem == null;
            queues.put(Integer.toString(socket.queueId()),
                    (problem != null) ? problem : fine(inspection.slots().get(socket.queueId()), inspection));
            String overloaded = starvedLong(socket);
            if (overloaded != null) {
                fillRing.put(Integer.toString(socket.queueId()), overloaded);
            }
        }
        (up ? builder.up() : builder.down()).withDetail("interface", this.interfaceName)
            .withDetail("source", source(inspection))
            .withDetail("path", inspection.path().toString())
            .withDetail("mapId", inspection.mapId())
            .withDetail("pin", pin(inspection))
            .withDetail("link", link(inspection.link()))
            .withDetail("xdpProgram", program(inspection))
            .withDetail("queues", queues);
        if (!fillRing.isEmpty()) {
            builder.withDetail("fillRing", fillRing);
        }
    }

    private static @Nullable String linkProblem(LinkStatus link) {
        return switch (link) {
            case GONE -> "interface gone: the kernel unbound the socket; restart once the interface exists again";
            case DOWN -> "link down: nothing arrives until it is up again, then traffic resumes by itself";
            case UP, UNKNOWN -> null;
        };
    }

    private static String link(LinkStatus link) {
        return switch (link) {
            case UP -> "up";
            case DOWN -> "down";
            case GONE -> "gone: no interface has the index the sockets were bound to";
            case UNKNOWN -> "unknown: the kernel could not be asked";
        };
    }

    private static String program(MapInspection inspection) {
        int now = inspection.xdpProgram();
        int atStart = inspection.xdpProgramAtOpen();
        if (inspection.link() == LinkStatus.GONE || inspection.link() == LinkStatus.UNKNOWN) {
            return "unknown: the interface cannot be read";
        }
        if (now == 0) {
            return "none attached: nothing is redirected into the map (id " + atStart + " at start)";
        }
        if (now != atStart) {
            return "replaced: id " + now + " now, " + atStart + " at start; which map it redirects into is not "
                    + "visible here: check with bpftool prog show id " + now;
        }
        return "id " + now + ", as at start";
    }

    private static @Nullable String problem(SocketState socket, @Nullable SlotStatus slot) {
        if (!socket.bound()) {
            return "socket closed";
        }
        if (!socket.inMap()) {
            return "socket not in the map";
        }
        if (slot == SlotStatus.EMPTY) {
            return "slot emptied by someone else: key " + socket.queueId() + " holds no socket";
        }
        if (slot == SlotStatus.OTHER_SOCKET) {
            return "slot taken over: key " + socket.queueId() + " holds another socket";
        }
        return null;
    }

    private static String fine(@Nullable SlotStatus slot, MapInspection inspection) {
        return (slot == SlotStatus.UNKNOWN) ? "bound and in the map; slot not verified: " + inspection.detail() : "ok";
    }

    /** Whether the kernel found the fill ring empty since the baseline while the socket received nothing. */
    private @Nullable String starved(SocketState socket) {
        if (socket.kernel() == null) {
            return null;
        }
        long fillRingEmpty = socket.kernel().rxFillRingEmpty();
        long[] base = this.baseline.get(socket.queueId());
        if (base != null && fillRingEmpty > base[0] && socket.rxPackets() == base[1]) {
            return "fill ring starved: the kernel found no free frame " + (fillRingEmpty - base[0])
                    + " times while nothing was received";
        }
        this.baseline.put(socket.queueId(), new long[] { fillRingEmpty, socket.rxPackets() });
        return null;
    }

    /** The latest stretch of starvation of this queue that lasted the threshold, described; null if none did. */
    private @Nullable String starvedLong(SocketState socket) {
        FillRingStarvation latest = socket.fillRingStarvation();
        if (latest.since() != null && latest.duration().compareTo(this.starvedThreshold) >= 0) {
            this.starvedLong.put(socket.queueId(), latest);
        }
        FillRingStarvation reported = this.starvedLong.get(socket.queueId());
        if (reported == null) {
            return null;
        }
        String lost = reported.packets() + " packets found no free frame and the kernel dropped them";
        if (reported.ongoing() && reported.equals(latest)) {
            return "starving for " + seconds(reported.duration()) + ", since " + reported.since() + ": " + lost
                    + "; the queue's loop does not keep up with what arrives";
        }
        return "starved for " + seconds(reported.duration()) + ", from " + reported.since() + " to "
                + reported.lastSeen() + ": " + lost;
    }

    private static String seconds(Duration duration) {
        return String.format(Locale.ROOT, "%.1f s", duration.toMillis() / 1000.0);
    }

    private static Map<String, String> source(MapInspection inspection) {
        Map<String, String> source = new LinkedHashMap<>();
        source.put("type", inspection.source().kind().key());
        source.put("status", switch (inspection.sourceStatus()) {
            case PINNED -> "pinned";
            case CONNECTED -> "connected";
            case HANDED_OVER -> "handed over" + ((inspection.sourceDetail() != null)
                    ? ": " + inspection.sourceDetail() : "");
            case LOST -> "lost: " + inspection.sourceDetail();
        });
        return source;
    }

    private static String pin(MapInspection inspection) {
        return switch (inspection.pin()) {
            case NOT_PINNED -> "none: the map came from " + inspection.source();
            case SAME_MAP -> "the same map";
            case REMOVED -> "removed: " + inspection.detail();
            case REPLACED -> "replaced: " + inspection.detail();
            case UNREADABLE -> "unreadable: " + inspection.detail();
        };
    }
}
