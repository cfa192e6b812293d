package io.quicxdp.datapath.internal.packet;

import java.nio.ByteBuffer;

/**
 * Flyweight over an IPv4 header at an absolute offset in a buffer, in network byte order.
 *
 * <p>Addresses are {@code int}s in network order: {@code 192.0.2.1} is {@code 0xC000_0201}.
 */
public final class Ipv4Header {

    /** Offset of the byte holding the version (high nibble) and header length in 32-bit words (low nibble). */
    public static final int VERSION_IHL_OFFSET = 0;
    /** Offset of the DSCP/ECN byte. */
    public static final int TYPE_OF_SERVICE_OFFSET = 1;
    /** Offset of the 16-bit total length (header plus payload). */
    public static final int TOTAL_LENGTH_OFFSET = 2;
    /** Offset of the 16-bit identification. */
    public static final int IDENTIFICATION_OFFSET = 4;
    /** Offset of the 16 bits holding the flags (top 3 bits) and the fragment offset (low 13 bits). */
    public static final int FLAGS_FRAGMENT_OFFSET_OFFSET = 6;
    /** Offset of the time-to-live byte. */
    public static final int TIME_TO_LIVE_OFFSET = 8;
    /** Offset of the protocol byte. */
    public static final int PROTOCOL_OFFSET = 9;
    /** Offset of the 16-bit header checksum. */
    public static final int HEADER_CHECKSUM_OFFSET = 10;
    /** Offset of the 4-byte source address. */
    public static final int SOURCE_ADDRESS_OFFSET = 12;
    /** Offset of the 4-byte destination address. */
    public static final int DESTINATION_ADDRESS_OFFSET = 16;
    /** Length of the header without options. */
    public static final int LENGTH = 20;
    /** Length of an address. */
    public static final int ADDRESS_LENGTH = 4;

    /** The version field's value. */
    public static final int VERSION = 4;
    /** The don't-fragment flag in the flags/fragment-offset field. */
    public static final int FLAG_DONT_FRAGMENT = 0x4000;
    /** The more-fragments flag in the flags/fragment-offset field. */
    public static final int FLAG_MORE_FRAGMENTS = 0x2000;
    /** The fragment offset bits (in 8-byte units) of the flags/fragment-offset field. */
    public static final int FRAGMENT_OFFSET_MASK = 0x1FFF;

    private Ipv4Header() {
    }

    /** The version/IHL byte of the header at {@code offset}. */
    public static int versionIhl(ByteBuffer buffer, int offset) {
        return NetworkOrder.uint8(buffer, offset + VERSION_IHL_OFFSET);
    }

    /** Sets the version/IHL byte of the header at {@code offset}, e.g. {@code 0x45} for a 20-byte header. */
    public static void versionIhl(ByteBuffer buffer, int offset, int versionIhl) {
        NetworkOrder.uint8(buffer, offset + VERSION_IHL_OFFSET, versionIhl);
    }

    /** The version of the header at {@code offset} (4 for a well-formed header). */
    public static int version(ByteBuffer buffer, int offset) {
        return versionIhl(buffer, offset) >>> 4;
    }

    /** The header length in bytes (IHL times 4) of the header at {@code offset}. */
    public static int headerLength(ByteBuffer buffer, int offset) {
        return (versionIhl(buffer, offset) & 0x0F) * 4;
    }

    /** The DSCP/ECN byte of the header at {@code offset}. */
    public static int typeOfService(ByteBuffer buffer, int offset) {
        return NetworkOrder.uint8(buffer, offset + TYPE_OF_SERVICE_OFFSET);
    }

    /** Sets the DSCP/ECN byte of the header at {@code offset}. */
    public static void typeOfService(ByteBuffer buffer, int offset, int typeOfService) {
        NetworkOrder.uint8(buffer, offset + TYPE_OF_SERVICE_OFFSET, typeOfService);
    }

