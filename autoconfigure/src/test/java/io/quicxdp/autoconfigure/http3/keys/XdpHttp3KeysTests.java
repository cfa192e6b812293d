package io.quicxdp.autoconfigure.http3.keys;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

import io.netty.handler.codec.quic.QuicResetTokenGenerator;
import io.netty.handler.codec.quic.SslSessionTicketKey;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.core.io.Resource;

/** The keys a fleet shares, as two instances given the same files use them, and while the files rotate. */
class XdpHttp3KeysTests {

    @TempDir
    Path directory;

    @Test
    void twoInstancesWithTheSameKeyMakeTheSameResetTokenForAConnectionIdAndOnlyForIt() throws Exception {
        Resource file = KeyFiles.write(this.directory.resolve("stateless-reset-key"), KeyFiles.line(KeyFiles.key(32)));
        QuicResetTokenGenerator first = resetKeys(file).resetTokenGenerator();
        QuicResetTokenGenerator second = resetKeys(file).resetTokenGenerator();
        ByteBuffer connectionId = ByteBuffer.wrap(new byte[] {0x20, 0, 1, 9, 8, 7, 6, 5, 4});
        ByteBuffer token = first.newResetToken(connectionId);
        assertThat(token.remaining()).isEqualTo(16);
        assertThat(connectionId.remaining()).as("the caller's buffer is left as it was").isEqualTo(9);
        assertThat(second.newResetToken(connectionId)).isEqualTo(token);
        ByteBuffer another = ByteBuffer.wrap(new byte[] {0x20, 0, 2, 9, 8, 7, 6, 5, 4});
        assertThat(first.newResetToken(another)).isNotEqualTo(token);
    }

    @Test
    void withoutFilesNothingIsSharedAndNoThreadStarts() {
        XdpHttp3Keys keys = new XdpHttp3Keys(null, null, null, Duration.ofSeconds(10));
        assertThat(keys.resetTokenGenerator()).isNull();
        assertThat(keys.sessionTickets()).isNull();
        assertThat(keys.retryTokens()).isNull();
        keys.start();
        assertThat(keys.isRunning()).isFalse();
        assertThatIllegalArgumentException().isThrownBy(() -> new XdpHttp3Keys(null, null, null, Duration.ZERO));
    }

    @Test
    void sessionTicketKeysSplitIntoBoringSslsNameHmacKeyAndAesKeyTheIssuingOneFirst() throws Exception {
        byte[] issuing = KeyFiles.key(48);
        byte[] accepted = KeyFiles.key(48);
        Resource file = KeyFiles.write(this.directory.resolve("session-ticket-keys"),
                KeyFiles.line(issuing) + KeyFiles.line(accepted));
        SslSessionTicketKey[] ticketKeys = XdpHttp3Keys.ticketKeys(SharedKeys.load(KeyKind.SESSION_TICKET, file)
            .current());
        assertThat(ticketKeys).hasSize(2);
        assertThat(ticketKeys[0].name()).isEqualTo(Arrays.copyOfRange(issuing, 0, 16));
        assertThat(ticketKeys[0].hmacKey()).isEqualTo(Arrays.copyOfRange(issuing, 16, 32));
        assertThat(ticketKeys[0].aesKey()).isEqualTo(Arrays.copyOfRange(issuing, 32, 48));
        assertThat(ticketKeys[1].name()).isEqualTo(Arrays.copyOfRange(accepted, 0, 16));
    }

    @Test
    void whileRunningARotatedFileIsPickedUpOffTheCallersThread() throws Exception {
        Path path = this.directory.resolve("stateless-reset-key");
        Resource file = KeyFiles.write(path, KeyFiles.line(KeyFiles.key(32)));
        SharedKeys reset = SharedKeys.load(KeyKind.STATELESS_RESET, file);
        XdpHttp3Keys keys = new XdpHttp3Keys(null, null, reset, Duration.ofMillis(20));
        AtomicReference<String> reloadedOn = new AtomicReference<>();
        reset.onChange((ring) -> reloadedOn.set(Thread.currentThread().getName()));
        keys.start();
        try {
            assertThat(keys.isRunning()).isTrue();
            byte[] rotated = KeyFiles.key(32);
            KeyFiles.write(path, KeyFiles.line(rotated));
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            // the ring is current before its listeners hear of it: wait for both
            while ((!Arrays.equals(reset.current().key(0), rotated) || reloadedOn.get() == null)
                    && System.nanoTime() - deadline < 0) {
                Thread.sleep(10);
            }
            assertThat(reset.current().key(0)).as("the rotated key, within 10 s").isEqualTo(rotated);
            assertThat(reloadedOn.get()).isEqualTo("quic-xdp-keys");
        }
        finally {
            keys.stop();
        }
        assertThat(keys.isRunning()).isFalse();
    }

    private static XdpHttp3Keys resetKeys(Resource statelessReset) {
        return new XdpHttp3Keys(null, null, SharedKeys.load(KeyKind.STATELESS_RESET, statelessReset),
                Duration.ofSeconds(10));
    }
}
