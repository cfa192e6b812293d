package io.quicxdp.autoconfigure.actuate.endpoint;

import io.quicxdp.autoconfigure.http3.Http3State;
import io.quicxdp.autoconfigure.http3.XdpHttp3Status;
import io.quicxdp.autoconfigure.netty.QuicRoutingState;
import io.quicxdp.autoconfigure.netty.XdpQuicStatus;
import io.quicxdp.datapath.XdpDatapath;
import io.quicxdp.datapath.state.DatapathState;
import io.quicxdp.datapath.state.DropReason;
import io.quicxdp.datapath.state.FillRingStarvation;
import io.quicxdp.datapath.state.FrameAccounting;
import io.quicxdp.datapath.state.MapState;
import io.quicxdp.datapath.state.SocketState;
import io.quicxdp.datapath.state.TxFrameAccounting;
import io.quicxdp.datapath.state.XdpStatistics;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.jspecify.annotations.Nullable;
import org.springframework.boot.actuate.endpoint.Access;
import org.springframework.boot.actuate.endpoint.OperationResponseBody;
import org.springframework.boot.actuate.endpoint.annotation.Endpoint;
import org.springframework.boot.actuate.endpoint.annotation.ReadOperation;
import org.springframework.boot.actuate.endpoint.annotation.Selector;

/**
 * The {@code xdp} endpoint: the datapath's maps and sockets, read from its state without stopping
 * traffic. Read-only: nothing here changes a map or a socket. Its records are Actuator response bodies, so
 * Actuator's own JSON mapper writes them, with the field names documented, whatever the application does
 * to its own mapper.
 */
@Endpoint(id = "xdp", defaultAccess = Access.READ_ONLY)
public class XdpEndpoint {

    private final XdpDatapath datapath;

    private final @Nullable XdpHttp3Status http3;

    private final @Nullable XdpQuicStatus quic;

    /**
     * Creates the endpoint.
     *
     * @param datapath the datapath to describe
     */
    public XdpEndpoint(XdpDatapath datapath) {
        this(datapath, null);
    }

    /**
     * Creates the endpoint, with the HTTP/3 server's state.
     *
     * @param datapath the datapath to describe
     * @param http3 the HTTP/3 server served through the datapath, or {@code null}
     */
    public XdpEndpoint(XdpDatapath datapath, @Nullable XdpHttp3Status http3) {
        this(datapath, http3, null);
    }

    /**
     * Creates the endpoint, with the HTTP/3 server's state and the QUIC connection IDs' routing.
     *
     * @param datapath the datapath to describe
     * @param http3 the HTTP/3 server served through the datapath, or {@code null}
     * @param quic the QUIC connection IDs and their hand-over between the loops, or {@code null}
     */
    public XdpEndpoint(XdpDatapath datapath, @Nullable XdpHttp3Status http3, @Nullable XdpQuicStatus quic) {
        this.datapath = datapath;
        this.http3 = http3;
        this.quic = quic;
    }

    /** Every map and socket. */
    @ReadOperation
    public XdpDescriptor xdp() {
        return describe(this.datapath.state(), null, this.http3, this.quic);
    }

    /**
     * The map and sockets of one interface.
     *
     * @param interfaceName a configured interface
     * @return its map and sockets, or {@code null} (404) when the interface is not configured
     */
    @ReadOperation
    public @Nullable XdpDescriptor xdpInterface(@Selector String interfaceName) {
        DatapathState state = this.datapath.state();
        boolean configured = state.maps().stream().anyMatch((map) -> map.interfaceName().equals(interfaceName));
        return configured ? describe(state, interfaceName, null, null) : null;
    }

