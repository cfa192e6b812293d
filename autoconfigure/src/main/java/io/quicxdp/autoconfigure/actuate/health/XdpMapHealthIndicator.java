package io.quicxdp.autoconfigure.actuate.health;

import io.quicxdp.datapath.MapInspection;
import io.quicxdp.datapath.PinStatus;
import io.quicxdp.datapath.SlotStatus;
import io.quicxdp.datapath.SocketState;
import io.quicxdp.datapath.XdpDatapath;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;
import org.springframework.boot.health.contributor.AbstractHealthIndicator;
import org.springframework.boot.health.contributor.Health;

/**
 * The health of one configured map: UP while every configured queue has its socket bound and in the
 * map, the pin still refers to the map the datapath opened, and each of our slots holds our socket; DOWN,
 * naming the queue and the reason, otherwise.
 *
 * <p>A check reads the datapath's state and makes a few read-only system calls (the pin's identity, one
 * probe run per slot); it never changes a map. A socket whose fill ring ran dry while it received nothing
 * since the previous check is reported as starved.
 */
public class XdpMapHealthIndicator extends AbstractHealthIndicator {

    private final XdpDatapath datapath;

    private final String interfaceName;

    /** Per queue, the kernel's fill-ring-empty count and our received count at the previous check. */
    private final Map<Integer, long[]> previous = new HashMap<>();

    /**
     * Creates the indicator.
     *
     * @param datapath the datapath
     * @param interfaceName the interface of the map to check
     */
    public XdpMapHealthIndicator(XdpDatapath datapath, String interfaceName) {
        super("XDP map health check failed");
        this.datapath = datapath;
        this.interfaceName = interfaceName;
    }

    @Override
    protected synchronized void doHealthCheck(Health.Builder builder) {
        if (!this.datapath.isOpen()) {
            builder.down().withDetail("interface", this.interfaceName).withDetail("reason", "the datapath is closed");
            return;
        }
        List<SocketState> sockets = this.datapath.state()
            .sockets()
            .stream()
            .filter((socket) -> socket.interfaceName().equals(this.interfaceName))
            .toList();
        MapInspection inspection = this.datapath.inspectMap(this.interfaceName)
            .orElseThrow(() -> new IllegalStateException("interface " + this.interfaceName + " is not configured"));
        Map<String, String> queues = new LinkedHashMap<>();
        boolean up = inspection.pin() == PinStatus.SAME_MAP;
        for (SocketState socket : sockets) {
            String problem = problem(socket, inspection.slots().get(socket.queueId()));
            queues.put(Integer.toString(socket.queueId()), (problem != null) ? problem : "ok");
            up &= problem == null;
        }
        (up ? builder.up() : builder.down()).withDetail("interface", this.interfaceName)
            .withDetail("path", inspection.path().toString())
            .withDetail("mapId", inspection.mapId())
            .withDetail("pin", pin(inspection))
            .withDetail("queues", queues);
        if (inspection.detail() != null && inspection.pin() == PinStatus.SAME_MAP) {
            builder.withDetail("slots", inspection.detail());
        }
    }

    private @Nullable String problem(SocketState socket, @Nullable SlotStatus slot) {
        String starved = starved(socket);
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
        return starved;
    }

    /** Whether the kernel found the fill ring empty since the last check while the socket received nothing. */
    private @Nullable String starved(SocketState socket) {
        if (socket.kernel() == null) {
            return null;
        }
        long fillRingEmpty = socket.kernel().rxFillRingEmpty();
        long[] last = this.previous.put(socket.queueId(), new long[] { fillRingEmpty, socket.rxPackets() });
        if (last == null || fillRingEmpty == last[0] || socket.rxPackets() != last[1]) {
            return null;
        }
        return "fill ring starved: the kernel found no free frame " + (fillRingEmpty - last[0])
                + " times since the last check, and nothing was received";
    }

    private static String pin(MapInspection inspection) {
        return switch (inspection.pin()) {
            case SAME_MAP -> "the same map";
            case REMOVED -> "removed: " + inspection.detail();
            case REPLACED -> "replaced: " + inspection.detail();
            case UNREADABLE -> "unreadable: " + inspection.detail();
        };
    }
}
