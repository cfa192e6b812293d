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
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
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
class Http3ClientInteropTests {

    private static final int PORT = TestPorts.ECHO;

    /** The client's output, beside its downloads. */
    private static final String LOG = "gtlsclient.log";

    /** Requests the application answered. */
    private static final AtomicInteger requests = new AtomicInteger();

    private static XskMapFixture fixture;

    private static ConfigurableApplicationContext application;

    @TempDir
    static Path certificates;

    @BeforeAll
    static void start() throws Exception {
        Assumptions.assumeTrue(Commands.tryRun("gtlsclient", "--help").exitCode() == 0,
                "the gtlsclient command is missing: apt-get install ngtcp2-client");
        fixture = XskMapFixture.create(2, Set.of(PORT));
        X509Bundle certificate = new CertificateBuilder().subject("CN=quic-xdp test").setIsCertificateAuthority(true)
            .buildSelfSigned();
        Path cert = Files.writeString(certificates.resolve("cert.pem"), certificate.getCertificatePEM());
        Path key = Files.writeString(certificates.resolve("key.pem"), certificate.getPrivateKeyPEM());
        application = new SpringApplicationBuilder(Files3.class).web(WebApplicationType.REACTIVE)
            .properties("spring.main.banner-mode=off", "server.port=0", "quic.xdp.umem.frame-count=4096",
                    "quic.xdp.neighbour-timeout=10s", "quic.xdp.maps[0].interface=" + fixture.appInterface(),
                    "quic.xdp.maps[0].path=" + fixture.pin(), "quic.xdp.http3.enabled=true",
                    "quic.xdp.http3.port=" + PORT, "quic.xdp.http3.ssl.bundle=h3", "quic.xdp.http3.retry=true",
                    "spring.ssl.bundle.pem.h3.keystore.certificate=file:" + cert,
                    "spring.ssl.bundle.pem.h3.keystore.private-key=file:" + key)
            .run();
    }

    @AfterAll
    static void stop() {
        if (application != null) {
            application.close();
        }
        if (fixture != null) {
            fixture.close();
        }
    }

    @Test
    void transferOfSeveralFilesOneOfFiveMegabytesIsByteExact(@TempDir Path downloads) throws Exception {
        long before = rxPackets();
        gtlsclient(fixture.net().appIpv4(), downloads, List.of("--quiet"), "/file/1", "/file/1000", "/file/65536",
                "/file/5242880");
        for (int size : new int[] {1, 1000, 65536, 5242880}) {
            assertDownloaded(downloads, size);
        }
        assertThat(rxPackets()).as("the requests came through the XSKs").isGreaterThan(before);
    }

    @Test
    void transferOverIpv6(@TempDir Path downloads) throws Exception {
        gtlsclient(fixture.net().appIpv6(), downloads, List.of("--quiet"), "/file/100000");
        assertDownloaded(downloads, 100000);
    }

    @Test
    void multiplexingAThousandRequestsOnOneConnection(@TempDir Path downloads) throws Exception {
        int before = requests.get();
        gtlsclient(fixture.net().appIpv4(), downloads, List.of("--quiet", "--nstreams=1000"), "/file/100");
        assertThat(requests.get() - before).as("requests answered on the one connection").isEqualTo(1000);
        assertDownloaded(downloads, 100);
    }

    @Test
    void aKeyUpdateMidTransferLeavesTheTransferWhole(@TempDir Path downloads) throws Exception {
        String log = gtlsclient(fixture.net().appIpv4(), downloads,
                List.of("--no-quic-dump", "--no-http-dump", "--key-update=5ms"), "/file/5242880");
        assertThat(log).contains("Initiate key update");
        assertDownloaded(downloads, 5242880);
    }

