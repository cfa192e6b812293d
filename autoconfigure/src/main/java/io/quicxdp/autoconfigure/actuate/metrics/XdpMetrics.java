package io.quicxdp.autoconfigure.actuate.metrics;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.binder.BaseUnits;
import io.micrometer.core.instrument.binder.MeterBinder;
import io.quicxdp.autoconfigure.http3.Http3State;
import io.quicxdp.autoconfigure.http3.XdpHttp3Status;
import io.quicxdp.datapath.XdpDatapath;
import io.quicxdp.datapath.state.DatapathState;
import io.quicxdp.datapath.state.DropReason;
import io.quicxdp.datapath.state.FrameAccounting;
import io.quicxdp.datapath.state.LinkStatus;
import io.quicxdp.datapath.state.MapInspection;
import io.quicxdp.datapath.state.MapState;
import io.quicxdp.datapath.state.SlotStatus;
import io.quicxdp.datapath.state.SocketState;
import io.quicxdp.datapath.state.XdpStatistics;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.function.ToIntFunction;
import java.util.function.ToLongFunction;
import org.jspecify.annotations.Nullable;

/**
 * Micrometer meters over the datapath's counters: per socket (tags {@code interface}, {@code queue})
 * received and sent packets and bytes, partial checksums accepted, back-pressure, drops by {@code reason},
 * the kernel's {@code XDP_STATISTICS}, and a gauge of the receive frames by {@code state}; per map (tag
 * {@code interface}) gauges of the sockets in the map, of the configured queues' slots by what they hold
 * ({@code status}: {@code ours}, {@code empty}, {@code other_socket}, {@code unknown}), and of the XDP program
 * on the interface ({@code status}: {@code as_at_start}, {@code replaced}, {@code none}, {@code unknown}; 1
 * for the one that holds).
 *
 * <p>The slots are read as the health check reads them (a probe run per slot, see
 * {@link XdpDatapath#inspectMaps()}), once per snapshot; without the capabilities that needs, they count as
 * {@code unknown}.
 *
 * <p>Meters read a snapshot of the datapath's state that is taken at most once per
 * {@link #SNAPSHOT_MAX_AGE_NANOS}, so that one scrape costs one state read whatever the number of meters;
 * a snapshot is only ever replaced by a newer one, so counters never go back. Reading the state takes no
 * lock the poll threads take, so reading does not slow them.
 */
public class XdpMetrics implements MeterBinder {

    /** How long a state snapshot serves meter reads: one scrape reads every meter well within it. */
    static final long SNAPSHOT_MAX_AGE_NANOS = 200_000_000L;

    private static final String PACKETS = "packets";

    private final XdpDatapath datapath;

    private final @Nullable XdpHttp3Status http3;

    private volatile Snapshot snapshot;

    /**
     * Creates the meters' source.
     *
     * @param datapath the datapath whose counters the meters read
     */
    public XdpMetrics(XdpDatapath datapath) {
        this(datapath, null);
    }

    /**
     * Creates the meters' source, with the HTTP/3 server's.
     *
     * @param datapath the datapath whose counters the meters read
     * @param http3 the HTTP/3 server served through the datapath, or {@code null}
     */
    public XdpMetrics(XdpDatapath datapath, @Nullable XdpHttp3Status http3) {
        this.datapath = datapath;
        this.http3 = http3;
        this.snapshot = new Snapshot(datapath.state(), inspections(), http3State(), System.nanoTime(),
                new XdpStatistics[0]);
    }

