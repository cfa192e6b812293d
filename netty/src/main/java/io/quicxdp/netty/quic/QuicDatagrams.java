package io.quicxdp.netty.quic;

import io.netty.buffer.ByteBuf;
import java.security.SecureRandom;

/**
 * Where a received QUIC datagram goes, read from its first packet's destination connection ID by the header
 * layout every QUIC version shares (RFC 8999): a short header's ID follows the first octet and has the length
 * this server gives its IDs; a long header's follows the version, after an octet with its length.
 */
final class QuicDatagrams {

    /** Not placed by our IDs: a long header whose ID the client chose ({@link #clientIdHash}), or no QUIC packet. */
    static final int LOCAL = -1;

    /** Dropped: a short header whose ID this server did not issue, which no codec here can place. */
    static final int FOREIGN = -2;

    private static final int LONG_HEADER = 0x80;

    /** First octet, version, destination ID length. */
    private static final int LONG_HEADER_DCID = 6;

    /** QUIC version 1's limit on a connection ID's length. */
    private static final int MAX_ID = 20;

    /** Per process, so that IDs chosen to share a slot cannot be worked out in advance. */
    private static final int SEED = new SecureRandom().nextInt();

    private QuicDatagrams() {
    }

    /**
     * The loop whose connection the datagram's readable bytes are for, {@link #LOCAL} or {@link #FOREIGN}.
     * Reads only the readable bytes; allocates nothing, throws nothing.
     */
    static int route(ByteBuf datagram, QuicLbConnectionIds ids, int loops) {
        int length = datagram.readableBytes();
        if (length == 0) {
            return FOREIGN;
        }
        int start = datagram.readerIndex();
        int idLength = ids.connectionIdLength();
        if ((datagram.getUnsignedByte(start) & LONG_HEADER) == 0) {
            int loop = length > idLength ? ids.loopOf(datagram, start + 1, idLength) : QuicLbConnectionIds.NOT_OURS;
            return loop >= 0 && loop < loops ? loop : FOREIGN;
        }
        // a long header's ID is ours once the client took it from our first packets; until then it is its own
        if (length < LONG_HEADER_DCID || datagram.getUnsignedByte(start + LONG_HEADER_DCID - 1) != idLength
                || length < LONG_HEADER_DCID + idLength) {
            return LOCAL;
        }
        int loop = ids.loopOf(datagram, start + LONG_HEADER_DCID, idLength);
        return loop >= 0 && loop < loops ? loop : LOCAL;
    }

    /**
     * For a datagram {@link #route} leaves {@link #LOCAL}: the hash of its long header's destination ID (one the
     * client chose), never 0, the same for every datagram with that ID; 0 for a datagram that holds no such ID.
     * Reads only the readable bytes; allocates nothing, throws nothing.
     */
    static int clientIdHash(ByteBuf datagram) {
        int length = datagram.readableBytes();
        int start = datagram.readerIndex();
        if (length < LONG_HEADER_DCID || (datagram.getUnsignedByte(start) & LONG_HEADER) == 0) {
            return 0;
        }
        int idLength = datagram.getUnsignedByte(start + LONG_HEADER_DCID - 1);
        if (idLength == 0 || idLength > MAX_ID || length < LONG_HEADER_DCID + idLength) {
            return 0;
        }
        return ConnectionIdHash.finish(ConnectionIdHash.of(SEED, datagram, start + LONG_HEADER_DCID, idLength));
    }
}
