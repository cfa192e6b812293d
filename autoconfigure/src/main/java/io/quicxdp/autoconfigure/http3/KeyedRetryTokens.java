package io.quicxdp.autoconfigure.http3;

import io.netty.buffer.ByteBuf;
import io.netty.handler.codec.quic.QuicTokenHandler;
import io.quicxdp.autoconfigure.http3.keys.KeyKind;
import io.quicxdp.autoconfigure.http3.keys.KeyRing;
import io.quicxdp.autoconfigure.http3.keys.SharedKeys;
import java.net.InetSocketAddress;
import java.security.MessageDigest;
import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Supplier;
import javax.crypto.Mac;

/**
 * Address validation with Retry (RFC 9000, 8.1.2), stateless: a token is its expiry, a MAC over the expiry,
 * the client's address and port and the original destination connection id, and that id. The key is made at
 * random when the server starts, so tokens are good for this process only and for {@link #LIFETIME}; or it is
 * shared by a fleet ({@code quic.xdp.http3.retry-token-keys}): the first key makes tokens, every key is accepted,
 * so a token made by one instance, before or after a rotation, is good on another.
 */
final class KeyedRetryTokens implements QuicTokenHandler {

    /** How long a client has to come back with its token: a round trip, with room to spare. */
    static final Duration LIFETIME = Duration.ofSeconds(10);

    private static final int EXPIRY_LENGTH = 8;

    private static final int MAC_LENGTH = 16;

    private static final int HEADER_LENGTH = EXPIRY_LENGTH + MAC_LENGTH;

    /** QUIC v1's longest connection id. */
    private static final int MAX_CONNECTION_ID_LENGTH = 20;

    private final Supplier<KeyRing> keys;

    private final Clock clock;

    private final LongAdder issued = new LongAdder();

    KeyedRetryTokens(Clock clock) {
        KeyRing random = KeyRing.random(KeyKind.RETRY_TOKEN);
        this.keys = () -> random;
        this.clock = clock;
    }

    KeyedRetryTokens(Clock clock, SharedKeys keys) {
        this.keys = keys::current;
        this.clock = clock;
    }

    @Override
    public boolean writeToken(ByteBuf out, ByteBuf dcid, InetSocketAddress address) {
        long expiry = this.clock.millis() + LIFETIME.toMillis();
        byte[] originalId = new byte[dcid.readableBytes()];
        dcid.getBytes(dcid.readerIndex(), originalId);
        out.writeLong(expiry).writeBytes(mac(this.keys.get().hmac(0), expiry, address, originalId))
            .writeBytes(originalId);
        this.issued.increment();
        return true;
    }

    /** Tokens issued, each with a Retry. */
    long issued() {
        return this.issued.sum();
    }

    @Override
    public int validateToken(ByteBuf token, InetSocketAddress address) {
        int start = token.readerIndex();
        int length = token.readableBytes();
        if (length <= HEADER_LENGTH || length > HEADER_LENGTH + MAX_CONNECTION_ID_LENGTH) {
            return -1;
        }
        long expiry = token.getLong(start);
        if (expiry < this.clock.millis()) {
            return -1;
        }
        byte[] given = new byte[MAC_LENGTH];
        token.getBytes(start + EXPIRY_LENGTH, given);
        byte[] originalId = new byte[length - HEADER_LENGTH];
        token.getBytes(start + HEADER_LENGTH, originalId);
        KeyRing ring = this.keys.get();
        for (int key = 0; key < ring.size(); key++) {
            if (MessageDigest.isEqual(given, mac(ring.hmac(key), expiry, address, originalId))) {
                return HEADER_LENGTH;
            }
        }
        return -1;
    }

    @Override
    public int maxTokenLength() {
        return HEADER_LENGTH + MAX_CONNECTION_ID_LENGTH;
    }

    private static byte[] mac(Mac mac, long expiry, InetSocketAddress address, byte[] originalId) {
        for (int shift = 56; shift >= 0; shift -= 8) {
            mac.update((byte) (expiry >>> shift));
        }
        mac.update(address.getAddress().getAddress());
        mac.update((byte) (address.getPort() >>> 8));
        mac.update((byte) address.getPort());
        mac.update(originalId);
        byte[] full = mac.doFinal();
        byte[] truncated = new byte[MAC_LENGTH];
        System.arraycopy(full, 0, truncated, 0, MAC_LENGTH);
        return truncated;
    }
}