    /** The total length (header plus payload) of the header at {@code offset}. */
    public static int totalLength(ByteBuffer buffer, int offset) {
        return NetworkOrder.uint16(buffer, offset + TOTAL_LENGTH_OFFSET);
    }

    /** Sets the total length (header plus payload) of the header at {@code offset}. */
    public static void totalLength(ByteBuffer buffer, int offset, int totalLength) {
        NetworkOrder.uint16(buffer, offset + TOTAL_LENGTH_OFFSET, totalLength);
    }

    /** The identification of the header at {@code offset}. */
    public static int identification(ByteBuffer buffer, int offset) {
        return NetworkOrder.uint16(buffer, offset + IDENTIFICATION_OFFSET);
    }

    /** Sets the identification of the header at {@code offset}. */
    public static void identification(ByteBuffer buffer, int offset, int identification) {
        NetworkOrder.uint16(buffer, offset + IDENTIFICATION_OFFSET, identification);
    }

    /** The flags and fragment offset of the header at {@code offset}. */
    public static int flagsFragmentOffset(ByteBuffer buffer, int offset) {
        return NetworkOrder.uint16(buffer, offset + FLAGS_FRAGMENT_OFFSET_OFFSET);
    }

    /** Sets the flags and fragment offset of the header at {@code offset}. */
    public static void flagsFragmentOffset(ByteBuffer buffer, int offset, int flagsFragmentOffset) {
        NetworkOrder.uint16(buffer, offset + FLAGS_FRAGMENT_OFFSET_OFFSET, flagsFragmentOffset);
    }

    /** The time-to-live of the header at {@code offset}. */
    public static int timeToLive(ByteBuffer buffer, int offset) {
        return NetworkOrder.uint8(buffer, offset + TIME_TO_LIVE_OFFSET);
    }

    /** Sets the time-to-live of the header at {@code offset}. */
    public static void timeToLive(ByteBuffer buffer, int offset, int timeToLive) {
        NetworkOrder.uint8(buffer, offset + TIME_TO_LIVE_OFFSET, timeToLive);
    }

    /** The protocol of the header at {@code offset}. */
    public static int protocol(ByteBuffer buffer, int offset) {
        return NetworkOrder.uint8(buffer, offset + PROTOCOL_OFFSET);
    }

    /** Sets the protocol of the header at {@code offset}. */
    public static void protocol(ByteBuffer buffer, int offset, int protocol) {
        NetworkOrder.uint8(buffer, offset + PROTOCOL_OFFSET, protocol);
    }

    /** The header checksum field of the header at {@code offset}. */
    public static int headerChecksum(ByteBuffer buffer, int offset) {
        return NetworkOrder.uint16(buffer, offset + HEADER_CHECKSUM_OFFSET);
    }

    /** Sets the header checksum field of the header at {@code offset}. */
    public static void headerChecksum(ByteBuffer buffer, int offset, int checksum) {
        NetworkOrder.uint16(buffer, offset + HEADER_CHECKSUM_OFFSET, checksum);
    }

    /** The source address of the header at {@code offset}. */
    public static int sourceAddress(ByteBuffer buffer, int offset) {
        return NetworkOrder.int32(buffer, offset + SOURCE_ADDRESS_OFFSET);
    }

    /** Sets the source address of the header at {@code offset}. */
    public static void sourceAddress(ByteBuffer buffer, int offset, int address) {
        NetworkOrder.int32(buffer, offset + SOURCE_ADDRESS_OFFSET, address);
    }

    /** The destination address of the header at {@code offset}. */
    public static int destinationAddress(ByteBuffer buffer, int offset) {
        return NetworkOrder.int32(buffer, offset + DESTINATION_ADDRESS_OFFSET);
    }

    /** Sets the destination address of the header at {@code offset}. */
    public static void destinationAddress(ByteBuffer buffer, int offset, int address) {
        NetworkOrder.int32(buffer, offset + DESTINATION_ADDRESS_OFFSET, address);
    }
}
