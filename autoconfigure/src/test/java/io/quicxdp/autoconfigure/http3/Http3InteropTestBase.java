package io.quicxdp.autoconfigure.http3;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.pkitesting.CertificateBuilder;
import io.netty.pkitesting.X509Bundle;
import io.quicxdp.datapath.XdpDatapath;
import io.quicxdp.datapath.state.SocketState;
import io.quicxdp.datapath.testing.Commands;
import io.quicxdp.datapath.testing.TestPorts;
import io.quicxdp.datapath.testing.XskMapFixture;
import java.io.IOException;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.TestInstance;
import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.WebApplicationType;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.annotation.Bean;
import org.springframework.core.io.buffer.DataBuffer;
import org.springframework.core.io.buffer.DefaultDataBufferFactory;
import org.springframework.web.reactive.function.server.RouterFunction;
import org.springframework.web.reactive.function.server.RouterFunctions;
import org.springframework.web.reactive.function.server.ServerResponse;
import reactor.core.publisher.Flux;

/**
 * Clients no one here wrote, against the WebFlux application over HTTP/3 through the XSKs, in the peer
 * namespace: flupke (Java, on kwik) and Debian's {@code gtlsclient} (ngtcp2 with GnuTLS), the latter in some
 * of the QUIC Interop Runner's cases
 * (transfer, IPv6, multiplexing, key update, ChaCha20, retry: the application validates addresses with Retry).
 * It exits 0 whatever happened, so each case checks what it downloaded, byte for byte.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
abstract class Http3InteropTestBase {

    static final int PORT = TestPorts.ECHO;

    /** The client's output, beside its downloads. */
    private static final String LOG = "gtlsclient.log";

    /** Requests the application answered. */
    static final AtomicInteger requests = new AtomicInteger();

    XskMapFixture fixture;

    ConfigurableApplicationContext application;

    private Path certificates;

    /** What the application adds to its HTTP/3 configuration in this class. */
    abstract List<String> http3Properties();

    @BeforeAll
    void start() throws Exception {
        Assumptions.assumeTrue(Commands.tryRun("gtlsclient", "--help").exitCode() == 0,
                "the gtlsclient command is missing: apt-get install ngtcp2-client");
        fixture = XskMapFixture.create(2, Set.of(PORT));
        certificates = Files.createTempDirectory("quic-xdp-h3-");
        X509Bundle certificate = new CertificateBuilder().subject("CN=quic-xdp test").setIsCertificateAuthority(true)
            .buildSelfSigned();
        application = new SpringApplicationBuilder(Files3.class).web(WebApplicationType.REACTIVE)
            .properties(Http3TestApplications.properties(fixture.appInterface(), fixture.pin(), PORT, 4096,
                    certificate, certificates))
            .properties(http3Properties().toArray(String[]::new))
            .run();
    }

    @AfterAll
    void stop() throws IOException {
        if (application != null) {
            application.close();
        }
        if (fixture != null) {
            fixture.close();
        }
        if (certificates != null) {
            try (var files = Files.list(certificates)) {
                for (Path file : files.toList()) {
                    Files.delete(file);
                }
            }
            Files.delete(certificates);
        }
    }

    /** The length of the server's first Handshake CRYPTO frame, from gtlsclient's packet log. */
    static int serverHandshakeBytes(String log) {
        java.util.regex.Matcher frame = java.util.regex.Pattern.compile("frm rx \\d+ Handshake CRYPTO\\(0x06\\) offset=0 len=(\\d+)")
            .matcher(log);
        assertThat(frame.find()).as("a Handshake CRYPTO frame in the client's log").isTrue();
        return Integer.parseInt(frame.group(1));
    }

    static void assertDownloaded(Path downloads, int size) throws Exception {
        Path file = downloads.resolve(String.valueOf(size));
        assertThat(file).as("/file/" + size + " downloaded; gtlsclient said:%n%s", tail(downloads)).exists();
        assertThat(sha256(Files.readAllBytes(file))).as("/file/" + size + " byte for byte").isEqualTo(sha256(content(size)));
    }

    private static String tail(Path downloads) throws IOException {
        List<String> lines = Files.readAllLines(downloads.resolve(LOG));
        return String.join("\n", lines.subList(Math.max(0, lines.size() - 20), lines.size()));
    }

    long rxPackets() {
        return application.getBean(XdpDatapath.class).state().sockets().stream().mapToLong(SocketState::rxPackets).sum();
    }

    /**
     * Runs gtlsclient in the peer namespace, downloading {@code paths} into {@code downloads}, and checks that
     * its packets came through the XSKs.
     *
     * @return what it printed, also kept in {@code downloads}
     */
    String gtlsclient(InetAddress server, Path downloads, List<String> options, String... paths)
            throws IOException, InterruptedException {
        String host = server.getHostAddress();
        String authority = (server instanceof java.net.Inet6Address) ? "[" + host + "]" : host;
        List<String> command = new ArrayList<>(List.of("ip", "netns", "exec", fixture.net().namespace(), "gtlsclient",
                "--exit-on-all-streams-close", "--download=" + downloads, "--timeout=10s"));
        command.addAll(options);
        command.add(host);
        command.add(String.valueOf(PORT));
        for (String path : paths) {
            command.add("https://" + authority + ":" + PORT + path);
        }
        Path log = downloads.resolve(LOG);
        long received = rxPackets();
        Process process = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        if (!process.waitFor(60, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            throw new AssertionError("gtlsclient did not finish within 60 s");
        }
        assertThat(rxPackets()).as("gtlsclient's packets came through the XSKs").isGreaterThan(received);
        return Files.readString(log);
    }

    static String sha256(byte[] bytes) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
    }

    /** The content of {@code /file/SIZE}: a pattern the client's copy is compared with. */
    static byte[] content(int size) {
        byte[] bytes = new byte[size];
        for (int i = 0; i < size; i++) {
            bytes[i] = (byte) (i * 31 + (i >>> 8));
        }
        return bytes;
    }

    @SpringBootConfiguration
    @EnableAutoConfiguration
    static class Files3 {

        @Bean
        RouterFunction<ServerResponse> files() {
            return RouterFunctions.route()
                .GET("/file/{size}", (request) -> {
                    int size = Integer.parseInt(request.pathVariable("size"));
                    requests.incrementAndGet();
                    Flux<DataBuffer> body = Flux.just(DefaultDataBufferFactory.sharedInstance.wrap(content(size)));
                    return ServerResponse.ok().body(body, DataBuffer.class);
                })
                .build();
        }
    }
}
