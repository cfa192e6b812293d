package io.quicxdp.autoconfigure.http3;

import io.netty.buffer.ByteBuf;
import io.netty.handler.codec.quic.QuicTokenHandler;
import java.net.InetSocketAddress;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Address validation with Retry (RFC 9000, 8.1.2), stateless: a token is its expiry, a MAC over the expiry,
 * the client's address and port and the original destination connection id, and that id. The key is made at
 * random when the server starts, so tokens are good for this process only and for {@link #LIFETIME}.
 */
final class KeyedRetryTokens implements QuicTokenHandler {

    /** How long a client has to come back with its token: a round trip, with room to spare. */
    static final Duration LIFETIME = Duration.ofSeconds(10);

    private static final int EXPIRY_LENGTH = 8;

    private static final int MAC_LENGTH = 16;

    private static final int HEADER_LENGTH = EXPIRY_LENGTH + MAC_LENGTH;

    /** QUIC v1's longest connection id. */
    private static final int MAX_CONNECTION_ID_LENGTH = 20;

    private final SecretKeySpec key;

    private final Clock clock;

    private final ThreadLocal<Mac> macs;

    KeyedRetryTokens(Clock clock) {
        byte[] secret = new byte[32];
        new SecureRandom().nextBytes(secret);
        this.key = new SecretKeySpec(secret, "HmacSHA256");
        this.clock = clock;
        this.macs = ThreadLocal.withInitial(this::newMac);
    }

    private Mac newMac() {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(this.key);
            return mac;
        }
        catch (GeneralSecurityException ex) {
            throw new IllegalStateException("HmacSHA256 is not available", ex);
        }
    }

    @Override
    public boolean writeToken(ByteBuf out, ByteBuf dcid, InetSocketAddress address) {
        long expiry = this.clock.millis() + LIFETIME.toMillis();
        byte[] originalId = new byte[dcid.readableBytes()];
        dcid.getBytes(dcid.readerIndex(), originalId);
        out.writeLong(expiry).writeBytes(mac(expiry, address, originalId)).writeBytes(originalId);
        return true;
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
        return MessageDigest.isEqual(given, mac(expiry, address, originalId)) ? HEADER_LENGTH : -1;
    }

    @Override
    public int maxTokenLength() {
        return HEADER_LENGTH + MAX_CONNECTION_ID_LENGTH;
    }

    private byte[] mac(long expiry, InetSocketAddress address, byte[] originalId) {
        Mac mac = this.macs.get();
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
