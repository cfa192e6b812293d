package io.quicxdp.sample;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.boot.context.properties.source.MapConfigurationPropertySource;
import org.springframework.validation.BeanPropertyBindingResult;
import org.springframework.validation.Errors;
import org.springframework.validation.ObjectError;

/** The QUIC echo's properties as they are bound from text, and the messages that name a wrong one. */
class SamplePropertiesTests {

    @Test
    void defaultsNeedNoCertificate() {
        SampleProperties properties = bind(Map.of());
        assertThat(properties.getQuic().getPort()).isEqualTo(4434);
        assertThat(properties.getQuic().getCertificate()).isNull();
        assertThat(properties.getQuic().getPrivateKey()).isNull();
        assertThat(messages(properties)).isEmpty();
    }

    @Test
    void bindsTheCertificateAndKeyAsPaths(@TempDir Path directory) throws Exception {
        Path certificate = Files.writeString(directory.resolve("echo.crt"), "");
        Path privateKey = Files.writeString(directory.resolve("echo.key"), "");
        SampleProperties properties = bind(Map.of("sample.quic.port", "5000", "sample.quic.certificate",
                certificate.toString(), "sample.quic.private-key", privateKey.toString()));
        assertThat(properties.getQuic().getPort()).isEqualTo(5000);
        assertThat(properties.getQuic().getCertificate()).isEqualTo(certificate);
        assertThat(properties.getQuic().getPrivateKey()).isEqualTo(privateKey);
        assertThat(messages(properties)).isEmpty();
    }

    @Test
    void rejectsAPortOutOfRange() {
        assertThat(messages(bind(Map.of("sample.quic.port", "0")))).containsExactly(
                "sample.quic.port must be a UDP port from 1 to 65535, the port the XDP program redirects");
        assertThat(messages(bind(Map.of("sample.quic.port", "65536")))).hasSize(1);
    }

    @Test
    void rejectsThePortOfTheUdpEcho() {
        assertThat(messages(bind(Map.of("sample.echo.port", "5000", "sample.quic.port", "5000")))).containsExactly(
                "sample.quic.port must differ from sample.echo.port (5000): each echo serves a port of its own");
    }

    @Test
    void rejectsACertificateWithoutItsKeyAndAKeyWithoutItsCertificate(@TempDir Path directory) throws Exception {
        String file = Files.writeString(directory.resolve("echo.pem"), "").toString();
        String together = "sample.quic.certificate and sample.quic.private-key must be set together, or neither "
                + "for a generated self-signed certificate";
        assertThat(messages(bind(Map.of("sample.quic.certificate", file)))).containsExactly(together);
        assertThat(messages(bind(Map.of("sample.quic.private-key", file)))).containsExactly(together);
    }

    @Test
    void rejectsFilesThatAreNotThere(@TempDir Path directory) {
        Path missing = directory.resolve("missing.pem");
        assertThat(messages(bind(Map.of("sample.quic.certificate", directory.toString(), "sample.quic.private-key",
                missing.toString())))).containsExactly(
                        "sample.quic.certificate must name a readable PEM file; " + directory + " is not one",
                        "sample.quic.private-key must name a readable PEM file; " + missing + " is not one");
    }

    private static SampleProperties bind(Map<String, String> values) {
        return new Binder(new MapConfigurationPropertySource(values)).bindOrCreate("sample", SampleProperties.class);
    }

    private static List<String> messages(SampleProperties properties) {
        Errors errors = new BeanPropertyBindingResult(properties, "sample");
        properties.validate(properties, errors);
        return errors.getAllErrors().stream().map(ObjectError::getDefaultMessage).toList();
    }
}
