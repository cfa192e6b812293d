package io.quicxdp.autoconfigure.http3;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.quicxdp.autoconfigure.http3.keys.KeyKind;
import io.quicxdp.autoconfigure.http3.keys.SharedKeys;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Base64;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.core.io.FileSystemResource;

/** Retry tokens: good for the client and connection they were made for, for their lifetime, and nothing else. */
class KeyedRetryTokensTests {

    private static final Instant NOW = Instant.parse("2026-12-02T00:00:00Z");

    @TempDir
    Path directory;

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

    @Test
    void withSharedKeysATokenFromOneInstanceIsGoodOnAnotherAcrossARotation() throws Exception {
        Path file = Files.createTempFile(this.directory, "retry-token-keys", "");
        byte[] old = key();
        Files.writeString(file, line(old));
        KeyedRetryTokens first = new KeyedRetryTokens(this.clock, load(file));
        SharedKeys secondKeys = load(file);
        KeyedRetryTokens second = new KeyedRetryTokens(this.clock, secondKeys);
        ByteBuf before = token(first);
        assertThat(second.validateToken(before, this.client)).isPositive();

        // the new key issues, the old one is still accepted while tokens made with it may be in flight
        byte[] fresh = key();
        Files.writeString(file, line(fresh) + line(old));
        assertThat(secondKeys.reload()).isTrue();
        assertThat(second.validateToken(before, this.client)).isPositive();
        ByteBuf after = token(second);
        assertThat(first.validateToken(after, this.client)).as("an instance that has not reloaded yet").isEqualTo(-1);
        Files.writeString(file, line(fresh));
        KeyedRetryTokens third = new KeyedRetryTokens(this.clock, load(file));
        assertThat(third.validateToken(after, this.client)).isPositive();
        assertThat(third.validateToken(before, this.client)).as("the old key is gone").isEqualTo(-1);
        assertThat(new KeyedRetryTokens(this.clock).validateToken(after, this.client)).isEqualTo(-1);
    }

    private static SharedKeys load(Path file) {
        return SharedKeys.load(KeyKind.RETRY_TOKEN, new FileSystemResource(file));
    }

    private static byte[] key() {
        byte[] key = new byte[32];
        new SecureRandom().nextBytes(key);
        return key;
    }

    private static String line(byte[] key) {
        return Base64.getEncoder().encodeToString(key) + "\n";
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
