package io.quicxdp.datapath.testing;

import java.nio.ByteBuffer;
import java.util.concurrent.ThreadLocalRandom;

/**
 * QUIC-shaped UDP payloads for tests of what routes by connection ID: the headers a load balancer reads, with
 * random bytes where a real packet has its protected fields. Connection IDs are QUIC-LB plaintext: the first
 * octet's three config-rotation bits, the server ID, then random octets.
 */
public final class QuicPackets {

    /** QUIC version 1. */
    private static final int VERSION_1 = 1;

    /** Octets after the header: a packet number and protected payload, as far as anyone on the path can tell. */
    private static final int PROTECTED = 24;

    private QuicPackets() {
    }

    /** A connection ID of {@code length} octets: config rotation bits, {@code serverId}, random octets. */
    public static byte[] connectionId(int rotationBits, byte[] serverId, int length) {
        if (rotationBits < 0 || rotationBits > 0b111 || length < 1 + serverId.length || length > 20) {
            throw new IllegalArgumentException("config rotation bits 0 to 7 and 1 + " + serverId.length
                    + " to 20 octets, not " + rotationBits + " and " + length);
        }
        byte[] id = random(length);
        id[0] = (byte) (rotationBits << 5 | id[0] & 0x1f);
        System.arraycopy(serverId, 0, id, 1, serverId.length);
        return id;
    }

    /** A 1-RTT packet (short header, first bit 0, fixed bit 1) to a connection ID made as {@link #connectionId}. */
    public static byte[] shortHeader(int rotationBits, byte[] serverId, int connectionIdLength) {
        byte[] id = connectionId(rotationBits, serverId, connectionIdLength);
        ByteBuffer packet = ByteBuffer.allocate(1 + id.length + PROTECTED);
        packet.put((byte) (0x40 | ThreadLocalRandom.current().nextInt(0x40))).put(id).put(random(PROTECTED));
        return packet.array();
    }

    /** An Initial packet (long header) to {@code destinationId}, from a random 8-octet source connection ID. */
    public static byte[] longHeader(byte[] destinationId) {
        byte[] sourceId = random(8);
        ByteBuffer packet = ByteBuffer.allocate(1 + 4 + 1 + destinationId.length + 1 + sourceId.length + 1 + 2
                + PROTECTED);
        packet.put((byte) 0xc0).putInt(VERSION_1).put((byte) destinationId.length).put(destinationId)
                .put((byte) sourceId.length).put(sourceId)
                // no token; the length as a two-octet variable-length integer
                .put((byte) 0).putShort((short) (0x4000 | PROTECTED)).put(random(PROTECTED));
        return packet.array();
    }

    private static byte[] random(int length) {
        byte[] bytes = new byte[length];
        ThreadLocalRandom.current().nextBytes(bytes);
        return bytes;
    }
}
