package io.quicxdp.autoconfigure.http3.keys;

import io.netty.handler.codec.quic.QuicResetTokenGenerator;
import java.nio.ByteBuffer;
import java.util.Arrays;
import javax.crypto.Mac;

/**
 * Stateless-reset tokens (RFC 9000, 10.3.2) as an HMAC-SHA256 of the connection ID under the shared key,
 * truncated to 16 bytes: every instance with the key makes the token the client was given with the ID, so any
 * of them can reset a connection it does not hold.
 */
final class SharedResetTokenGenerator implements QuicResetTokenGenerator {

    /** A stateless-reset token's length. */
    static final int TOKEN_LENGTH = 16;

    private final SharedKeys keys;

    SharedResetTokenGenerator(SharedKeys keys) {
        this.keys = keys;
    }

    @Override
    public ByteBuffer newResetToken(ByteBuffer connectionId) {
        Mac mac = this.keys.current().hmac(0);
        mac.update(connectionId.duplicate());
        return ByteBuffer.wrap(Arrays.copyOf(mac.doFinal(), TOKEN_LENGTH));
    }
}
