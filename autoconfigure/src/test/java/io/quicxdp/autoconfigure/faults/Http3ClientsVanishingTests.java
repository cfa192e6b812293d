package io.quicxdp.autoconfigure.faults;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.pkitesting.CertificateBuilder;
import io.netty.pkitesting.X509Bundle;
import io.netty.util.ResourceLeakDetector;
import io.quicxdp.autoconfigure.http3.Http3State;
import io.quicxdp.autoconfigure.http3.XdpHttp3Server;
import io.quicxdp.datapath.XdpDatapath;
import io.quicxdp.datapath.config.DatapathSettings;
import io.quicxdp.datapath.state.SocketState;
import io.quicxdp.datapath.testing.Await;
import io.quicxdp.datapath.testing.Commands;
import io.quicxdp.datapath.testing.ProcessResources;
import io.quicxdp.datapath.testing.TestPorts;
import io.quicxdp.datapath.testing.XskMapFixture;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.WebApplicationType;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.boot.web.server.context.WebServerApplicationContext;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.annotation.Bean;
import org.springframework.core.io.buffer.DataBuffer;
import org.springframework.core.io.buffer.DefaultDataBufferFactory;
import org.springframework.web.reactive.function.server.RouterFunction;
import org.springframework.web.reactive.function.server.RouterFunctions;
import org.springframework.web.reactive.function.server.ServerResponse;
import reactor.core.publisher.Flux;

/**
 * Fault 9 of docs/faults.md: HTTP/3 clients that vanish mid-transfer. Two of Debian's {@code gtlsclient}
 * processes in the peer namespace are killed (SIGKILL: no CONNECTION_CLOSE) while each downloads a body of
 * several MiB through the XSKs. The server keeps serving a new client, reaps the vanished connections within the
 * idle timeout and says so in {@code /actuator/xdp}, and leaks nothing: no Netty buffer (paranoid leak
 * detection), no receive frame held, no descriptor or mapping more than before.
 */
@ExtendWith(OutputCaptureExtension.class)
class Http3ClientsVanishingTests {

    private static final int PORT = TestPorts.ECHO;

    /** An unusual frame count, so that no other mapping of the JVM has the UMEM's size. */
    private static final int FRAMES = 4100;

    /** Short, so that vanished clients are reaped soon; the waits below allow for a busy machine. */
    private static final Duration IDLE_TIMEOUT = Duration.ofSeconds(2);

    /** The body: 8 MiB in 32 chunks, 40 ms apart, so that a client is still downloading when it is killed. */
    private static final int SIZE = 8 << 20;

    private static final int CHUNKS = 32;

    private final MadeResources made = new MadeResources();

    private ResourceLeakDetector.Level leakLevel;

    @TempDir
    Path certificates;

    @AfterEach
    void cleanUp() throws Exception {
        try {
            this.made.close();
        }
        finally {
            if (this.leakLevel != null) {
                ResourceLeakDetector.setLevel(this.leakLevel);
            }
        }
    }

