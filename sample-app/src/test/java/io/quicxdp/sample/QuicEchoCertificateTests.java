package io.quicxdp.sample;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.netty.pkitesting.CertificateBuilder;
import io.netty.pkitesting.X509Bundle;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.diagnostics.FailureAnalysis;

/** The QUIC echo's TLS context: generated, loaded from the configured files, or a failure naming them. */
class QuicEchoCertificateTests {

    @Test
    void generatesASelfSignedCertificateWhenNoneIsConfigured() {
        QuicEchoCertificate certificate = QuicEchoCertificate.load(new SampleProperties.Quic());
        assertThat(certificate.sslContext().isServer()).isTrue();
        assertThat(certificate.description()).matches("self-signed CN=quic-xdp sample, SHA-256 fingerprint "
                + "([0-9A-F]{2}:){31}[0-9A-F]{2}, generated at start for trying the sample only; .*");
    }

    @Test
    void loadsTheConfiguredChainAndKey(@TempDir Path directory) throws Exception {
        X509Bundle bundle = new CertificateBuilder().subject("CN=quic-xdp sample test")
            .setIsCertificateAuthority(true)
            .buildSelfSigned();
        SampleProperties.Quic properties = new SampleProperties.Quic();
        properties.setCertificate(Files.writeString(directory.resolve("echo.crt"), bundle.getCertificatePEM()));
        properties.setPrivateKey(Files.writeString(directory.resolve("echo.key"), bundle.getPrivateKeyPEM()));
        QuicEchoCertificate certificate = QuicEchoCertificate.load(properties);
        assertThat(certificate.sslContext().isServer()).isTrue();
        assertThat(certificate.description()).isEqualTo("chain from " + properties.getCertificate()
                + " (sample.quic.certificate), key from " + properties.getPrivateKey() + " (sample.quic.private-key)");
    }

    @Test
    void filesThatAreNotPemFailNamingBothProperties(@TempDir Path directory) throws Exception {
        SampleProperties.Quic properties = new SampleProperties.Quic();
        properties.setCertificate(Files.writeString(directory.resolve("echo.crt"), "not a certificate"));
        properties.setPrivateKey(Files.writeString(directory.resolve("echo.key"), "not a key"));
        assertThatThrownBy(() -> QuicEchoCertificate.load(properties)).isInstanceOfSatisfying(
                QuicCertificateException.class, (ex) -> {
                    assertThat(ex).hasMessageStartingWith("sample.quic.certificate (" + properties.getCertificate()
                            + ") and sample.quic.private-key (" + properties.getPrivateKey()
                            + ") are not a PEM certificate chain and its private key: ");
                    FailureAnalysis analysis = new QuicCertificateFailureAnalyzer().analyze(ex);
                    assertThat(analysis.getDescription()).startsWith("The QUIC echo could not load its certificate: "
                            + "sample.quic.certificate (");
                    assertThat(analysis.getAction()).contains("sample.quic.certificate")
                        .contains("sample.quic.private-key")
                        .contains("remove both");
                });
    }
}
