package io.quicxdp.datapath;

import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * One interface in map mode: the XSKMAP, pinned in bpffs, that the application's own XDP program on that
 * interface redirects into (key = receive queue index), and the queues to serve.
 *
 * @param interfaceName the network interface, for example {@code eth0}
 * @param mapPath absolute bpffs path of the pinned XSKMAP, for example {@code /sys/fs/bpf/lb/xsks}
 * @param queues the receive queues to open a socket on; empty means every receive queue of the interface
 */
public record XdpMapConfig(String interfaceName, Path mapPath, List<Integer> queues) {

    public XdpMapConfig {
        Objects.requireNonNull(interfaceName, "interfaceName");
        Objects.requireNonNull(mapPath, "mapPath");
        if (interfaceName.isBlank()) {
            throw new IllegalArgumentException("interface name must not be empty");
        }
        if (!mapPath.isAbsolute()) {
            throw new IllegalArgumentException("map path must be absolute (a bpffs path such as "
                    + "/sys/fs/bpf/xsks), not '" + mapPath + "'");
        }
        queues = List.copyOf(queues == null ? List.of() : queues);
        Set<Integer> seen = new HashSet<>();
        for (int queue : queues) {
            if (queue < 0) {
                throw new IllegalArgumentException("queue ids must not be negative, not " + queue);
            }
            if (!seen.add(queue)) {
                throw new IllegalArgumentException("queue " + queue + " is listed twice");
            }
        }
    }

    /** Every receive queue of {@code interfaceName}, redirected into the XSKMAP at {@code mapPath}. */
    public static XdpMapConfig allQueues(String interfaceName, Path mapPath) {
        return new XdpMapConfig(interfaceName, mapPath, List.of());
    }
}
