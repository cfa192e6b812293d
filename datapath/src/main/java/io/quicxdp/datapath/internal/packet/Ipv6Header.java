package io.quicxdp.datapath.internal.packet;

import java.nio.ByteBuffer;

/**
 * Flyweight over an IPv6 fixed header, and the common start of its extension headers, at an absolute
 * offset in a buffer, in network byte order.
 *
 * <p>An address is two {@code long}s in network order: {@code 2001:db8::1} is high
 * {@code 0x2001_0DB8_0000_0000L}, low {@code 0x0000_0000_0000_0001L}.
 */
public final class Ipv6Header {

    /** Offset of the 32 bits holding the version (4 bits), traffic class (8 bits) and flow label (20 bits). */
    public static final int VERSION_CLASS_FLOW_OFFSET = 0;
    /** Offset of the 16-bit payload length (everything after the fixed header). */
    public static final int PAYLOAD_LENGTH_OFFSET = 4;
    /** Offset of the next-header byte. */
    public static final int NEXT_HEADER_OFFSET = 6;
    /** Offset of the hop-limit byte. */
    public static final int HOP_LIMIT_OFFSET = 7;
    /** Offset of the 16-byte source address. */
    public static final int SOURCE_ADDRESS_OFFSET = 8;
    /** Offset of the 16-byte destination address. */
    public static final int DESTINATION_ADDRESS_OFFSET = 24;
    /** Length of the fixed header. */
    public static final int LENGTH = 40;
    /** Length of an address. */
    public static final int ADDRESS_LENGTH = 16;

    /** The version field's value. */
    public static final int VERSION = 6;

    /** Offset, in an extension header, of its next-header byte. */
    public static final int EXTENSION_NEXT_HEADER_OFFSET = 0;
    /** Offset, in an extension header, of its length in 8-byte units beyond the first 8 bytes. */
    public static final int EXTENSION_LENGTH_OFFSET = 1;

    /** Next-header value of the hop-by-hop options header. */
    public static final int NEXT_HEADER_HOP_BY_HOP = 0;
    /** Next-header value of the routing header. */
    public static final int NEXT_HEADER_ROUTING = 43;
    /** Next-header value of the fragment header. */
    public static final int NEXT_HEADER_FRAGMENT = 44;
    /** Next-header value of the destination options header. */
    public static final int NEXT_HEADER_DESTINATION_OPTIONS = 60;

    private Ipv6Header() {
    }

    /** The version/traffic-class/flow-label word of the header at {@code offset}. */
    public static int versionClassFlow(ByteBuffer buffer, int offset) {
        return NetworkOrder.int32(buffer, offset + VERSION_CLASS_FLOW_OFFSET);
    }

    /** Sets the version/traffic-class/flow-label word of the header at {@code offset}. */
    public static void versionClassFlow(ByteBuffer buffer, int offset, int versionClassFlow) {
        NetworkOrder.int32(buffer, offset + VERSION_CLASS_FLOW_OFFSET, versionClassFlow);
    }

    /** The version of the header at {@code offset} (6 for a well-formed header). */
    public static int version(ByteBuffer buffer, int offset) {
        return NetworkOrder.uint8(buffer, offset + VERSION_CLASS_FLOW_OFFSET) >>> 4;
    }

    /** The payload length of the header at {@code offset}. */
    public static int payloadLength(ByteBuffer buffer, int offset) {
        return NetworkOrder.uint16(buffer, offset + PAYLOAD_LENGTH_OFFSET);
    }

    /** Sets the payload length of the header at {@code offset}. */
    public static void payloadLength(ByteBuffer buffer, int offset, int payloadLength) {
        NetworkOrder.uint16(buffer, offset + PAYLOAD_LENGTH_OFFSET, payloadLength);
    }

    /** The next header of the header at {@code offset}. */
    public static int nextHeader(ByteBuffer buffer, int offset) {
        return NetworkOrder.uint8(buffer, offset + NEXT_HEADER_OFFSET);
    }

    /** Sets the next header of the header at {@code offset}. */
    public static void nextHeader(ByteBuffer buffer, int offset, int nextHeader) {
        NetworkOrder.uint8(buffer, offset + NEXT_HEADER_OFFSET, nextHeader);
    }

    /** The hop limit of the header at {@code offset}. */
    public static int hopLimit(ByteBuffer buffer, int offset) {
        return NetworkOrder.uint8(buffer, offset + HOP_LIMIT_OFFSET);
    }

    /** Sets the hop limit of the header at {@code offset}. */
    public static void hopLimit(ByteBuffer buffer, int offset, int hopLimit) {
        NetworkOrder.uint8(buffer, offset + HOP_LIMIT_OFFSET, hopLimit);
    }

    /** The high 64 bits of the source address of the header at {@code offset}. */
    public static long sourceAddressHigh(ByteBuffer buffer, int offset) {
        return NetworkOrder.int64(buffer, offset + SOURCE_ADDRESS_OFFSET);
    }

    /** The low 64 bits of the source address of the header at {@code offset}. */
    public static long sourceAddressLow(ByteBuffer buffer, int offset) {
        return NetworkOrder.int64(buffer, offset + SOURCE_ADDRESS_OFFSET + 8);
    }

    /** Sets the source address of the header at {@code offset}. */
    public static void sourceAddress(ByteBuffer buffer, int offset, long high, long low) {
        NetworkOrder.int64(buffer, offset + SOURCE_ADDRESS_OFFSET, high);
        NetworkOrder.int64(buffer, offset + SOURCE_ADDRESS_OFFSET + 8, low);
    }

    /** The high 64 bits of the destination address of the header at {@code offset}. */
    public static long destinationAddressHigh(ByteBuffer buffer, int offset) {
        return NetworkOrder.int64(buffer, offset + DESTINATION_ADDRESS_OFFSET);
    }

    /** The low 64 bits of the destination address of the header at {@code offset}. */
    public static long destinationAddressLow(ByteBuffer buffer, int offset) {
        return NetworkOrder.int64(buffer, offset + DESTINATION_ADDRESS_OFFSET + 8);
    }

    /** Sets the destination address of the header at {@code offset}. */
    public static void destinationAddress(ByteBuffer buffer, int offset, long high, long low) {
        NetworkOrder.int64(buffer, offset + DESTINATION_ADDRESS_OFFSET, high);
        NetworkOrder.int64(buffer, offset + DESTINATION_ADDRESS_OFFSET + 8, low);
    }

    /** The next header of the extension header at {@code offset}. */
    public static int extensionNextHeader(ByteBuffer buffer, int offset) {
        return NetworkOrder.uint8(buffer, offset + EXTENSION_NEXT_HEADER_OFFSET);
    }

    /**
     * The length in bytes of the hop-by-hop, routing or destination options header at {@code offset}
     * (its length field counts 8-byte units beyond the first 8).
     */
    public static int extensionHeaderLength(ByteBuffer buffer, int offset) {
        return (NetworkOrder.uint8(buffer, offset + EXTENSION_LENGTH_OFFSET) + 1) * 8;
    }
}
