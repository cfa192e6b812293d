package io.quicxdp.autoconfigure.faults;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.netty.pkitesting.CertificateBuilder;
import io.netty.pkitesting.X509Bundle;
import io.quicxdp.datapath.internal.bpf.BpfMap;
import io.quicxdp.datapath.internal.bpf.BpfMapType;
import io.quicxdp.datapath.testing.TestPorts;
import io.quicxdp.datapath.testing.XskMapFixture;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.springframework.beans.factory.BeanFactory;
import org.springframework.beans.factory.support.DefaultListableBeanFactory;
import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.WebApplicationType;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.diagnostics.FailureAnalysis;
import org.springframework.boot.diagnostics.FailureAnalyzer;
import org.springframework.core.env.Environment;
import org.springframework.core.env.MapPropertySource;
import org.springframework.core.env.StandardEnvironment;
import org.springframework.core.io.support.SpringFactoriesLoader.ArgumentResolver;
import org.springframework.core.io.support.SpringFactoriesLoader;

/**
 * Bad configurations of every map source ({@code path}, {@code device-plugin-socket}, {@code agent-socket}), of
 * HTTP/3 and of the QUIC connection IDs, each started for real as a WebFlux application with HTTP/3 on over a real
 * map: each fails start-up with a failure analysis naming the property and the fix, and leaves no socket in the
 * map. A case lists the properties it adds to a working configuration, and with a leading {@code -} those it takes
 * away.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class BadConfigurationTests {

    private static final int PORT = TestPorts.ECHO;

    private XskMapFixture fixture;

    private Path arrayPin;

    @TempDir
    Path files;

    @BeforeAll
    void createFixture() throws Exception {
        this.fixture = XskMapFixture.create(2, java.util.Set.of(PORT));
        this.arrayPin = this.fixture.net().pinPath("array");
        try (BpfMap array = BpfMap.create(BpfMapType.ARRAY, 4, 4, 8, "not_xsks")) {
            array.pin(this.arrayPin);
        }
    }

    @AfterAll
    void removeFixture() {
        if (this.fixture != null) {
            this.fixture.close();
        }
    }

    Stream<Arguments> badConfigurations() {
        String m = "quic.xdp.maps[0].";
        return Stream.of(
                bad("pin missing", "quic.xdp.maps[0].path", "Pin the XSKMAP", m + "path=${pins}/no-such-map"),
                bad("pin not on bpffs", "quic.xdp.maps[0].path", "mount -t bpf bpf /sys/fs/bpf",
                        m + "path=/tmp/quicxdp-not-bpffs"),
                bad("pin of an array map", "quic.xdp.maps[0].path", "XSKMAP", m + "path=${array}"),
                bad("interface missing", "quic.xdp.maps[0].interface", "ip link",
                        m + "interface=qxnone${id}"),
                bad("queue beyond the device", "quic.xdp.maps[0].interface", "queue", m + "queues=0,7"),
                bad("queue twice", "quic.xdp.maps[0].queues", "lists queue 1 twice", m + "queues=1,1"),
                bad("two sources", "quic.xdp.maps[0].agent-socket", "is set together with",
                        m + "agent-socket=/run/quic-xdp/agent.sock"),
                bad("no source", "quic.xdp.maps[1].path", "device-plugin-socket",
                        "quic.xdp.maps[1].interface=lo"),
                bad("interface twice", "quic.xdp.maps[1].interface", "quic.xdp.maps[0]",
                        "quic.xdp.maps[1].interface=${interface}", "quic.xdp.maps[1].path=${pins}/other"),
                bad("device plugin socket missing", "quic.xdp.maps[0].device-plugin-socket", "device plugin",
                        "-" + m + "path", m + "device-plugin-socket=${files}/afxdp.sock"),
                bad("device plugin socket relative", "quic.xdp.maps[1].device-plugin-socket", "absolute path",
                        "quic.xdp.maps[1].interface=lo", "quic.xdp.maps[1].device-plugin-socket=afxdp.sock"),
                bad("agent socket missing", "quic.xdp.maps[0].agent-socket", "agent",
                        "-" + m + "path", m + "agent-socket=${files}/agent.sock"),
                bad("agent socket relative", "quic.xdp.maps[1].agent-socket", "absolute path",
                        "quic.xdp.maps[1].interface=lo", "quic.xdp.maps[1].agent-socket=agent.sock"),
                bad("HTTP/3 port 0", "quic.xdp.http3.port", "from 1 to 65535", "quic.xdp.http3.port=0"),
                bad("HTTP/3 idle timeout 0", "quic.xdp.http3.idle-timeout", "must be positive",
                        "quic.xdp.http3.idle-timeout=0s"),
                bad("HTTP/3 max streams 0", "quic.xdp.http3.max-streams", "must be at least 1",
                        "quic.xdp.http3.max-streams=0"),
                bad("HTTP/3 without an SSL bundle", "quic.xdp.http3.ssl.bundle", "spring.ssl.bundle.pem",
                        "quic.xdp.http3.ssl.bundle="),
                bad("HTTP/3 with an unknown SSL bundle", "quic.xdp.http3.ssl.bundle", "spring.ssl.bundle.pem.nosuch",
                        "quic.xdp.http3.ssl.bundle=nosuch"),
                bad("QUIC config rotation 7", "quic.xdp.quic.config-rotation", "unroutable",
                        "quic.xdp.quic.config-rotation=7"),
                bad("QUIC server id not hexadecimal", "quic.xdp.quic.server-id", "hexadecimal",
                        "quic.xdp.quic.server-id=0g"),
                bad("QUIC server id of 15 octets", "quic.xdp.quic.server-id-length", "from 1 to 14",
                        "quic.xdp.quic.server-id-length=15"),
                bad("QUIC server id and length apart", "quic.xdp.quic.server-id-length", "leave the length unset",
                        "quic.xdp.quic.server-id=0a0b0c", "quic.xdp.quic.server-id-length=2"),
                bad("QUIC connection ids too long", "quic.xdp.quic.connection-id-length", "at most 20",
                        "quic.xdp.quic.connection-id-length=21"),
                bad("QUIC connection ids too short for the server id", "quic.xdp.quic.connection-id-length",
                        "lengthen the IDs or shorten the server ID", "quic.xdp.quic.server-id=0a0b0c0d",
                        "quic.xdp.quic.connection-id-length=9"),
                bad("maps with the datapath off", "quic.xdp.enabled", "quic.xdp.maps", "quic.xdp.enabled=false"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("badConfigurations")
    void failsNamingThePropertyAndTheFixAndLeavesNoMapEntry(String name, String property, String fix,
            List<String> properties) throws Exception {
        List<String> all = new ArrayList<>(base());
        for (String change : properties) {
            if (change.startsWith("-")) {
                all.removeIf((p) -> p.startsWith(change.substring(1) + "="));
            }
            else {
                all.add(substitute(change));
            }
        }
        assertThatThrownBy(() -> new SpringApplicationBuilder(WebFluxApplication.class).web(WebApplicationType.REACTIVE)
            .properties(all.toArray(String[]::new))
            .run()
            .close()).satisfies((failure) -> {
                FailureAnalysis analysis = analyze(failure, all);
                assertThat(analysis).as("a failure analysis of " + failure).isNotNull();
                String text = analysis.getDescription() + "\n" + analysis.getAction();
                assertThat(text).as(name).contains(property).contains(fix);
            });
        assertThat(this.fixture.occupied(0)).as("slot 0 left empty").isFalse();
        assertThat(this.fixture.occupied(1)).as("slot 1 left empty").isFalse();
    }

    private List<String> base() throws Exception {
        X509Bundle certificate = new CertificateBuilder().subject("CN=quic-xdp test").setIsCertificateAuthority(true)
            .buildSelfSigned();
        Path cert = Files.writeString(this.files.resolve("cert.pem"), certificate.getCertificatePEM());
        Path key = Files.writeString(this.files.resolve("key.pem"), certificate.getPrivateKeyPEM());
        return List.of("spring.main.banner-mode=off", "server.port=0", "quic.xdp.umem.frame-count=512",
                "quic.xdp.maps[0].interface=" + this.fixture.appInterface(), "quic.xdp.maps[0].path=" + this.fixture.pin(),
                "quic.xdp.http3.enabled=true", "quic.xdp.http3.port=" + PORT, "quic.xdp.http3.ssl.bundle=h3",
                "spring.ssl.bundle.pem.h3.keystore.certificate=file:" + cert,
                "spring.ssl.bundle.pem.h3.keystore.private-key=file:" + key);
    }

    private String substitute(String property) {
        return property.replace("${pins}", this.fixture.pin().getParent().toString())
            .replace("${array}", this.arrayPin.toString())
            .replace("${interface}", this.fixture.appInterface())
            .replace("${id}", this.fixture.net().id())
            .replace("${files}", this.files.toString());
    }

    /** What Spring Boot's failure analyzers, ours among them, report for the failure, as at a real start. */
    private static FailureAnalysis analyze(Throwable failure, List<String> properties) {
        java.util.Map<String, Object> values = new java.util.LinkedHashMap<>();
        for (String property : properties) {
            int equals = property.indexOf('=');
            values.put(property.substring(0, equals), property.substring(equals + 1));
        }
        StandardEnvironment environment = new StandardEnvironment();
        environment.getPropertySources().addFirst(new MapPropertySource("case", values));
        List<FailureAnalyzer> analyzers = SpringFactoriesLoader.forDefaultResourceLocation()
            .load(FailureAnalyzer.class, ArgumentResolver.of(BeanFactory.class, new DefaultListableBeanFactory())
                .and(Environment.class, environment),
                    // analyzers needing what only a running application has are left out, as they do not apply
                    SpringFactoriesLoader.FailureHandler.handleMessage((message, ex) -> { }));
        for (FailureAnalyzer analyzer : analyzers) {
            FailureAnalysis analysis = analyzer.analyze(failure);
            if (analysis != null) {
                return analysis;
            }
        }
        return null;
    }

    private static Arguments bad(String name, String property, String fix, String... properties) {
        return Arguments.of(name, property, fix, List.of(properties));
    }

    @SpringBootConfiguration
    @EnableAutoConfiguration
    static class WebFluxApplication {

    }
}