    @Override
    public void bindTo(MeterRegistry registry) {
        List<SocketState> sockets = this.snapshot.state.sockets();
        for (int i = 0; i < sockets.size(); i++) {
            SocketState socket = sockets.get(i);
            Tags tags = Tags.of("interface", socket.interfaceName(), "queue", Integer.toString(socket.queueId()));
            int index = i;
            counter(registry, "quic.xdp.rx.packets", tags, PACKETS, "Frames received, dropped ones included",
                    index, SocketState::rxPackets);
            counter(registry, "quic.xdp.rx.bytes", tags, BaseUnits.BYTES, "Bytes received, Ethernet headers included",
                    index, SocketState::rxBytes);
            counter(registry, "quic.xdp.rx.partial.checksum", tags, null,
                    "Datagrams accepted with the partial UDP checksum of a sender on this host with TX checksum "
                            + "offload on",
                    index, SocketState::rxPartialChecksum);
            counter(registry, "quic.xdp.tx.packets", tags, PACKETS, "Frames sent", index,
                    SocketState::txPackets);
            counter(registry, "quic.xdp.tx.bytes", tags, BaseUnits.BYTES, "Bytes sent, Ethernet headers included", index,
                    SocketState::txBytes);
            counter(registry, "quic.xdp.tx.back.pressure", tags, null,
                    "Sends refused because every TX frame or TX ring entry was in use", index,
                    SocketState::txBackPressure);
            for (DropReason reason : DropReason.values()) {
                counter(registry, "quic.xdp.drops", tags.and("reason", reason.metricName()), null,
                        "Received frames dropped, by reason", index, (state) -> state.drops().getOrDefault(reason, 0L));
            }
            frames(registry, tags.and("state", "with_kernel"), index, FrameAccounting::withKernel);
            frames(registry, tags.and("state", "held"), index, FrameAccounting::held);
            frames(registry, tags.and("state", "free"), index, FrameAccounting::free);
            kernel(registry, "quic.xdp.kernel.rx.dropped", tags, "Frames the kernel dropped for other reasons", index,
                    XdpStatistics::rxDropped);
            kernel(registry, "quic.xdp.kernel.rx.invalid.descriptors", tags, "Invalid descriptors on the RX side",
                    index, XdpStatistics::rxInvalidDescriptors);
            kernel(registry, "quic.xdp.kernel.tx.invalid.descriptors", tags, "Invalid descriptors put on the TX ring",
                    index, XdpStatistics::txInvalidDescriptors);
            kernel(registry, "quic.xdp.kernel.rx.ring.full", tags, "Frames dropped because the RX ring was full",
                    index, XdpStatistics::rxRingFull);
            kernel(registry, "quic.xdp.kernel.fill.ring.empty", tags,
                    "Times a frame arrived while the fill ring had no free frame", index, XdpStatistics::rxFillRingEmpty);
            kernel(registry, "quic.xdp.kernel.tx.ring.empty", tags, "Times the kernel found the TX ring empty when woken",
                    index, XdpStatistics::txRingEmpty);
        }
        if (this.http3 != null) {
            bindHttp3(registry);
        }
        for (MapState map : this.snapshot.state.maps()) {
            String name = map.interfaceName();
            Gauge.builder("quic.xdp.sockets.in.map", this, (metrics) -> metrics.socketsInMap(name))
                .tags("interface", name)
                .description("Sockets of this process in the interface's XSKMAP")
                .register(registry);
            for (SlotStatus status : SlotStatus.values()) {
                Gauge.builder("quic.xdp.map.slots", this, (metrics) -> metrics.slots(name, status))
                    .tags("interface", name, "status", status.name().toLowerCase(Locale.ROOT))
                    .description("Slots of the configured queues in the XSKMAP, by what they hold: our socket, none, "
                            + "another socket, or not known")
                    .register(registry);
            }
            for (ProgramStatus status : ProgramStatus.values()) {
                Gauge.builder("quic.xdp.map.xdp.program", this, (metrics) -> (metrics.program(name) == status) ? 1 : 0)
                    .tags("interface", name, "status", status.name().toLowerCase(Locale.ROOT))
                    .description("The XDP program on the interface compared with the one at start: 1 for the status "
                            + "that holds")
                    .register(registry);
            }
        }
    }

