package io.quicxdp.autoconfigure.http3;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.micrometer.core.instrument.MeterRegistry;
import io.netty.channel.Channel;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.ChannelOutputShutdownException;
import io.netty.channel.socket.nio.NioDatagramChannel;
import io.netty.handler.ssl.util.InsecureTrustManagerFactory;
import io.netty.pkitesting.CertificateBuilder;
import io.netty.pkitesting.X509Bundle;
import io.quicxdp.autoconfigure.actuate.endpoint.XdpEndpoint;
import io.quicxdp.datapath.XdpDatapath;
import io.quicxdp.datapath.internal.linux.Namespaces;
import io.quicxdp.datapath.state.SocketState;
import io.quicxdp.datapath.testing.Await;
import io.quicxdp.datapath.testing.TestPorts;
import io.quicxdp.datapath.testing.XskMapFixture;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import jdk.jfr.Recording;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordingFile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.WebApplicationType;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.diagnostics.FailureAnalysis;
import org.springframework.boot.test.context.runner.WebApplicationContextRunner;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.boot.web.server.context.WebServerApplicationContext;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.annotation.Bean;
import org.springframework.web.reactive.function.server.RouterFunction;
import org.springframework.web.reactive.function.server.RouterFunctions;
import org.springframework.web.reactive.function.server.ServerResponse;
import reactor.netty.http.Http3SslContextSpec;
import reactor.netty.http.HttpProtocol;
import reactor.netty.http.client.HttpClient;
import reactor.netty.resources.LoopResources;

/**
 * A WebFlux application served over HTTP/3 through the XDP datapath by configuration: a map, an SSL bundle
 * and {@code quic.xdp.http3.enabled=true}. Reactor Netty's HTTP/3 client in the peer namespace fetches a
 * page through the XSKs; the TCP server's responses advertise the HTTP/3 port.
 */
@ExtendWith(OutputCaptureExtension.class)
class XdpHttp3ApplicationTests {

    private static final int PORT = TestPorts.ECHO;

    private static final String CLIENT_THREAD = "h3-client-";

    /** The message of the one exception made on purpose, which shows the recording sees them. */
    private static final String CONTROL = "seen by the recording";

    @TempDir
    Path certificates;

