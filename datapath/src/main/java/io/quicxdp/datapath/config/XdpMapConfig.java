package io.quicxdp.datapath.config;

import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * One interface in map mode: the XSKMAP that the application's own XDP program on that interface redirects
 * into (key = receive queue index), where it comes from, and the queues to serve.
 *
 * @param interfaceName the network interface, for example {@code eth0}
 * @param source where the XSKMAP comes from: a bpffs pin, the AF_XDP device plugin, or the quic-xdp agent
 * @param queues the receive queues to open a socket on; empty means every receive queue of the interface
 */
public record XdpMapConfig(String interfaceName, MapSource source, List<Integer> queues) {

    public XdpMapConfig {
        Objects.requireNonNull(interfaceName, "interfaceName");
        Objects.requireNonNull(source, "source");
        if (interfaceName.isBlank()) {
            throw new IllegalArgumentException("interface name must not be empty");
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

    /**
     * The XSKMAP pinned at {@code mapPath}.
     *
     * @param mapPath absolute bpffs path of the pinned XSKMAP, for example {@code /sys/fs/bpf/lb/xsks}
     */
    public XdpMapConfig(String interfaceName, Path mapPath, List<Integer> queues) {
        this(interfaceName, MapSource.pinned(Objects.requireNonNull(mapPath, "mapPath")), queues);
    }

    /** Every receive queue of {@code interfaceName}, redirected into the XSKMAP at {@code mapPath}. */
    public static XdpMapConfig allQueues(String interfaceName, Path mapPath) {
        return new XdpMapConfig(interfaceName, mapPath, List.of());
    }

    /** Every receive queue of {@code interfaceName}, redirected into the XSKMAP {@code source} gives. */
    public static XdpMapConfig allQueues(String interfaceName, MapSource source) {
        return new XdpMapConfig(interfaceName, source, List.of());
    }

    /** The bpffs pin of the map, or {@code null} when it comes from the device plugin or the agent. */
    public Path mapPath() {
        return source.kind() == MapSource.Kind.PINNED_MAP ? source.path() : null;
    }
}