    @Test
    void chaCha20OnlyIsNegotiatedAndServes(@TempDir Path downloads) throws Exception {
        String log = gtlsclient(fixture.net().appIpv4(), downloads, List.of("--no-quic-dump", "--no-http-dump",
                "--ciphers=NORMAL:-VERS-ALL:+VERS-TLS1.3:-CIPHER-ALL:+CHACHA20-POLY1305"), "/file/65536");
        assertThat(log).contains("Negotiated cipher suite is CHACHA20-POLY1305");
        assertDownloaded(downloads, 65536);
    }

    @Test
    void withRetryOnTheClientIsSentARetryAndCompletes(@TempDir Path downloads) throws Exception {
        long retries = application.getBean(XdpHttp3Server.class).state().retriesSent();
        String log = gtlsclient(fixture.net().appIpv4(), downloads, List.of("--no-http-dump"), "/file/10");
        assertThat(log).contains("type=Retry");
        assertDownloaded(downloads, 10);
        assertThat(application.getBean(XdpHttp3Server.class).state().retriesSent()).isGreaterThan(retries);
    }

    @Test
    void flupkeFetchesAFileWholeAndManyAtOnceOnOneConnection() throws Exception {
        String base = "https://" + fixture.net().appIpv4().getHostAddress() + ":" + PORT;
        int before = requests.get();
        fixture.net().inPeer(() -> {
            // a socket belongs to the namespace of the thread that opens it: the client's opens here
            java.net.http.HttpClient flupke = new tech.kwik.flupke.Http3ClientBuilder().disableCertificateCheck()
                .connectTimeout(java.time.Duration.ofSeconds(5)).build();
            java.net.http.HttpResponse<byte[]> file = flupke.send(java.net.http.HttpRequest
                .newBuilder(java.net.URI.create(base + "/file/1000000")).timeout(java.time.Duration.ofSeconds(20)).build(),
                    java.net.http.HttpResponse.BodyHandlers.ofByteArray());
            assertThat(file.statusCode()).isEqualTo(200);
            assertThat(sha256(file.body())).isEqualTo(sha256(content(1000000)));
            List<java.util.concurrent.CompletableFuture<java.net.http.HttpResponse<byte[]>>> many = new ArrayList<>();
            for (int i = 0; i < 200; i++) {
                many.add(flupke.sendAsync(java.net.http.HttpRequest.newBuilder(java.net.URI.create(base + "/file/100"))
                    .timeout(java.time.Duration.ofSeconds(20)).build(), java.net.http.HttpResponse.BodyHandlers.ofByteArray()));
            }
            for (java.util.concurrent.CompletableFuture<java.net.http.HttpResponse<byte[]>> response : many) {
                assertThat(response.get(20, TimeUnit.SECONDS).body()).isEqualTo(content(100));
            }
            return null;
        });
        assertThat(requests.get() - before).isEqualTo(201);
    }

    private static void assertDownloaded(Path downloads, int size) throws Exception {
        Path file = downloads.resolve(String.valueOf(size));
        assertThat(file).as("/file/" + size + " downloaded; gtlsclient said:%n%s", tail(downloads)).exists();
        assertThat(sha256(Files.readAllBytes(file))).as("/file/" + size + " byte for byte").isEqualTo(sha256(content(size)));
    }

    private static String tail(Path downloads) throws IOException {
        List<String> lines = Files.readAllLines(downloads.resolve(LOG));
        return String.join("\n", lines.subList(Math.max(0, lines.size() - 20), lines.size()));
    }

    private static long rxPackets() {
        return application.getBean(XdpDatapath.class).state().sockets().stream().mapToLong(SocketState::rxPackets).sum();
    }

    /**
     * Runs gtlsclient in the peer namespace, downloading {@code paths} into {@code downloads}.
     *
     * @return what it printed, also kept in {@code downloads}
     */
    private static String gtlsclient(InetAddress server, Path downloads, List<String> options, String... paths)
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
        Process process = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        if (!process.waitFor(60, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            throw new AssertionError("gtlsclient did not finish within 60 s");
        }
        return Files.readString(log);
    }

    private static String sha256(byte[] bytes) throws Exception {
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
