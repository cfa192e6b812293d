package io.quicxdp.datapath.state;

import io.quicxdp.datapath.config.MapSource;
import java.nio.file.Path;
import java.util.Map;

/**
 * A read-only check of one configured map against the kernel: whether its pin still refers to the map
 * the datapath opened, and what each of our slots holds. Nothing in a map is changed by it.
 *
 * @param interfaceName the interface of the map
 * @param source where the map came from: its pin, the device plugin's socket or the agent's
 * @param mapId the id of the map the datapath opened
 * @param pin what the pin path refers to now; {@link PinStatus#NOT_PINNED} for a map from a socket
 * @param sourceStatus how the source stands now
 * @param slots per configured queue (= key), what its slot holds
 * @param detail why the pin or the slots could not be read, or {@code null}
 * @param sourceDetail what else there is to know about the source: that the agent was lost, or that the
 *     device plugin's socket is gone since the hand-off; {@code null} when nothing
 * @param link how the interface stands now
 * @param xdpProgramAtOpen the id of the XDP program attached to the interface when the datapath opened, 0 for none
 * @param xdpProgram the id of the XDP program attached now, 0 for none
 */
public record MapInspection(String interfaceName, MapSource source, int mapId, PinStatus pin,
        SourceStatus sourceStatus, Map<Integer, SlotStatus> slots, String detail, String sourceDetail,
        LinkStatus link, int xdpProgramAtOpen, int xdpProgram) {

    /** The configured pin or socket path. */
    public Path path() {
        return source.path();
    }

    /**
     * Whether the pin, if any, still refers to our map, every slot holds our socket, the interface is up and
     * an XDP program is attached to it. A lost agent, or a device plugin's socket gone, does not count: the
     * slots hold our sockets all the same; nor does a replaced program, whose maps cannot be seen from here.
     */
    public boolean healthy() {
        return (pin == PinStatus.SAME_MAP || pin == PinStatus.NOT_PINNED) && link == LinkStatus.UP && xdpProgram != 0
                && slots.values().stream().allMatch(SlotStatus.OURS::equals);
    }
}
