package io.quicxdp.netty.quic;

import io.netty.handler.codec.quic.QuicConnectionIdGenerator;
import java.nio.ByteBuffer;

/**
 * The connection IDs of one event loop's QUIC codec, as Netty 4.2's server codec asks for them:
 *
 * <ul>
 * <li>{@code newId(scid, dcid, length)} gives a connection its first ID (and a Retry its source ID), derived from
 * the client's destination ID: the codec derives it again for each Initial it cannot place and looks the
 * connection up under it, so the same client ID must give the same ID;</li>
 * <li>{@code newId(input, length)} gives a connection its further IDs, for NEW_CONNECTION_ID frames: the codec
 * passes the connection's current ID each time it asks for one more, so these are random, or a client would get
 * the same spare ID over and over and could not migrate twice;</li>
 * <li>{@code newId(length)} is random.</li>
 * </ul>
 *
 * Hence {@link #isIdempotent()} is false: not every input gives the same ID twice. Every ID names this generator's
 * loop; a length other than the format's is refused.
 */
final class QuicLbConnectionIdGenerator implements QuicConnectionIdGenerator {

    private final QuicLbConnectionIds ids;

    private final int loop;

    QuicLbConnectionIdGenerator(QuicLbConnectionIds ids, int loop) {
        this.ids = ids;
        this.loop = loop;
    }

    @Override
    public ByteBuffer newId(int length) {
        checkLength(length);
        return ByteBuffer.wrap(ids.newConnectionId(loop));
    }

    @Override
    public ByteBuffer newId(ByteBuffer input, int length) {
        checkLength(length);
        return ByteBuffer.wrap(ids.newConnectionId(loop));
    }

    @Override
    public ByteBuffer newId(ByteBuffer scid, ByteBuffer dcid, int length) {
        checkLength(length);
        return ByteBuffer.wrap(ids.derivedConnectionId(loop, dcid));
    }

    @Override
    public int maxConnectionIdLength() {
        return ids.connectionIdLength();
    }

    @Override
    public boolean isIdempotent() {
        return false;
    }

    private void checkLength(int length) {
        if (length != ids.connectionIdLength()) {
            throw new IllegalArgumentException("these connection IDs have " + ids.connectionIdLength()
                    + " octets, not " + length + ": build the QUIC codec with localConnectionIdLength("
                    + ids.connectionIdLength() + ")");
        }
    }

    @Override
    public String toString() {
        return "QuicLbConnectionIdGenerator[loop " + loop + ", " + ids + "]";
    }
}
