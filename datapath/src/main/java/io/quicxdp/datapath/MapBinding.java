package io.quicxdp.datapath;

import io.quicxdp.datapath.bpf.BpfMap;
import io.quicxdp.datapath.bpf.BpfMapInfo;
import io.quicxdp.datapath.netlink.LinkInfo;
import java.util.List;
import java.util.Locale;

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

    MapBinding(XdpMapConfig config, LinkInfo link, BpfMap map, BpfMapInfo info, List<Integer> queues,
            List<QueueWorker> workers) {
        this.config = config;
        this.link = link;
        this.map = map;
        this.info = info;
        this.queues = queues;
        this.workers = workers;
    }

    MapState state() {
        List<Integer> held = workers.stream().filter(QueueWorker::inMap).map(QueueWorker::queueId).toList();
        return new MapState(config.interfaceName(), config.mapPath(), info.id(), info.name(), info.typeName().toLowerCase(Locale.ROOT),
                info.maxEntries(), held);
    }
}
