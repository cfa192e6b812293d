package io.quicxdp.datapath.internal.bpf;

/**
 * What the kernel reports about a map.
 *
 * @param id the map's system-wide id, as {@code bpftool map show} lists it
 * @param type the kernel's map type number, see {@link BpfMapType}
 * @param keySize bytes per key
 * @param valueSize bytes per value
 * @param maxEntries the map's capacity
 * @param flags the {@code map_flags} it was created with
 * @param name the name it was created with, at most 15 characters
 */
public record BpfMapInfo(int id, int type, int keySize, int valueSize, int maxEntries, int flags, String name) {

    /** The type's readable name, such as {@code XSKMAP}. */
    public String typeName() {
        return BpfMapType.nameOf(type);
    }

    /** Whether this is a map of {@code type}. */
    public boolean is(BpfMapType expected) {
        return type == expected.id();
    }
}