    @Test
    void clientsKilledMidDownloadAreReapedWithinTheIdleTimeoutAndANewClientIsServed(CapturedOutput output,
            @TempDir Path downloads) throws Exception {
        Assumptions.assumeTrue(Commands.tryRun("gtlsclient", "--help").exitCode() == 0,
                "the gtlsclient command is missing: apt-get install ngtcp2-client");
        this.leakLevel = ResourceLeakDetector.getLevel();
        ResourceLeakDetector.setLevel(ResourceLeakDetector.Level.PARANOID);
        XskMapFixture fixture = made(XskMapFixture.create(2, Set.of(PORT)));
        ConfigurableApplicationContext application = application(fixture);
        this.made.add(application::close);
        XdpHttp3Server server = application.getBean(XdpHttp3Server.class);
        XdpDatapath datapath = application.getBean(XdpDatapath.class);
        long umemBytes = DatapathSettings.builder().frameCount(FRAMES).build().umemBytes();

        // one whole download first: what the JVM opens and maps for serving at all is in the baseline
        assertDownloaded(gtlsclient(fixture, downloads.resolve("warm-up")).finish(), downloads.resolve("warm-up"));
        String endpoint = actuator(application, "/actuator/xdp");
        awaitIdle(server);
        ProcessResources before = ProcessResources.now(umemBytes);
        long handshakes = server.state().handshakesDone();

        List<Client> vanishing = new ArrayList<>();
        for (int i = 0; i < 2; i++) {
            vanishing.add(gtlsclient(fixture, downloads.resolve("vanishing-" + i)));
        }
        long sentBefore = server.state().bytesSent();
        Await.until(() -> server.state().requestsInFlight() == 2
                && server.state().bytesSent() - sentBefore > SIZE / 4, "two downloads under way");
        for (Client client : vanishing) {
            client.kill();
        }
        Http3State afterKill = server.state();
        assertThat(afterKill.connectionsOpen()).as("no CONNECTION_CLOSE came: the server cannot know yet")
            .isEqualTo(2);
        assertThat(afterKill.handshakesDone() - handshakes).isEqualTo(2);
        assertThat(afterKill.bytesSent() - sentBefore).as("killed mid-transfer").isLessThan(2L * SIZE);
        for (Client client : vanishing) {
            assertThat(Files.exists(client.downloaded()) ? Files.size(client.downloaded()) : 0)
                .as("the killed client got part of the body at most").isLessThan(SIZE);
        }

        // while the server still waits for the vanished ones, a new client downloads the whole body
        Path fresh = downloads.resolve("fresh");
        assertDownloaded(gtlsclient(fixture, fresh).finish(), fresh);

        Await.until(() -> server.state().connectionsOpen() == 0 && server.state().requestsInFlight() == 0,
                "the vanished connections reaped: " + server.state());
        String reaped = actuator(application, "/actuator/xdp");
        assertThat(reaped).contains("\"connectionsOpen\":0", "\"requestsInFlight\":0", "\"running\":true");
        assertThat(endpoint).contains("\"connectionsOpen\":");
        assertThat(actuator(application, "/actuator/health/xdp")).contains("\"queues\":{\"0\":\"ok\",\"1\":\"ok\"}")
            .endsWith("\"status\":\"UP\"}");
        // the WebFlux adapter logs each cut response once: the client's connection timed out
        assertThat(output.toString()).contains("Error [io.netty.handler.codec.quic.QuicTimeoutClosedChannelException] "
                + "for HTTP GET \"/body\", but ServerHttpResponse already committed (200 OK)");
        Http3State after = server.state();
        assertThat(after.handshakesDone() - handshakes).isEqualTo(3);
        assertThat(after.handshakesFailed()).isZero();

        Await.until(() -> datapath.state().sockets().stream().allMatch((s) -> s.receiveFrames().balanced()
                && s.receiveFrames().held() == 0), "frames balanced, none held: " + datapath.state().sockets());
        assertThat(datapath.state().sockets()).allSatisfy((s) -> assertThat(s.bound() && s.inMap()).isTrue());
        Await.until(() -> {
            ProcessResources now = ProcessResources.now(umemBytes);
            return now.fds() <= before.fds() && now.ringMappings() == before.ringMappings()
                    && now.umemMappings() == before.umemMappings();
        }, "back to " + before + ", not " + ProcessResources.now(umemBytes));
        BufferLeaks.assertNoneLeaked(output);
    }

    private ConfigurableApplicationContext application(XskMapFixture fixture) throws Exception {
        X509Bundle certificate = new CertificateBuilder().subject("CN=quic-xdp test").setIsCertificateAuthority(true)
            .buildSelfSigned();
        Path cert = Files.writeString(this.certificates.resolve("cert.pem"), certificate.getCertificatePEM());
        Path key = Files.writeString(this.certificates.resolve("key.pem"), certificate.getPrivateKeyPEM());
        return new SpringApplicationBuilder(LargeBodies.class).web(WebApplicationType.REACTIVE)
            .properties("spring.main.banner-mode=off", "server.port=0", "quic.xdp.umem.frame-count=" + FRAMES,
                    "quic.xdp.neighbour-timeout=10s", "quic.xdp.maps[0].interface=" + fixture.appInterface(),
                    "quic.xdp.maps[0].path=" + fixture.pin(), "quic.xdp.http3.enabled=true",
                    "quic.xdp.http3.port=" + PORT, "quic.xdp.http3.ssl.bundle=h3",
                    "quic.xdp.http3.idle-timeout=" + IDLE_TIMEOUT.toMillis() + "ms",
                    "spring.ssl.bundle.pem.h3.keystore.certificate=file:" + cert,
                    "spring.ssl.bundle.pem.h3.keystore.private-key=file:" + key,
                    "management.endpoints.web.exposure.include=xdp,health",
                    "management.endpoint.health.show-details=always")
            .run();
    }

