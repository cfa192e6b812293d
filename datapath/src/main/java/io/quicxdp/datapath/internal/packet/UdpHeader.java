package io.quicxdp.datapath.internal.packet;

import java.nio.ByteBuffer;

/** Flyweight over a UDP header at an absolute offset in a buffer, in network byte order. */
public final class UdpHeader {

    /** Offset of the 16-bit source port. */
    public static final int SOURCE_PORT_OFFSET = 0;
    /** Offset of the 16-bit destination port. */
    public static final int DESTINATION_PORT_OFFSET = 2;
    /** Offset of the 16-bit datagram length (header plus payload). */
    public static final int DATAGRAM_LENGTH_OFFSET = 4;
    /** Offset of the 16-bit checksum. */
    public static final int CHECKSUM_OFFSET = 6;
    /** Length of the header. */
    public static final int LENGTH = 8;

    /** UDP's number in the IPv4 protocol and IPv6 next-header fields. */
    public static final int IP_PROTOCOL_NUMBER = 17;

    private UdpHeader() {
    }

    /** The source port of the header at {@code offset}. */
    public static int sourcePort(ByteBuffer buffer, int offset) {
        return NetworkOrder.uint16(buffer, offset + SOURCE_PORT_OFFSET);
    }

    /** Sets the source port (low 16 bits of {@code port}) of the header at {@code offset}. */
    public static void sourcePort(ByteBuffer buffer, int offset, int port) {
        NetworkOrder.uint16(buffer, offset + SOURCE_PORT_OFFSET, port);
    }

    /** The destination port of the header at {@code offset}. */
    public static int destinationPort(ByteBuffer buffer, int offset) {
        return NetworkOrder.uint16(buffer, offset + DESTINATION_PORT_OFFSET);
    }

    /** Sets the destination port (low 16 bits of {@code port}) of the header at {@code offset}. */
    public static void destinationPort(ByteBuffer buffer, int offset, int port) {
        NetworkOrder.uint16(buffer, offset + DESTINATION_PORT_OFFSET, port);
    }

    /** The datagram length (header plus payload) of the header at {@code offset}. */
    public static int datagramLength(ByteBuffer buffer, int offset) {
        return NetworkOrder.uint16(buffer, offset + DATAGRAM_LENGTH_OFFSET);
    }

    /** Sets the datagram length (header plus payload) of the header at {@code offset}. */
    public static void datagramLength(ByteBuffer buffer, int offset, int length) {
        NetworkOrder.uint16(buffer, offset + DATAGRAM_LENGTH_OFFSET, length);
    }

    /** The checksum field of the header at {@code offset}. */
    public static int checksum(ByteBuffer buffer, int offset) {
        return NetworkOrder.uint16(buffer, offset + CHECKSUM_OFFSET);
    }

    /** Sets the checksum field of the header at {@code offset}. */
    public static void checksum(ByteBuffer buffer, int offset, int checksum) {
        NetworkOrder.uint16(buffer, offset + CHECKSUM_OFFSET, checksum);
    }
}