    private static XdpDescriptor describe(DatapathState state, @Nullable String interfaceName,
            @Nullable XdpHttp3Status http3, @Nullable XdpQuicStatus quic) {
        List<MapDescriptor> maps = state.maps()
            .stream()
            .filter((map) -> interfaceName == null || map.interfaceName().equals(interfaceName))
            .map(MapDescriptor::of)
            .toList();
        List<SocketDescriptor> sockets = state.sockets()
            .stream()
            .filter((socket) -> interfaceName == null || socket.interfaceName().equals(interfaceName))
            .map(SocketDescriptor::of)
            .toList();
        return new XdpDescriptor(state.open(), maps, sockets, (http3 != null) ? http3.state() : null,
                (quic != null) ? quic.state() : null);
    }

    /**
     * The datapath's state.
     *
     * @param open whether the datapath is open
     * @param maps the configured XSKMAPs
     * @param sockets one AF_XDP socket per interface queue
     * @param http3 the HTTP/3 server served through the datapath, or {@code null} without one (and for one
     *     interface)
     * @param quic the QUIC connection IDs issued on the event loops and the hand-over of datagrams between the
     *     loops, or {@code null} without Netty's QUIC codec (and for one interface)
     */
    public record XdpDescriptor(boolean open, List<MapDescriptor> maps, List<SocketDescriptor> sockets,
            @Nullable Http3State http3, @Nullable QuicRoutingState quic) implements OperationResponseBody {
    }

    /**
     * One configured XSKMAP.
     *
     * @param interfaceName the interface whose XDP program redirects into the map
     * @param source where the map came from: {@code path}, {@code device-plugin-socket} or {@code agent-socket}
     * @param sourceStatus how that source stands: {@code pinned}, {@code connected} (the agent),
     *     {@code handed-over} (the device plugin's map, whether or not its socket is still there) or {@code lost}
     *     (the agent closed its connection); traffic flows either way
     * @param path the bpffs pin the map was opened through, or the device plugin's or agent's socket
     * @param mapId the kernel's id of the map
     * @param name the map's name in the kernel
     * @param type the map's type, {@code xskmap}
     * @param maxEntries the number of slots
     * @param keysHeld the slots (= queue ids) this process's sockets occupy
     * @param pin what the pin path refers to now: {@code same-map}, {@code removed}, {@code replaced} (another
     *     map is pinned there), {@code unreadable}, or {@code not-pinned} for a map from a socket
     * @param link how the interface stands: {@code up}, {@code down}, {@code gone} (deleted: its sockets are
     *     unbound) or {@code unknown}
     * @param xdpProgramAtStart the id of the XDP program attached to the interface at start, 0 for none
     * @param xdpProgram the id of the XDP program attached now, 0 for none
     */
    public record MapDescriptor(String interfaceName, String source, String sourceStatus, String path, int mapId,
            String name, String type, int maxEntries, List<Integer> keysHeld, String pin, String link,
            int xdpProgramAtStart, int xdpProgram) {

        static MapDescriptor of(MapState map) {
            return new MapDescriptor(map.interfaceName(), map.source().kind().key(), key(map.sourceStatus()),
                    map.path().toString(), map.mapId(), map.name(), map.type(), map.maxEntries(), map.keysHeld(),
                    key(map.pin()), key(map.link()), map.xdpProgramAtOpen(), map.xdpProgram());
        }

        private static String key(Enum<?> value) {
            return value.name().toLowerCase(Locale.ROOT).replace('_', '-');
        }
    }