    @Test
    void aWebFluxPageIsServedOverHttp3ThroughTheXsksAndAdvertisedOverTcp(CapturedOutput output) throws Exception {
        try (XskMapFixture fixture = XskMapFixture.create(2, Set.of(PORT))) {
            ConfigurableApplicationContext application = application(fixture, "quic.xdp.http3.ssl.bundle=h3").run();
            MultiThreadIoEventLoopGroup clientLoops = new MultiThreadIoEventLoopGroup(1,
                    inPeerNamespace(fixture), NioIoHandler.newFactory());
            try {
                String[] altSvcOverHttp3 = new String[1];
                String body = fixture.net().inPeer(() -> http3(clientLoops)
                    .get().uri("https://" + fixture.net().appIpv4().getHostAddress() + ":" + PORT + "/page")
                    .responseSingle((response, content) -> {
                        altSvcOverHttp3[0] = response.responseHeaders().get("Alt-Svc");
                        return content.asString();
                    })
                    .block(Duration.ofSeconds(20)));
                assertThat(body).isEqualTo("hello over HTTP/3");
                assertThat(altSvcOverHttp3[0]).as("Alt-Svc over HTTP/3, where it says nothing").isNull();
                XdpDatapath datapath = application.getBean(XdpDatapath.class);
                assertThat(datapath.state().sockets().stream().mapToLong(SocketState::rxPackets).sum())
                    .as("the request came through the XSKs").isPositive();

                int tcpPort = ((WebServerApplicationContext) application).getWebServer().getPort();
                HttpResponse<String> overTcp = java.net.http.HttpClient.newHttpClient()
                    .send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + tcpPort + "/page")).build(),
                            HttpResponse.BodyHandlers.ofString());
                assertThat(overTcp.body()).isEqualTo("hello over HTTP/3");
                assertThat(overTcp.headers().firstValue("Alt-Svc")).hasValue("h3=\":" + PORT + "\"; ma=86400");
                HttpResponse<String> endpoint = java.net.http.HttpClient.newHttpClient()
                    .send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + tcpPort + "/actuator/xdp")).build(),
                            HttpResponse.BodyHandlers.ofString());
                assertThat(endpoint.statusCode()).as("the actuator's mapping is there with HTTP/3 on").isEqualTo(200);
                assertThat(endpoint.body()).contains("\"http3\":{\"port\":" + PORT);

                Http3State http3 = application.getBean(XdpEndpoint.class).xdp().http3();
                assertThat(http3).isNotNull();
                assertThat(http3.port()).isEqualTo(PORT);
                assertThat(http3.running()).isTrue();
                assertThat(http3.handshakesDone()).isPositive();
                assertThat(http3.handshakesFailed()).isZero();
                assertThat(http3.requests()).isPositive();
                assertThat(http3.bytesReceived()).as("the request's packets").isPositive();
                assertThat(http3.bytesSent()).as("the response's packets")
                    .isGreaterThan("hello over HTTP/3".length());
                // the meters read a snapshot of the state up to 200 ms old: the next read after that sees the request
                MeterRegistry registry = application.getBean(MeterRegistry.class);
                Await.until(
                        () -> registry.get("quic.xdp.http3.requests").functionCounter().count() > 0,
                        "the request counted by the meter");
            }
            finally {
                clientLoops.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
                application.close();
            }
            assertThat(fixture.occupied(0)).isFalse();
            assertThat(fixture.occupied(1)).isFalse();
            // HTTP/3 starts once the datapath is open, and stops before the loops and the datapath close
            String log = output.toString();
            assertThat(log.indexOf("XDP map mode on " + fixture.appInterface()))
                .isLessThan(log.indexOf("HTTP/3 on UDP port " + PORT + " through the XDP datapath"));
            assertThat(log.indexOf("HTTP/3 on UDP port " + PORT + " stopped"))
                .isPositive()
                .isLessThan(log.indexOf("XDP map mode stopping"));
        }
    }

    /**
     * Netty's HTTP/3 codec and Reactor Netty's stream handler each shut a response's stream: the second shutdown
     * found the FIN sent and made a ChannelOutputShutdownException, stack trace and all, per response. JFR sees
     * every exception made while the responses go out: whole bodies, streamed ones and empty ones.
     */
    @Test
    void eachResponseEndsItsStreamOnceWithoutAnException() throws Exception {
        try (XskMapFixture fixture = XskMapFixture.create(2, Set.of(PORT))) {
            ConfigurableApplicationContext application = application(fixture, "quic.xdp.http3.ssl.bundle=h3").run();
            MultiThreadIoEventLoopGroup clientLoops = new MultiThreadIoEventLoopGroup(1,
                    inPeerNamespace(fixture), NioIoHandler.newFactory());
            Path events = this.certificates.resolve("exceptions.jfr");
            try {
                HttpClient client = http3(clientLoops);
                String base = "https://" + fixture.net().appIpv4().getHostAddress() + ":" + PORT;
                assertThat(get(fixture, client, base + "/page")).isEqualTo("200 hello over HTTP/3");
                try (Recording recording = new Recording()) {
                    recording.enable("jdk.JavaExceptionThrow").withStackTrace();
                    recording.start();
                    for (int i = 0; i < 10; i++) {
                        assertThat(get(fixture, client, base + "/page")).isEqualTo("200 hello over HTTP/3");
                        assertThat(get(fixture, client, base + "/stream")).isEqualTo("200 streamed in two parts");
                        assertThat(get(fixture, client, base + "/empty")).isEqualTo("204 ");
                    }
                    new ChannelOutputShutdownException(CONTROL);
                    recording.stop();
                    recording.dump(events);
                }
                // Reactor Netty's HTTP/3 client, on its own threads here, still ends its requests so
                List<RecordedEvent> made = RecordingFile.readAllEvents(events).stream()
                    .filter((event) -> event.getClass("thrownClass").getName()
                        .equals(ChannelOutputShutdownException.class.getName()))
                    .filter((event) -> !event.getThread().getJavaName().startsWith(CLIENT_THREAD))
                    .toList();
                String where = made.stream().filter((event) -> !CONTROL.equals(event.getString("message")))
                    .findFirst()
                    .map((event) -> event.getStackTrace().getFrames().stream()
                        .map((frame) -> "  " + frame.getMethod().getType().getName() + "."
                                + frame.getMethod().getName() + ":" + frame.getLineNumber())
                        .collect(java.util.stream.Collectors.joining("\n")))
                    .orElse("");
                assertThat(made).extracting((event) -> event.getString("message"))
                    .as("ChannelOutputShutdownExceptions made over 30 responses; the first at:%n%s", where)
                    .containsExactly(CONTROL);
                assertThat(application.getBean(XdpHttp3Server.class).state().requests()).isEqualTo(31);
            }
            finally {
                clientLoops.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
                application.close();
            }
        }
    }

    /** "STATUS BODY" of a GET from the peer namespace; the body is whole once the server ended the stream. */
    private static String get(XskMapFixture fixture, HttpClient client, String uri) throws Exception {
        return fixture.net().inPeer(() -> client.get().uri(uri)
            .responseSingle((response, body) -> body.asString().defaultIfEmpty("")
                .map((text) -> response.status().code() + " " + text))
            .block(Duration.ofSeconds(20)));
    }

    @Test
    void stoppingSendsGoawayLetsTheRequestInFlightFinishThenCloses() throws Exception {
        try (XskMapFixture fixture = XskMapFixture.create(2, Set.of(PORT))) {
            ConfigurableApplicationContext application = application(fixture, "quic.xdp.http3.ssl.bundle=h3",
                    "quic.xdp.http3.shutdown-timeout=10s").run();
            MultiThreadIoEventLoopGroup clientLoops = new MultiThreadIoEventLoopGroup(1,
                    inPeerNamespace(fixture), NioIoHandler.newFactory());
            try {
                XdpHttp3Server server = application.getBean(XdpHttp3Server.class);
                java.util.concurrent.CompletableFuture<String> slow = new java.util.concurrent.CompletableFuture<>();
                fixture.net().inPeer(() -> http3(clientLoops)
                    .get().uri("https://" + fixture.net().appIpv4().getHostAddress() + ":" + PORT + "/slow")
                    .responseContent().aggregate().asString()
                    .subscribe(slow::complete, slow::completeExceptionally));
                Await.until(() -> server.requestsInFlight() == 1, "the slow request in flight");
                long stopping = System.nanoTime();
                server.stop();
                assertThat(Duration.ofNanos(System.nanoTime() - stopping)).as("stop waited for the request in flight")
                    .isGreaterThan(Duration.ofMillis(500));
                assertThat(slow.get(2, TimeUnit.SECONDS)).as("the response, whole").isEqualTo("slow but whole");
                assertThat(server.isRunning()).isFalse();
            }
            finally {
                clientLoops.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
                application.close();
            }
        }
    }

    @Test
    void withoutAnSslBundleTheStartFailsNamingTheProperty() throws Exception {
        try (XskMapFixture fixture = XskMapFixture.create(2, Set.of(PORT))) {
            assertThatThrownBy(() -> application(fixture).run()).satisfies((failure) -> {
                FailureAnalysis analysis = new XdpHttp3FailureAnalyzer().analyze(failure);
                assertThat(analysis).isNotNull();
                assertThat(analysis.getDescription()).contains("quic.xdp.http3.ssl.bundle", "server.ssl.bundle");
                assertThat(analysis.getAction()).contains("spring.ssl.bundle.pem");
            });
            assertThat(fixture.occupied(0)).as("nothing left in the map").isFalse();
        }
    }

    @Test
    void aServletApplicationWithHttp3EnabledFailsToStart() {
        new WebApplicationContextRunner().withConfiguration(AutoConfigurations.of(XdpHttp3AutoConfiguration.class))
            .withPropertyValues("quic.xdp.http3.enabled=true")
            .run((context) -> {
                assertThat(context).hasFailed();
                FailureAnalysis analysis = new XdpHttp3FailureAnalyzer().analyze(context.getStartupFailure());
                assertThat(analysis.getDescription()).contains("servlet application", "reactive (WebFlux)");
                assertThat(analysis.getAction()).contains("quic.xdp.http3.enabled=false");
            });
    }

    private SpringApplicationBuilder application(XskMapFixture fixture, String... more) throws Exception {
        X509Bundle certificate = new CertificateBuilder().subject("CN=quic-xdp test").setIsCertificateAuthority(true)
            .buildSelfSigned();
        Path cert = Files.writeString(this.certificates.resolve("cert.pem"), certificate.getCertificatePEM());
        Path key = Files.writeString(this.certificates.resolve("key.pem"), certificate.getPrivateKeyPEM());
        return new SpringApplicationBuilder(WebFluxApplication.class).web(WebApplicationType.REACTIVE)
            .properties("spring.main.banner-mode=off", "server.port=0", "quic.xdp.umem.frame-count=1024",
                    "quic.xdp.neighbour-timeout=10s", "quic.xdp.maps[0].interface=" + fixture.appInterface(),
                    "quic.xdp.maps[0].path=" + fixture.pin(), "quic.xdp.http3.enabled=true",
                    "quic.xdp.http3.port=" + PORT, "spring.ssl.bundle.pem.h3.keystore.certificate=file:" + cert,
                    "spring.ssl.bundle.pem.h3.keystore.private-key=file:" + key,
                    "management.endpoints.web.exposure.include=xdp,metrics")
            .properties(more);
    }

    private static HttpClient http3(EventLoopGroup loops) {
        return HttpClient.create().protocol(HttpProtocol.HTTP3).runOn(new LoopResources() {
            @Override
            public EventLoopGroup onServer(boolean useNative) {
                return loops;
            }

            @Override
            public EventLoopGroup onClient(boolean useNative) {
                return loops;
            }

            @Override
            @SuppressWarnings("unchecked")
            public <C extends Channel> C onChannel(Class<C> type, EventLoopGroup group) {
                return (C) new NioDatagramChannel();
            }
        })
            .secure((spec) -> spec.sslContext(Http3SslContextSpec.forClient()
                .configure((builder) -> builder.trustManager(InsecureTrustManagerFactory.INSTANCE))))
            .http3Settings((settings) -> settings.idleTimeout(Duration.ofSeconds(5)).maxData(10_000_000)
                .maxStreamDataBidirectionalLocal(1_000_000));
    }

    /** Client loop threads in the peer's namespace; the client's socket is made on the peer's thread. */
    private static ThreadFactory inPeerNamespace(XskMapFixture fixture) {
        String namespace = "/var/run/netns/" + fixture.net().namespace();
        return (task) -> new Thread(() -> {
            try {
                Namespaces.enterNetworkNamespace(namespace);
            }
            catch (IOException ex) {
                throw new UncheckedIOException(ex);
            }
            task.run();
        }, CLIENT_THREAD + fixture.net().id());
    }

    @SpringBootConfiguration
    @EnableAutoConfiguration
    static class WebFluxApplication {

        @Bean
        RouterFunction<ServerResponse> page() {
            return RouterFunctions.route()
                .GET("/page", (request) -> ServerResponse.ok().bodyValue("hello over HTTP/3"))
                .GET("/stream", (request) -> ServerResponse.ok()
                    .body(reactor.core.publisher.Flux.just("streamed ", "in two parts"), String.class))
                .GET("/empty", (request) -> ServerResponse.noContent().build())
                .GET("/slow", (request) -> ServerResponse.ok()
                    .body(reactor.core.publisher.Mono.delay(Duration.ofSeconds(1)).map((tick) -> "slow but whole"),
                            String.class))
                .build();
        }
    }
}
