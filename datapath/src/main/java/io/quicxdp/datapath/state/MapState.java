package io.quicxdp.datapath.state;

import io.quicxdp.datapath.config.MapSource;
import java.nio.file.Path;
import java.util.List;

/**
 * A snapshot of one configured XSKMAP.
 *
 * @param interfaceName the interface whose XDP program redirects into the map
 * @param source where the map came from: its bpffs pin, the device plugin's socket or the agent's
 * @param sourceStatus how that source stands now
 * @param mapId the kernel's id of the map
 * @param name the map's name as the kernel knows it (at most 15 characters)
 * @param type the map's type, {@code xskmap}
 * @param maxEntries the number of slots
 * @param keysHeld the slots this process's sockets occupy
 * @param pin what the pin path refers to now; {@link PinStatus#NOT_PINNED} for a map from a socket
 * @param link how the interface stands now
 * @param xdpProgramAtOpen the id of the XDP program attached to the interface when the datapath opened, 0 for none
 * @param xdpProgram the id of the XDP program attached now, 0 for none (or when the interface is gone or
 *     cannot be read): a different id means the program was replaced, and whether the new one still redirects
 *     into this map is not visible from here
 */
public record MapState(String interfaceName, MapSource source, SourceStatus sourceStatus, int mapId, String name,
        String type, int maxEntries, List<Integer> keysHeld, PinStatus pin, LinkStatus link, int xdpProgramAtOpen,
        int xdpProgram) {

    /** The configured pin or socket path. */
    public Path path() {
        return source.path();
    }
}
