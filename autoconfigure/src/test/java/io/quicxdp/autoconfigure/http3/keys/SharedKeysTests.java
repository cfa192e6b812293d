package io.quicxdp.autoconfigure.http3.keys;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.core.io.ByteArrayResource;
import org.springframework.core.io.FileSystemResource;
import org.springframework.core.io.Resource;

/** Key files read and read again: the format, its mistakes as an operator reads them, and rotation. */
class SharedKeysTests {

    @TempDir
    Path directory;

    @Test
    void theFirstKeyIssuesAndCommentsBlankLinesAndCrlfAreSkipped() throws Exception {
        byte[] first = KeyFiles.key(48);
        byte[] second = KeyFiles.key(48);
        Resource file = KeyFiles.write(this.directory.resolve("session-ticket-keys"), "# issuing\r\n"
                + KeyFiles.line(first).replace("\n", "\r\n") + "\n  \n# still accepted\n  " + KeyFiles.line(second));
        KeyRing keys = SharedKeys.load(KeyKind.SESSION_TICKET, file).current();
        assertThat(keys.size()).isEqualTo(2);
        assertThat(keys.key(0)).isEqualTo(first);
        assertThat(keys.key(1)).isEqualTo(second);
        assertThat(keys.fingerprint(0)).hasSize(8).isNotEqualTo(keys.fingerprint(1));
    }

    @Test
    void aMissingFileNamesThePropertyTheFileAndTheFix() {
        Resource missing = new FileSystemResource(this.directory.resolve("absent"));
        assertThatExceptionOfType(XdpHttp3KeyFileException.class)
            .isThrownBy(() -> SharedKeys.load(KeyKind.RETRY_TOKEN, missing))
            .satisfies((failure) -> {
                assertThat(failure.getMessage()).startsWith("quic.xdp.http3.retry-token-keys names file [")
                    .contains("absent").contains("cannot be read");
                assertThat(failure.action()).contains("quic.xdp.http3.retry-token-keys")
                    .contains("openssl rand -base64 32").contains("one base64 Retry-token key of 32 bytes a line");
            });
    }

    @Test
    void eachMalformedFileIsRefusedSayingWhatIsWrongWithoutShowingAKey() {
        String key32 = KeyFiles.line(KeyFiles.key(32));
        assertRefused(KeyKind.RETRY_TOKEN, "", "holds no key");
        assertRefused(KeyKind.RETRY_TOKEN, "# only a comment\n\n", "holds no key");
        assertRefused(KeyKind.RETRY_TOKEN, key32 + "not*base64\n", "line 2 is not base64");
        assertRefused(KeyKind.SESSION_TICKET, key32, "line 1 holds 32 bytes, where a session-ticket key has 48");
        assertRefused(KeyKind.STATELESS_RESET, key32 + key32, "holds 2 keys, where it takes exactly one");
        assertThatExceptionOfType(XdpHttp3KeyFileException.class)
            .isThrownBy(() -> SharedKeys.load(KeyKind.RETRY_TOKEN, new ByteArrayResource(new byte[] {(byte) 0xff})))
            .withMessageEndingWith("is not text (UTF-8)");
        assertThatExceptionOfType(XdpHttp3KeyFileException.class)
            .isThrownBy(() -> SharedKeys.load(KeyKind.RETRY_TOKEN, new ByteArrayResource(new byte[70_000])))
            .withMessageEndingWith("is longer than a key file's 65536 bytes");
        assertThatExceptionOfType(XdpHttp3KeyFileException.class)
            .isThrownBy(() -> SharedKeys.load(KeyKind.STATELESS_RESET, new ByteArrayResource(key32.substring(0, 20)
                    .getBytes())))
            .satisfies((failure) -> assertThat(failure.getMessage()).doesNotContain(key32.substring(0, 20)));
    }

    @Test
    void aChangedFileIsSwappedInWholeAndTheListenersHear() throws Exception {
        Path path = this.directory.resolve("retry-token-keys");
        byte[] old = KeyFiles.key(32);
        SharedKeys shared = SharedKeys.load(KeyKind.RETRY_TOKEN, KeyFiles.write(path, KeyFiles.line(old)));
        List<KeyRing> heard = new ArrayList<>();
        shared.onChange(heard::add);
        assertThat(shared.reload()).as("unchanged").isFalse();

        byte[] fresh = KeyFiles.key(32);
        KeyFiles.write(path, KeyFiles.line(fresh) + KeyFiles.line(old));
        assertThat(shared.reload()).isTrue();
        assertThat(shared.current().key(0)).isEqualTo(fresh);
        assertThat(shared.current().key(1)).isEqualTo(old);
        assertThat(heard).containsExactly(shared.current());
        assertThat(shared.reload()).isFalse();
        assertThat(heard).hasSize(1);
    }

    @Test
    void aFileGoneOrBrokenWhileRunningLeavesTheKeysInUseUntilItIsFixed() throws Exception {
        Path path = this.directory.resolve("stateless-reset-key");
        byte[] key = KeyFiles.key(32);
        SharedKeys shared = SharedKeys.load(KeyKind.STATELESS_RESET, KeyFiles.write(path, KeyFiles.line(key)));
        KeyRing inUse = shared.current();

        KeyFiles.write(path, "half a ke");
        assertThat(shared.reload()).isFalse();
        assertThat(shared.current()).isSameAs(inUse);
        Files.delete(path);
        assertThat(shared.reload()).isFalse();
        assertThat(shared.current()).isSameAs(inUse);

        byte[] next = KeyFiles.key(32);
        KeyFiles.write(path, KeyFiles.line(next));
        assertThat(shared.reload()).isTrue();
        assertThat(shared.current().key(0)).isEqualTo(next);
    }

    @Test
    void keysAreCopiedInAndOut() {
        byte[] key = KeyFiles.key(32);
        KeyRing ring = SharedKeys.load(KeyKind.RETRY_TOKEN,
                new ByteArrayResource(Base64.getEncoder().encode(key))).current();
        ring.key(0)[0]++;
        assertThat(ring.key(0)).isEqualTo(key);
    }

    private static void assertRefused(KeyKind kind, String text, String problem) {
        Resource file = new ByteArrayResource(text.getBytes(), "key file");
        assertThatExceptionOfType(XdpHttp3KeyFileException.class)
            .isThrownBy(() -> SharedKeys.load(kind, file))
            .satisfies((failure) -> {
                assertThat(failure.getMessage())
                    .isEqualTo(kind.property() + " names " + file.getDescription() + ", which " + problem);
                assertThat(failure.kind()).isEqualTo(kind);
            });
    }
}
