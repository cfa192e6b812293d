package io.quicxdp.datapath.state;

import java.nio.file.Path;
import java.util.List;

/**
 * A snapshot of one configured XSKMAP.
 *
 * @param interfaceName the interface whose XDP program redirects into the map
 * @param path the bpffs pin the map was opened through
 * @param mapId the kernel's id of the map
 * @param name the map's name as the kernel knows it (at most 15 characters)
 * @param type the map's type, {@code xskmap}
 * @param maxEntries the number of slots
 * @param keysHeld the slots this process's sockets occupy
 */
public record MapState(String interfaceName, Path path, int mapId, String name, String type, int maxEntries,
        List<Integer> keysHeld) {
}
