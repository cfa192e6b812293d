package io.quicxdp.datapath;

import io.quicxdp.datapath.bpf.BpfMap;
import io.quicxdp.datapath.bpf.BpfMapInfo;
import io.quicxdp.datapath.bpf.PinAccess;
import io.quicxdp.datapath.bpf.XskMapProbe;
import io.quicxdp.datapath.linux.Errno;
import io.quicxdp.datapath.linux.NativeIoException;
import io.quicxdp.datapath.netlink.LinkInfo;
import io.quicxdp.datapath.state.MapInspection;
import io.quicxdp.datapath.state.MapState;
import io.quicxdp.datapath.state.PinStatus;
import io.quicxdp.datapath.state.SlotStatus;
import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.OptionalInt;

/**
 * One configured map once opened: the interface, our descriptor of the application's XSKMAP (never
 * pinned, unpinned or changed other than our own slots), and the queue workers whose sockets sit in it.
 */
final class MapBinding {

    final XdpMapConfig config;

    final LinkInfo link;

    final BpfMap map;

    final BpfMapInfo info;

    final List<Integer> queues;

    final List<QueueWorker> workers;

    /** The workers whose sockets can send: those with a transmit queue of their own. */
    final List<QueueWorker> transmitters;

    /** Loaded on the first inspection and kept: loading is the expensive part. */
    private XskMapProbe probe;

    private String probeFailure;

    private boolean closed;

    MapBinding(XdpMapConfig config, LinkInfo link, BpfMap map, BpfMapInfo info, List<Integer> queues,
            List<QueueWorker> workers) {
        this.config = config;
        this.link = link;
        this.map = map;
        this.info = info;
        this.queues = queues;
        this.workers = workers;
        this.transmitters = workers.stream().filter(QueueWorker::canTransmit).toList();
    }

    /**
     * Checks the pin and our slots. Costs a few system calls: opening the pin read-only and reading its
     * id, and one BPF_PROG_TEST_RUN per slot.
     */
    synchronized MapInspection inspect() {
        PinStatus pin;
        String detail = null;
        try (BpfMap current = BpfMap.openPinned(config.mapPath(), PinAccess.READ_ONLY)) {
            int id = current.info().id();
            pin = id == info.id() ? PinStatus.SAME_MAP : PinStatus.REPLACED;
            if (pin == PinStatus.REPLACED) {
                detail = config.mapPath() + " now refers to map id " + id + ", not " + info.id();
            }
        }
        catch (NativeIoException ex) {
            pin = ex.errno() == Errno.ENOENT ? PinStatus.REMOVED : PinStatus.UNREADABLE;
            detail = pin == PinStatus.REMOVED ? "nothing is pinned at " + config.mapPath() : ex.getMessage();
        }
        catch (IOException ex) {
            pin = PinStatus.REPLACED;
            detail = ex.getMessage();
        }
        Map<Integer, SlotStatus> slots = new LinkedHashMap<>();
        XskMapProbe loaded = probe();
        for (QueueWorker worker : workers) {
            slots.put(worker.queueId(), loaded == null ? SlotStatus.UNKNOWN : slot(loaded, worker));
        }
        if (loaded == null && detail == null) {
            detail = probeFailure;
        }
        return new MapInspection(config.interfaceName(), config.mapPath(), info.id(), pin, slots, detail);
    }

    private static SlotStatus slot(XskMapProbe probe, QueueWorker worker) {
        try {
            OptionalInt queue = probe.queueIdAt(worker.queueId());
            if (queue.isEmpty()) {
                return SlotStatus.EMPTY;
            }
            boolean ours = worker.inMap() && !worker.socket().isClosed() && queue.getAsInt() == worker.queueId();
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

    synchronized void close() {
        closed = true;
        if (probe != null) {
            probe.close();
            probe = null;
        }
        map.close();
    }

    MapState state() {
        List<Integer> held = workers.stream().filter(QueueWorker::inMap).map(QueueWorker::queueId).toList();
        return new MapState(config.interfaceName(), config.mapPath(), info.id(), info.name(), info.typeName().toLowerCase(Locale.ROOT),
                info.maxEntries(), held);
    }
}