    /**
     * One AF_XDP socket.
     *
     * @param interfaceName the interface it is bound to
     * @param queue the receive queue it is bound to, and its key in the XSKMAP
     * @param bindMode {@code zero-copy} or {@code copy}
     * @param bound whether the socket is open and bound
     * @param inMap whether the socket is in the XSKMAP
     * @param rxPackets frames received, dropped ones included
     * @param rxBytes bytes of those frames, Ethernet header included
     * @param rxPartialChecksum datagrams accepted with the partial UDP checksum of a sender on this host with
     *     TX checksum offload on ({@code quic.xdp.udp-checksum=accept-partial})
     * @param txPackets frames sent
     * @param txBytes bytes of those frames, Ethernet header included
     * @param txBackPressure sends refused because every TX frame or ring entry was in use
     * @param txChecksum who computes sent UDP checksums: {@code offload} (the kernel or the device, through TX
     *     metadata) or {@code software} (the datapath)
     * @param txPath how batches of datagrams leave: {@code xdp} (the TX ring) or {@code kernel-gso} (a kernel UDP
     *     socket's {@code UDP_SEGMENT} writes; {@code quic.xdp.tx-path})
     * @param txKernelPackets of {@code txPackets}, the datagrams sent through the kernel's UDP socket
     * @param txKicks wake-ups of the kernel for the TX ring ({@code sendto}, or the poll thread's {@code poll})
     * @param datagramsPerKick frames sent per wake-up, over the socket's life
     * @param txInPlace of {@code txPackets}, the datagrams sent from the TX frame the QUIC codec wrote them into
     *     ({@code XdpQuic.txFrameAllocator()}), without a copy
     * @param txFrameCopies datagrams written into a lent TX frame that were copied all the same (another queue's
     *     frame, the {@code kernel-gso} path, a buffer not whole in its frame)
     * @param txLendRefused TX frames asked for a buffer while no more could be lent (a quarter is kept for copied
     *     datagrams); the buffer came from ordinary memory
     * @param drops received frames dropped, by reason ({@code udp_bad_checksum}, ...), zeros included
     * @param transmitQueue the queue whose socket sends for this one: itself, unless the device has no
     *     transmit queue with this id
     * @param receiveFrames where the socket's receive frames are, or {@code null} once it is closed
     * @param transmitFrames where the socket's TX frames are
     * @param kernel the kernel's {@code XDP_STATISTICS} counters, or {@code null} once the socket is closed
     * @param fillRingStarvation the latest stretch of time in which the kernel kept finding the fill ring empty,
     *     or {@code null} when it never did
     */
    public record SocketDescriptor(String interfaceName, int queue, String bindMode, boolean bound, boolean inMap,
            long rxPackets, long rxBytes, long rxPartialChecksum, long txPackets, long txBytes, long txBackPressure,
            String txChecksum, String txPath, long txKernelPackets, long txKicks, double datagramsPerKick,
            long txInPlace, long txFrameCopies, long txLendRefused, Map<String, Long> drops, int transmitQueue,
            @Nullable FramesDescriptor receiveFrames, TxFramesDescriptor transmitFrames,
            @Nullable KernelDescriptor kernel, @Nullable StarvationDescriptor fillRingStarvation) {

        static SocketDescriptor of(SocketState socket) {
            Map<String, Long> drops = new LinkedHashMap<>();
            for (Map.Entry<DropReason, Long> drop : socket.drops().entrySet()) {
                drops.put(drop.getKey().metricName(), drop.getValue());
            }
            return new SocketDescriptor(socket.interfaceName(), socket.queueId(), socket.bindMode(), socket.bound(),
                    socket.inMap(), socket.rxPackets(), socket.rxBytes(), socket.rxPartialChecksum(),
                    socket.txPackets(), socket.txBytes(), socket.txBackPressure(), socket.txChecksum(), socket.txPath(),
                    socket.txKernelPackets(), socket.txKicks(), socket.datagramsPerKick(), socket.txInPlace(),
                    socket.txFrameCopies(), socket.txLendRefused(), drops, socket.transmitQueue(),
                    FramesDescriptor.of(socket.receiveFrames()), TxFramesDescriptor.of(socket.transmitFrames()),
                    KernelDescriptor.of(socket.kernel()),
                    StarvationDescriptor.of(socket.fillRingStarvation()));
        }
    }

