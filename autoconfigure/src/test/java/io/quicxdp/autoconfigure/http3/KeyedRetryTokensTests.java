package io.quicxdp.autoconfigure.http3;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import org.junit.jupiter.api.Test;

/** Retry tokens: good for the client and connection they were made for, for their lifetime, and nothing else. */
class KeyedRetryTokensTests {

    private static final Instant NOW = Instant.parse("2026-12-02T00:00:00Z");

    private final MovingClock clock = new MovingClock();

    private final KeyedRetryTokens tokens = new KeyedRetryTokens(this.clock);

    private final InetSocketAddress client = new InetSocketAddress(address("198.18.0.2"), 50000);

    private final ByteBuf originalId = Unpooled.wrappedBuffer(new byte[] {1, 2, 3, 4, 5, 6, 7, 8});

    @Test
    void aTokenValidatesForItsClientAndPointsAtTheOriginalConnectionId() {
        ByteBuf token = token(this.tokens);
        int offset = this.tokens.validateToken(token, this.client);
        assertThat(offset).isPositive();
        assertThat(token.slice(token.readerIndex() + offset, token.readableBytes() - offset)).isEqualTo(this.originalId);
        assertThat(token.readableBytes()).isLessThanOrEqualTo(this.tokens.maxTokenLength());
    }

    @Test
    void anotherAddressOrPortIsRefused() {
        ByteBuf token = token(this.tokens);
        assertThat(this.tokens.validateToken(token, new InetSocketAddress(address("198.18.0.3"), 50000))).isEqualTo(-1);
        assertThat(this.tokens.validateToken(token, new InetSocketAddress(address("198.18.0.2"), 50001))).isEqualTo(-1);
    }

    @Test
    void aChangedByteOrAnotherProcessKeyIsRefused() {
        ByteBuf token = token(this.tokens);
        ByteBuf tampered = token.copy();
        tampered.setByte(tampered.writerIndex() - 1, tampered.getByte(tampered.writerIndex() - 1) ^ 1);
        assertThat(this.tokens.validateToken(tampered, this.client)).isEqualTo(-1);
        KeyedRetryTokens otherProcess = new KeyedRetryTokens(Clock.fixed(NOW, ZoneOffset.UTC));
        assertThat(otherProcess.validateToken(token, this.client)).isEqualTo(-1);
        assertThat(this.tokens.validateToken(Unpooled.wrappedBuffer(new byte[5]), this.client)).isEqualTo(-1);
    }

    @Test
    void anExpiredTokenIsRefused() {
        ByteBuf token = token(this.tokens);
        this.clock.now = NOW.plus(KeyedRetryTokens.LIFETIME);
        assertThat(this.tokens.validateToken(token, this.client)).isPositive();
        this.clock.now = NOW.plus(KeyedRetryTokens.LIFETIME).plusMillis(1);
        assertThat(this.tokens.validateToken(token, this.client)).isEqualTo(-1);
    }

    /** A clock the test moves. */
    private static final class MovingClock extends Clock {

        Instant now = NOW;

        @Override
        public Instant instant() {
            return this.now;
        }

        @Override
        public java.time.ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(java.time.ZoneId zone) {
            return this;
        }
    }

    private ByteBuf token(KeyedRetryTokens issuer) {
        ByteBuf token = Unpooled.buffer();
        assertThat(issuer.writeToken(token, this.originalId, this.client)).isTrue();
        return token;
    }

    private static InetAddress address(String text) {
        try {
            return InetAddress.getByName(text);
        }
        catch (java.net.UnknownHostException ex) {
            throw new IllegalArgumentException(ex);
        }
    }
}