    private void bindHttp3(MeterRegistry registry) {
        Gauge.builder("quic.xdp.http3.connections", this, (metrics) -> metrics.http3().connectionsOpen())
            .description("QUIC connections of the HTTP/3 server open now")
            .register(registry);
        Gauge.builder("quic.xdp.http3.requests.in.flight", this, (metrics) -> metrics.http3().requestsInFlight())
            .description("HTTP/3 requests being handled now")
            .register(registry);
        FunctionCounter.builder("quic.xdp.http3.handshakes", this, (metrics) -> metrics.http3().handshakesDone())
            .tags("result", "done")
            .description("TLS handshakes of QUIC connections, by result")
            .register(registry);
        FunctionCounter.builder("quic.xdp.http3.handshakes", this, (metrics) -> metrics.http3().handshakesFailed())
            .tags("result", "failed")
            .description("TLS handshakes of QUIC connections, by result")
            .register(registry);
        FunctionCounter.builder("quic.xdp.http3.requests", this, (metrics) -> metrics.http3().requests())
            .description("HTTP/3 request streams opened")
            .register(registry);
        FunctionCounter.builder("quic.xdp.http3.bytes", this, (metrics) -> metrics.http3().bytesReceived())
            .tags("direction", "received")
            .baseUnit("bytes")
            .description("Bytes of the HTTP/3 server's QUIC packets (UDP payloads), by direction")
            .register(registry);
        FunctionCounter.builder("quic.xdp.http3.bytes", this, (metrics) -> metrics.http3().bytesSent())
            .tags("direction", "sent")
            .baseUnit("bytes")
            .description("Bytes of the HTTP/3 server's QUIC packets (UDP payloads), by direction")
            .register(registry);
        FunctionCounter.builder("quic.xdp.http3.retries", this, (metrics) -> metrics.http3().retriesSent())
            .description("Retry packets sent to validate new clients' addresses")
            .register(registry);
        Gauge.builder("quic.xdp.http3.handshakes.in.progress", this,
                (metrics) -> metrics.http3().limits().handshakesInProgress())
            .description("Handshakes of new QUIC connections under way now")
            .register(registry);
        FunctionCounter.builder("quic.xdp.http3.connections.refused", this,
                (metrics) -> metrics.http3().limits().connectionsRefused())
            .description("New QUIC connections refused with CONNECTION_REFUSED at quic.xdp.http3.max-connections")
            .register(registry);
        FunctionCounter.builder("quic.xdp.http3.initials.shed", this,
                (metrics) -> metrics.http3().limits().initialsShed())
            .description("Datagrams beginning with a QUIC Initial dropped before the codec at "
                    + "quic.xdp.http3.max-handshakes")
            .register(registry);
        FunctionCounter.builder("quic.xdp.http3.amplification.dropped", this,
                (metrics) -> metrics.http3().limits().amplificationDropped())
            .description("Datagrams to unvalidated QUIC clients held back at three times what they sent "
                    + "(anti-amplification)")
            .register(registry);
        FunctionCounter.builder("quic.xdp.http3.handshakes.timed.out", this,
                (metrics) -> metrics.http3().limits().handshakesTimedOut())
            .description("New QUIC connections closed at quic.xdp.http3.handshake-timeout")
            .register(registry);
    }

    private void counter(MeterRegistry registry, String name, Tags tags, @Nullable String baseUnit, String description,
            int index, ToLongFunction<SocketState> value) {
        FunctionCounter.builder(name, this, (metrics) -> value.applyAsLong(metrics.socket(index)))
            .tags(tags)
            .baseUnit(baseUnit)
            .description(description)
            .register(registry);
    }

    private void frames(MeterRegistry registry, Tags tags, int index, ToIntFunction<FrameAccounting> value) {
        Gauge.builder("quic.xdp.receive.frames", this, (metrics) -> {
            FrameAccounting frames = metrics.socket(index).receiveFrames();
            return (frames != null) ? value.applyAsInt(frames) : 0;
        })
            .tags(tags)
            .description("Receive frames of the socket's UMEM, by where they are")
            .register(registry);
    }

    private void kernel(MeterRegistry registry, String name, Tags tags, String description, int index,
            ToLongFunction<XdpStatistics> value) {
        FunctionCounter.builder(name, this, (metrics) -> value.applyAsLong(metrics.kernel(index)))
            .tags(tags)
            .description(description)
            .register(registry);
    }

    private SocketState socket(int index) {
        return state().state.sockets().get(index);
    }

    /** The kernel's counters of a socket, or the last ones read while it was open: counters never go back. */
    private XdpStatistics kernel(int index) {
        return state().kernel[index];
    }

