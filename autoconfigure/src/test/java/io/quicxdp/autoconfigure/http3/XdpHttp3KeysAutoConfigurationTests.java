package io.quicxdp.autoconfigure.http3;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.handler.codec.quic.QuicSslContext;
import io.netty.handler.codec.quic.QuicSslContextBuilder;
import io.netty.pkitesting.CertificateBuilder;
import io.netty.pkitesting.X509Bundle;
import io.quicxdp.autoconfigure.http3.keys.XdpHttp3Keys;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Clock;
import java.util.Base64;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.diagnostics.FailureAnalysis;
import org.springframework.boot.diagnostics.FailureAnalyzer;
import org.springframework.boot.test.context.runner.ReactiveWebApplicationContextRunner;
import org.springframework.core.io.support.SpringFactoriesLoader;
import org.springframework.core.io.support.SpringFactoriesLoader.FailureHandler;

/**
 * The shared keys' properties as an application sees them: unset, nothing is shared; set, the files are read at
 * start-up, and a missing or malformed one stops it with an analysis that names the property and the fix.
 */
class XdpHttp3KeysAutoConfigurationTests {

    private final ReactiveWebApplicationContextRunner contextRunner = new ReactiveWebApplicationContextRunner()
        .withConfiguration(AutoConfigurations.of(XdpHttp3KeysAutoConfiguration.class))
        .withPropertyValues("quic.xdp.http3.enabled=true");

    @TempDir
    Path directory;

    @Test
    void withoutKeyFilesEachInstanceKeepsItsOwnRandomKeys() {
        this.contextRunner.run((context) -> {
            XdpHttp3Keys keys = context.getBean(XdpHttp3Keys.class);
            assertThat(keys.sessionTickets()).isNull();
            assertThat(keys.retryTokens()).isNull();
            assertThat(keys.resetTokenGenerator()).isNull();
            assertThat(keys.isRunning()).as("no file to read again").isFalse();
        });
    }

    @Test
    void keyFilesAreReadAtStartAndReadAgainWhileRunning() throws Exception {
        Path sessionTickets = write("session-ticket-keys", key(48) + key(48));
        Path retryTokens = write("retry-token-keys", key(32));
        Path statelessReset = write("stateless-reset-key", key(32));
        this.contextRunner
            .withPropertyValues("quic.xdp.http3.session-ticket-keys=file:" + sessionTickets,
                    "quic.xdp.http3.retry-token-keys=file:" + retryTokens,
                    "quic.xdp.http3.stateless-reset-key=file:" + statelessReset,
                    "quic.xdp.http3.key-reload-interval=1s")
            .run((context) -> {
                XdpHttp3Keys keys = context.getBean(XdpHttp3Keys.class);
                assertThat(keys.sessionTickets().current().size()).isEqualTo(2);
                assertThat(keys.retryTokens().current().size()).isEqualTo(1);
                assertThat(keys.resetTokenGenerator()).isNotNull();
                assertThat(keys.isRunning()).isTrue();
            });
    }

    @Test
    void theHttp3ServerIssuesAndAcceptsWithTheConfiguredKeys() throws Exception {
        Path retryTokens = write("retry-token-keys", key(32));
        Path statelessReset = write("stateless-reset-key", key(32));
        this.contextRunner
            .withPropertyValues("quic.xdp.http3.retry=true", "quic.xdp.http3.retry-token-keys=file:" + retryTokens,
                    "quic.xdp.http3.stateless-reset-key=file:" + statelessReset)
            .run((context) -> {
                XdpHttp3Quic quic = new XdpHttp3Quic(tls(), 2, null);
                context.getBean("xdpHttp3SharedKeys", XdpHttp3QuicCustomizer.class).customize(quic);
                XdpHttp3Keys keys = context.getBean(XdpHttp3Keys.class);
                assertThat(quic.tokenHandler()).as("Retry tokens from the shared key")
                    .isInstanceOf(KeyedRetryTokens.class);
                ByteBuf token = Unpooled.buffer();
                InetSocketAddress client = new InetSocketAddress("198.18.0.2", 4433);
                quic.tokenHandler().writeToken(token, Unpooled.wrappedBuffer(new byte[8]), client);
                assertThat(new KeyedRetryTokens(Clock.systemUTC(), keys.retryTokens()).validateToken(token, client))
                    .as("a token from this instance, checked by another with the same key").isPositive();
                ByteBuffer id = ByteBuffer.wrap(new byte[] { 1, 2, 3, 4, 5, 6, 7, 8 });
                assertThat(quic.resetTokenGenerator().newResetToken(id))
                    .isEqualTo(keys.resetTokenGenerator().newResetToken(id));
            });
    }