    /**
     * The latest stretch of time in which the kernel kept finding a socket's fill ring empty (its
     * {@code rxFillRingEmpty} moving), as reads of the state saw it: packets arriving then were dropped by the
     * kernel for want of a free frame.
     *
     * @param ongoing whether it has not ended: the latest read saw the counter move, or came within a second of one
     *     that did
     * @param since the first read that saw the counter move, ISO-8601
     * @param lastSeen the latest read that saw it move, ISO-8601
     * @param seconds from {@code since} to {@code lastSeen}
     * @param packets packets that found no free frame meanwhile
     */
    public record StarvationDescriptor(boolean ongoing, String since, String lastSeen, double seconds, long packets) {

        static @Nullable StarvationDescriptor of(FillRingStarvation starvation) {
            return (starvation.since() != null) ? new StarvationDescriptor(starvation.ongoing(),
                    starvation.since().toString(), starvation.lastSeen().toString(),
                    starvation.duration().toMillis() / 1000.0, starvation.packets()) : null;
        }
    }

    /**
     * Where one socket's TX frames are. Every frame is in exactly one place, so {@code withKernel + held + free}
     * equals {@code total} ({@code balanced}).
     *
     * @param total the UMEM frames set aside for sending
     * @param withKernel frames on the TX ring, being sent, or sent and not yet taken back
     * @param held frames lent to buffers the QUIC codec writes its datagrams into, not yet sent or released
     * @param free frames ready for the next send
     * @param balanced whether the frames add up to the total
     */
    public record TxFramesDescriptor(int total, int withKernel, int held, int free, boolean balanced) {

        static TxFramesDescriptor of(TxFrameAccounting frames) {
            return new TxFramesDescriptor(frames.transmitFrames(), frames.withKernel(), frames.held(), frames.free(),
                    frames.balanced());
        }
    }

    /**
     * Where one socket's receive frames are. Every frame is in exactly one place, so {@code withKernel +
     * held + free} equals {@code total} ({@code balanced}); under traffic the fields are read one after
     * another and may differ by a batch.
     *
     * @param total the UMEM frames set aside for receiving
     * @param withKernel frames handed to the kernel: on the fill ring, in the driver, or received and
     *     waiting on the RX ring
     * @param inFillRing of those, the entries on the fill ring
     * @param inRxRing of those, the received entries waiting on the RX ring
     * @param held frames the application holds
     * @param free frames waiting for room on the fill ring
     * @param balanced whether the frames add up to the total
     */
    public record FramesDescriptor(int total, int withKernel, int inFillRing, int inRxRing, int held, int free,
            boolean balanced) {

        static @Nullable FramesDescriptor of(@Nullable FrameAccounting frames) {
            return (frames != null) ? new FramesDescriptor(frames.receiveFrames(), frames.withKernel(),
                    frames.inFillRing(), frames.inRxRing(), frames.held(), frames.free(), frames.balanced()) : null;
        }
    }

    /**
     * The kernel's counters for one socket ({@code XDP_STATISTICS}).
     *
     * @param rxDropped frames dropped for reasons other than those below
     * @param rxInvalidDescriptors invalid descriptors on the RX side
     * @param txInvalidDescriptors invalid descriptors put on the TX ring
     * @param rxRingFull frames dropped because the RX ring was full
     * @param rxFillRingEmpty times a frame arrived while the fill ring had no free frame
     * @param txRingEmpty times the kernel found the TX ring empty when woken
     */
    public record KernelDescriptor(long rxDropped, long rxInvalidDescriptors, long txInvalidDescriptors,
            long rxRingFull, long rxFillRingEmpty, long txRingEmpty) {

        static @Nullable KernelDescriptor of(@Nullable XdpStatistics kernel) {
            return (kernel != null) ? new KernelDescriptor(kernel.rxDropped(), kernel.rxInvalidDescriptors(),
                    kernel.txInvalidDescriptors(), kernel.rxRingFull(), kernel.rxFillRingEmpty(), kernel.txRingEmpty())
                    : null;
        }
    }
}