    private <T extends AutoCloseable> T made(T resource) {
        return this.made.add(resource);
    }

    /** Starts gtlsclient in the peer namespace, downloading the body into {@code downloads}. */
    private Client gtlsclient(XskMapFixture fixture, Path downloads) throws Exception {
        Files.createDirectories(downloads);
        String host = fixture.net().appIpv4().getHostAddress();
        List<String> command = List.of("ip", "netns", "exec", fixture.net().namespace(), "gtlsclient", "--quiet",
                "--exit-on-all-streams-close", "--download=" + downloads, "--timeout=20s", host,
                String.valueOf(PORT), "https://" + host + ":" + PORT + "/body");
        // ip netns exec execs the client: the process is gtlsclient itself, so a kill reaches it
        Process process = new ProcessBuilder(command).redirectErrorStream(true)
            .redirectOutput(downloads.resolve("gtlsclient.log").toFile())
            .start();
        Client client = new Client(process, downloads);
        this.made.add(client::kill);
        return client;
    }

    private static void awaitIdle(XdpHttp3Server server) throws InterruptedException {
        Await.until(() -> server.state().connectionsOpen() == 0 && server.state().requestsInFlight() == 0,
                "no connection open: " + server.state());
    }

    private static void assertDownloaded(Path log, Path downloads) throws Exception {
        Path file = downloads.resolve("body");
        assertThat(file).as("the body downloaded; gtlsclient said:%n%s", Files.readString(log)).exists();
        MessageDigest sha = MessageDigest.getInstance("SHA-256");
        assertThat(sha.digest(Files.readAllBytes(file))).as("byte for byte")
            .isEqualTo(MessageDigest.getInstance("SHA-256").digest(body()));
    }

    /**
     * One client for every actuator request: a client per request would leave its selector's descriptors open
     * until the garbage collector finds it, and the descriptor count would depend on when it runs.
     */
    private static final HttpClient ACTUATOR_CLIENT = HttpClient.newHttpClient();

    private static String actuator(ConfigurableApplicationContext application, String path) throws Exception {
        int port = ((WebServerApplicationContext) application).getWebServer().getPort();
        HttpResponse<String> response = ACTUATOR_CLIENT
            .send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(response.statusCode()).as(path + ": " + response.body()).isEqualTo(200);
        return response.body();
    }


    static byte[] body() {
        byte[] bytes = new byte[SIZE];
        for (int i = 0; i < SIZE; i++) {
            bytes[i] = (byte) (i * 31 + (i >>> 8));
        }
        return bytes;
    }

    /** A gtlsclient process and the directory it downloads into. */
    private record Client(Process process, Path directory) {

        Path downloaded() {
            return this.directory.resolve("body");
        }

        /** Waits for the client to finish by itself and returns its log. */
        Path finish() throws InterruptedException {
            if (!this.process.waitFor(60, TimeUnit.SECONDS)) {
                kill();
                throw new AssertionError("gtlsclient did not finish within 60 s");
            }
            return this.directory.resolve("gtlsclient.log");
        }

        /** SIGKILL: the client vanishes without closing its connection. */
        void kill() throws InterruptedException {
            if (this.process.isAlive()) {
                this.process.destroyForcibly();
                this.process.waitFor(10, TimeUnit.SECONDS);
            }
        }
    }

    @SpringBootConfiguration
    @EnableAutoConfiguration
    static class LargeBodies {

        @Bean
        RouterFunction<ServerResponse> largeBody() {
            byte[] body = body();
            int chunk = SIZE / CHUNKS;
            return RouterFunctions.route()
                .GET("/body", (request) -> ServerResponse.ok()
                    .body(Flux.range(0, CHUNKS)
                        .delayElements(Duration.ofMillis(40))
                        .map((i) -> (DataBuffer) DefaultDataBufferFactory.sharedInstance
                            .wrap(Arrays.copyOfRange(body, i * chunk, (i + 1) * chunk))), DataBuffer.class))
                .build();
        }
    }
}