    private double socketsInMap(String interfaceName) {
        return state().state.sockets()
            .stream()
            .filter((socket) -> socket.interfaceName().equals(interfaceName) && socket.inMap())
            .count();
    }

    /** The configured queues of a map whose slot is in {@code status}; all unknown when it cannot be inspected. */
    private double slots(String interfaceName, SlotStatus status) {
        Snapshot current = state();
        MapInspection inspection = current.inspections.stream()
            .filter((map) -> map.interfaceName().equals(interfaceName))
            .findFirst()
            .orElse(null);
        if (inspection == null) {
            return (status != SlotStatus.UNKNOWN) ? 0 : current.state.sockets()
                .stream()
                .filter((socket) -> socket.interfaceName().equals(interfaceName))
                .count();
        }
        return inspection.slots().values().stream().filter(status::equals).count();
    }

    private ProgramStatus program(String interfaceName) {
        MapState map = state().state.maps()
            .stream()
            .filter((candidate) -> candidate.interfaceName().equals(interfaceName))
            .findFirst()
            .orElseThrow();
        if (map.link() == LinkStatus.GONE || map.link() == LinkStatus.UNKNOWN) {
            return ProgramStatus.UNKNOWN;
        }
        if (map.xdpProgram() == 0) {
            return ProgramStatus.NONE;
        }
        return (map.xdpProgram() == map.xdpProgramAtOpen()) ? ProgramStatus.AS_AT_START : ProgramStatus.REPLACED;
    }

    /** The HTTP/3 server's state in the current snapshot; only meters bound with a server read it. */
    private Http3State http3() {
        return Objects.requireNonNull(state().http3);
    }

    /** The maps checked against the kernel, or none once the datapath is closed. */
    private List<MapInspection> inspections() {
        try {
            return this.datapath.inspectMaps();
        }
        catch (IllegalStateException ex) {
            return List.of();
        }
    }

    private @Nullable Http3State http3State() {
        return (this.http3 != null) ? this.http3.state() : null;
    }

    /** The current snapshot, refreshed once it is older than the maximum age; never replaced by an older one. */
    private Snapshot state() {
        Snapshot current = this.snapshot;
        if (System.nanoTime() - current.takenAt <= SNAPSHOT_MAX_AGE_NANOS) {
            return current;
        }
        synchronized (this) {
            current = this.snapshot;
            long now = System.nanoTime();
            if (now - current.takenAt > SNAPSHOT_MAX_AGE_NANOS) {
                current = new Snapshot(this.datapath.state(), inspections(), http3State(), now, current.kernel);
                this.snapshot = current;
            }
            return current;
        }
    }

    /** The XDP program attached to a map's interface, compared with the one attached when the datapath opened. */
    private enum ProgramStatus {

        /** The program attached at start. */
        AS_AT_START,

        /** Another program: which map it redirects into cannot be seen from here. */
        REPLACED,

        /** None: nothing is redirected into the map. */
        NONE,

        /** Not known: the interface is gone or cannot be read. */
        UNKNOWN
    }

    /**
     * A state of the datapath, its maps checked against the kernel, the state of its HTTP/3 server, if any,
     * and, per socket, the kernel's counters: those of the state where it has them, else the previous
     * snapshot's.
     */
    private static final class Snapshot {

        private static final XdpStatistics NONE = new XdpStatistics(0, 0, 0, 0, 0, 0);

        final DatapathState state;

        final List<MapInspection> inspections;

        final @Nullable Http3State http3;

        final long takenAt;

        final XdpStatistics[] kernel;

        Snapshot(DatapathState state, List<MapInspection> inspections, @Nullable Http3State http3, long takenAt,
                XdpStatistics[] previous) {
            this.state = state;
            this.inspections = inspections;
            this.http3 = http3;
            this.takenAt = takenAt;
            List<SocketState> sockets = state.sockets();
            this.kernel = new XdpStatistics[sockets.size()];
            for (int i = 0; i < sockets.size(); i++) {
                XdpStatistics now = sockets.get(i).kernel();
                XdpStatistics before = (i < previous.length) ? previous[i] : NONE;
                this.kernel[i] = (now != null) ? now : before;
            }
        }
    }
}
