package io.quicxdp.datapath.state;

import java.nio.file.Path;
import java.util.Map;

/**
 * A read-only check of one configured map against the kernel: whether its pin still refers to the map
 * the datapath opened, and what each of our slots holds. Nothing in a map is changed by it.
 *
 * @param interfaceName the interface of the map
 * @param path the configured pin path
 * @param mapId the id of the map the datapath opened
 * @param pin what the pin path refers to now
 * @param slots per configured queue (= key), what its slot holds
 * @param detail why the pin or the slots could not be read, or {@code null}
 */
public record MapInspection(String interfaceName, Path path, int mapId, PinStatus pin,
        Map<Integer, SlotStatus> slots, String detail) {

    /** Whether the pin still refers to our map and every slot holds our socket. */
    public boolean healthy() {
        return pin == PinStatus.SAME_MAP && slots.values().stream().allMatch(SlotStatus.OURS::equals);
    }
}
