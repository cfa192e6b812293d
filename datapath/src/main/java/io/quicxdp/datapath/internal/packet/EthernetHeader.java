package io.quicxdp.datapath.internal.packet;

import java.nio.ByteBuffer;

/**
 * Flyweight over an untagged Ethernet II header at an absolute offset in a buffer, in network byte order.
 *
 * <p>MAC addresses are {@code long}s holding the 48-bit address in their low bits, first octet most
 * significant, so {@code 02:00:00:00:00:01} is {@code 0x0200_0000_0001L}.
 */
public final class EthernetHeader {

    /** Offset of the 6-byte destination MAC address. */
    public static final int DESTINATION_MAC_OFFSET = 0;
    /** Offset of the 6-byte source MAC address. */
    public static final int SOURCE_MAC_OFFSET = 6;
    /** Offset of the 16-bit ethertype. */
    public static final int ETHER_TYPE_OFFSET = 12;
    /** Length of the header. */
    public static final int LENGTH = 14;

    /** Ethertype of IPv4. */
    public static final int ETHER_TYPE_IPV4 = 0x0800;
    /** Ethertype of IPv6. */
    public static final int ETHER_TYPE_IPV6 = 0x86DD;
    /** Tag protocol of an IEEE 802.1Q VLAN tag, where an untagged frame has its ethertype. */
    public static final int ETHER_TYPE_VLAN = 0x8100;
    /** Tag protocol of an IEEE 802.1ad service VLAN tag (the outer tag of Q-in-Q). */
    public static final int ETHER_TYPE_SERVICE_VLAN = 0x88A8;

    private EthernetHeader() {
    }

    /** The destination MAC address of the header at {@code offset}. */
    public static long destinationMac(ByteBuffer buffer, int offset) {
        return mac(buffer, offset + DESTINATION_MAC_OFFSET);
    }

    /** Sets the destination MAC address (low 48 bits of {@code mac}) of the header at {@code offset}. */
    public static void destinationMac(ByteBuffer buffer, int offset, long mac) {
        mac(buffer, offset + DESTINATION_MAC_OFFSET, mac);
    }

    /** The source MAC address of the header at {@code offset}. */
    public static long sourceMac(ByteBuffer buffer, int offset) {
        return mac(buffer, offset + SOURCE_MAC_OFFSET);
    }

    /** Sets the source MAC address (low 48 bits of {@code mac}) of the header at {@code offset}. */
    public static void sourceMac(ByteBuffer buffer, int offset, long mac) {
        mac(buffer, offset + SOURCE_MAC_OFFSET, mac);
    }

    /** The ethertype of the header at {@code offset}. */
    public static int etherType(ByteBuffer buffer, int offset) {
        return NetworkOrder.uint16(buffer, offset + ETHER_TYPE_OFFSET);
    }

    /** Sets the ethertype of the header at {@code offset}. */
    public static void etherType(ByteBuffer buffer, int offset, int etherType) {
        NetworkOrder.uint16(buffer, offset + ETHER_TYPE_OFFSET, etherType);
    }

    private static long mac(ByteBuffer buffer, int index) {
        return ((long) NetworkOrder.uint16(buffer, index) << 32) | (NetworkOrder.int32(buffer, index + 2) & 0xFFFF_FFFFL);
    }

    private static void mac(ByteBuffer buffer, int index, long mac) {
        NetworkOrder.uint16(buffer, index, (int) (mac >>> 32));
        NetworkOrder.int32(buffer, index + 2, (int) mac);
    }
}