    @Test
    void withoutRetryTheSharedRetryKeysSendNoRetry() throws Exception {
        Path retryTokens = write("retry-token-keys", key(32));
        this.contextRunner.withPropertyValues("quic.xdp.http3.retry-token-keys=file:" + retryTokens).run((context) -> {
            XdpHttp3Quic quic = new XdpHttp3Quic(tls(), 2, null);
            context.getBean("xdpHttp3SharedKeys", XdpHttp3QuicCustomizer.class).customize(quic);
            assertThat(quic.tokenHandler()).isNull();
            assertThat(quic.resetTokenGenerator()).as("Netty's own").isNull();
        });
    }

    private static QuicSslContext tls() throws Exception {
        X509Bundle certificate = new CertificateBuilder().subject("CN=quic-xdp test").setIsCertificateAuthority(true)
            .buildSelfSigned();
        return QuicSslContextBuilder
            .forServer(certificate.getKeyPair().getPrivate(), null, certificate.getCertificate())
            .applicationProtocols("h3")
            .build();
    }

    @Test
    void aMissingFileStopsTheStartNamingThePropertyAndTheFix() {
        Path missing = this.directory.resolve("not-mounted");
        this.contextRunner.withPropertyValues("quic.xdp.http3.session-ticket-keys=file:" + missing).run((context) -> {
            FailureAnalysis analysis = analyze(context.getStartupFailure());
            assertThat(analysis.getDescription()).startsWith("quic.xdp.http3.session-ticket-keys names ")
                .contains(missing.toString())
                .contains("cannot be read");
            assertThat(analysis.getAction()).contains("quic.xdp.http3.session-ticket-keys")
                .contains("openssl rand -base64 48")
                .contains("Kubernetes Secret");
        });
    }

    @Test
    void aMalformedFileStopsTheStartSayingWhichLine() throws Exception {
        Path file = write("retry-token-keys", key(32) + key(48));
        this.contextRunner.withPropertyValues("quic.xdp.http3.retry-token-keys=file:" + file).run((context) -> {
            FailureAnalysis analysis = analyze(context.getStartupFailure());
            assertThat(analysis.getDescription()).startsWith("quic.xdp.http3.retry-token-keys names ")
                .endsWith("which line 2 holds 48 bytes, where a Retry-token key has 32.");
        });
    }

    @Test
    void aReloadIntervalThatIsNotPositiveIsRefusedByName() {
        this.contextRunner.withPropertyValues("quic.xdp.http3.key-reload-interval=0s")
            .run((context) -> assertThat(context).getFailure()
                .hasStackTraceContaining("quic.xdp.http3.key-reload-interval must be positive"));
    }

    /**
     * The analysis the registered failure analyzers give; those that need the application's bean factory are
     * left out.
     */
    private static FailureAnalysis analyze(Throwable failure) {
        List<FailureAnalyzer> analyzers = SpringFactoriesLoader.forDefaultResourceLocation()
            .load(FailureAnalyzer.class, null, FailureHandler.handleMessage((message, ex) -> {
            }));
        return analyzers.stream()
            .map((analyzer) -> analyzer.analyze(failure))
            .filter((analysis) -> analysis != null)
            .findFirst()
            .orElseThrow(() -> new AssertionError("no failure analyzer explains " + failure));
    }

    private Path write(String name, String text) throws Exception {
        return Files.writeString(this.directory.resolve(name), text, StandardCharsets.UTF_8);
    }

    private static String key(int length) {
        byte[] key = new byte[length];
        new SecureRandom().nextBytes(key);
        return Base64.getEncoder().encodeToString(key) + "\n";
    }
}
