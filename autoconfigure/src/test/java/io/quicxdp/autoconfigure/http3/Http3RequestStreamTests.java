package io.quicxdp.autoconfigure.http3;

import static io.quicxdp.autoconfigure.http3.Http3InteropTestBase.content;
import static io.quicxdp.autoconfigure.http3.Http3InteropTestBase.sha256;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.netty.handler.codec.http3.Http3Headers;
import io.netty.pkitesting.CertificateBuilder;
import io.netty.pkitesting.X509Bundle;
import io.netty.util.ResourceLeakDetector;
import io.quicxdp.autoconfigure.faults.BufferLeaks;
import io.quicxdp.autoconfigure.http3.RawHttp3Client.Exchange;
import io.quicxdp.autoconfigure.http3.RawHttp3Client.Response;
import io.quicxdp.datapath.testing.Await;
import io.quicxdp.datapath.testing.TestPorts;
import io.quicxdp.datapath.testing.XskMapFixture;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Collectors;
import jdk.jfr.Recording;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordingFile;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.WebApplicationType;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.annotation.Bean;
import org.springframework.core.io.buffer.DataBuffer;
import org.springframework.core.io.buffer.DataBufferUtils;
import org.springframework.core.io.buffer.DefaultDataBufferFactory;
import org.springframework.http.ResponseCookie;
import org.springframework.http.server.reactive.ServerHttpRequest;
import org.springframework.web.reactive.function.server.RouterFunction;
import org.springframework.web.reactive.function.server.RouterFunctions;
import org.springframework.web.reactive.function.server.ServerResponse;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * What a WebFlux application and its clients see of a request over HTTP/3 through the starter, frame by frame:
 * a client on Netty's HTTP/3 codec in the peer namespace sends requests through the XSKs as a test wants them
 * (well-formed or not, in parts, with trailers, reset halfway, its connection closed halfway), and the
 * application's routes say what Spring saw. Netty's leak detection is paranoid throughout.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@ExtendWith(OutputCaptureExtension.class)
class Http3RequestStreamTests {

    private static final int PORT = TestPorts.ECHO;

    private static final int CHUNK = 64 * 1024;

    private static final AtomicInteger handled = new AtomicInteger();

    private static volatile CountDownLatch cancelled = new CountDownLatch(1);

    private XskMapFixture fixture;

    private ConfigurableApplicationContext application;

    private RawHttp3Client client;

    private Path certificates;

    private ResourceLeakDetector.Level leakLevel;

    @BeforeAll
    void start() throws Exception {
        this.leakLevel = ResourceLeakDetector.getLevel();
        ResourceLeakDetector.setLevel(ResourceLeakDetector.Level.PARANOID);
        this.fixture = XskMapFixture.create(2, Set.of(PORT));
        this.certificates = Files.createTempDirectory("quic-xdp-h3-");
        X509Bundle certificate = new CertificateBuilder().subject("CN=quic-xdp test").setIsCertificateAuthority(true)
            .buildSelfSigned();
        Path cert = Files.writeString(this.certificates.resolve("cert.pem"), certificate.getCertificatePEM());
        Path key = Files.writeString(this.certificates.resolve("key.pem"), certificate.getPrivateKeyPEM());
        this.application = new SpringApplicationBuilder(Routes.class).web(WebApplicationType.REACTIVE)
            .properties("spring.main.banner-mode=off", "server.port=0", "quic.xdp.umem.frame-count=4096",
                    "quic.xdp.neighbour-timeout=10s", "quic.xdp.maps[0].interface=" + this.fixture.appInterface(),
                    "quic.xdp.maps[0].path=" + this.fixture.pin(), "quic.xdp.http3.enabled=true",
                    "quic.xdp.http3.port=" + PORT, "quic.xdp.http3.ssl.bundle=h3",
                    "spring.ssl.bundle.pem.h3.keystore.certificate=file:" + cert,
                    "spring.ssl.bundle.pem.h3.keystore.private-key=file:" + key)
            .run();
        this.client = RawHttp3Client.connect(this.fixture.net(), this.fixture.net().appIpv4(), PORT);
    }

    @AfterEach
    void nothingLeftInFlight() throws InterruptedException {
        XdpHttp3Server server = this.application.getBean(XdpHttp3Server.class);
        Await.until(() -> server.requestsInFlight() == 0, "no request in flight: " + server.state());
    }

    @AfterAll
    void stop() throws Exception {
        try {
            if (this.client != null) {
                this.client.close();
            }
            if (this.application != null) {
                this.application.close();
            }
            if (this.fixture != null) {
                this.fixture.close();
            }
            if (this.certificates != null) {
                for (String file : new String[] { "cert.pem", "key.pem" }) {
                    Files.deleteIfExists(this.certificates.resolve(file));
                }
                Files.delete(this.certificates);
            }
        }
        finally {
            ResourceLeakDetector.setLevel(this.leakLevel);
        }
    }

    @Test
    void theApplicationSeesTheRequestAsSpringDescribesIt() throws Exception {
        Http3Headers fields = this.client.fields("GET", "/about?greeting=hello%20there&x")
            .add("x-case", "Value")
            // HTTP/3 may send cookies in several fields
            .add("cookie", "a=1")
            .add("cookie", "b=2; c=3");
        Response response = this.client.send(fields, new byte[0]);
        assertThat(response.status()).isEqualTo(200);
        String app = this.fixture.net().appIpv4().getHostAddress();
        assertThat(text(response)).contains("method GET\n", "uri https://" + app + ":" + PORT + "/about?greeting=hello%20there&x\n",
                "query {greeting=[hello there], x=[null]}\n", "X-Case Value\n", "cookies a=1 b=2 c=3\n",
                "local /" + app + ":" + PORT + "\n", "remote /" + this.fixture.net().peerIpv4().getHostAddress() + ":",
                "tls true\n", "pseudo-fields hidden true\n");
        assertThat(text(response)).containsPattern("id [0-9a-f]{8}-[0-9]+\n");
        assertThat(response.fields().get("content-type")).hasToString("text/plain");
        assertThat(response.fields().getAll("set-cookie")).extracting(CharSequence::toString)
            .containsExactly("flavour=oat; Path=/; HttpOnly");
    }

    @Test
    void aHeadRequestGetsTheHeadersOfTheGetWithoutItsBody() throws Exception {
        Response get = this.client.send(this.client.fields("GET", "/page"), new byte[0]);
        Response head = this.client.send(this.client.fields("HEAD", "/page"), new byte[0]);
        assertThat(head.status()).isEqualTo(200);
        assertThat(head.body()).isEmpty();
        assertThat(head.fields().get("content-length")).hasToString(String.valueOf(get.body().length));
    }

    @Test
    void aResponseWithoutABodyEndsItsStream() throws Exception {
        Response response = this.client.send(this.client.fields("GET", "/empty"), new byte[0]);
        assertThat(response.status()).isEqualTo(204);
        assertThat(response.body()).isEmpty();
    }

    @Test
    void aLargeUploadInPartsIsReadWhole() throws Exception {
        byte[] body = content(8 << 20);
        Exchange upload = this.client.open(this.client.fields("POST", "/upload"));
        for (int at = 0; at < body.length; at += CHUNK) {
            upload.data(Arrays.copyOfRange(body, at, at + CHUNK));
        }
        upload.end();
        assertThat(text(upload.response())).isEqualTo(body.length + " " + sha256(body));
    }

    @Test
    void aLargeStreamedDownloadArrivesWhole() throws Exception {
        int size = 8 << 20;
        Response response = this.client.send(this.client.fields("GET", "/download/" + size), new byte[0]);
        assertThat(response.status()).isEqualTo(200);
        assertThat(sha256(response.body())).isEqualTo(sha256(content(size)));
    }

    @Test
    void aClientThatExpectsContinueGetsItOnceTheApplicationReadsTheBody() throws Exception {
        byte[] body = content(1000);
        Exchange upload = this.client.open(this.client.fields("POST", "/upload").add("expect", "100-continue"));
        upload.informed.get(10, TimeUnit.SECONDS);
        upload.data(body);
        upload.end();
        Response response = upload.response();
        assertThat(response.informational()).extracting((fields) -> fields.status().toString()).containsExactly("100");
        assertThat(text(response)).isEqualTo("1000 " + sha256(body));
    }

    @Test
    void aBodyReadLateIsWholeEvenWhenEmpty() throws Exception {
        assertThat(text(this.client.send(this.client.fields("POST", "/late-body"), "hello".getBytes())))
            .isEqualTo("5");
        assertThat(text(this.client.send(this.client.fields("POST", "/late-body"), new byte[0]))).isEqualTo("0");
    }

    @Test
    void requestTrailersAreTakenAndLeftAside() throws Exception {
        byte[] body = content(5000);
        Exchange upload = this.client.open(this.client.fields("POST", "/upload"));
        upload.data(body);
        Http3Headers trailers = new io.netty.handler.codec.http3.DefaultHttp3Headers().add("x-checksum", "1");
        upload.trailers(trailers);
        upload.end();
        assertThat(text(upload.response())).isEqualTo("5000 " + sha256(body));
    }

    @Test
    void malformedFieldsAndTargetsAreRefusedWith400WithoutTheApplication() throws Exception {
        int before = handled.get();
        assertThat(this.client.send(this.client.fields("GET", "/about").add("bad name", "x"), new byte[0]).status())
            .as("a field name that is not a token").isEqualTo(400);
        assertThat(this.client.send(this.client.fields("GET", "/about").add("x-a", " padded"), new byte[0]).status())
            .as("a value with white space around it").isEqualTo(400);
        assertThat(this.client.send(this.client.fields("GET", "/about").add("x-a", "a\nb"), new byte[0]).status())
            .as("a value with a line feed").isEqualTo(400);
        assertThat(this.client.send(this.client.fields("GET", "/a b"), new byte[0]).status())
            .as("a path that is not a URI").isEqualTo(400);
        assertThat(handled.get()).isEqualTo(before);
    }

    @Test
    void aHandlerThatFailsBeforeItsResponseGets500() throws Exception {
        Response response = this.client.send(this.client.fields("GET", "/fail-before"), new byte[0]);
        assertThat(response.status()).isEqualTo(500);
        assertThat(text(response)).as("Boot's error response").contains("\"status\":500");
    }

    @Test
    void aHandlerThatFailsInTheMiddleOfItsBodyResetsTheStream() throws Exception {
        Exchange exchange = this.client.open(this.client.fields("GET", "/fail-after"));
        exchange.end();
        assertThat(exchange.headers.get(10, TimeUnit.SECONDS).status()).hasToString("200");
        assertThatThrownBy(exchange::response).as("not a whole response")
            .satisfies((failure) -> assertThat(Exchange.resetCode(failure)).isEqualTo(0x102));
        assertThat(exchange.received()).as("the part sent before the failure").isEqualTo(CHUNK);
    }

    @Test
    void aClientThatResetsItsStreamCancelsTheHandler() throws Exception {
        cancelled = new CountDownLatch(1);
        // its request not finished: Netty's QUIC codec does not tell of a STOP_SENDING on a stream whose request
        // is whole (docs/http3.md)
        Exchange exchange = this.client.open(this.client.fields("GET", "/forever"));
        Await.until(() -> exchange.received() > 0, "part of the endless body");
        exchange.reset(0x10c);
        assertThat(cancelled.await(10, TimeUnit.SECONDS)).as("the handler's body cancelled").isTrue();
    }

    @Test
    void aConnectionThatClosesMidResponseCancelsTheHandler() throws Exception {
        cancelled = new CountDownLatch(1);
        XdpHttp3Server server = this.application.getBean(XdpHttp3Server.class);
        try (RawHttp3Client other = RawHttp3Client.connect(this.fixture.net(), this.fixture.net().appIpv4(), PORT)) {
            Exchange exchange = other.open(other.fields("GET", "/forever"));
            exchange.end();
            Await.until(() -> exchange.received() > 0, "part of the endless body");
            other.connection().close(true, 0x100, io.netty.buffer.Unpooled.EMPTY_BUFFER).sync();
            assertThat(cancelled.await(10, TimeUnit.SECONDS)).as("the handler's body cancelled").isTrue();
        }
        Await.until(() -> server.state().connectionsOpen() == 1, "only the shared client's connection open");
    }

    @Test
    void ordinaryRequestsMakeNoThrowableOnTheServer(@TempDir Path recorded) throws Exception {
        Runnable requests = () -> {
            try {
                this.client.send(this.client.fields("GET", "/about"), new byte[0]);
                this.client.send(this.client.fields("HEAD", "/page"), new byte[0]);
                this.client.send(this.client.fields("GET", "/empty"), new byte[0]);
                this.client.send(this.client.fields("GET", "/download/200000"), new byte[0]);
                this.client.send(this.client.fields("POST", "/upload"), content(100000));
            }
            catch (Exception ex) {
                throw new IllegalStateException(ex);
            }
        };
        requests.run();
        Path events = recorded.resolve("throwables.jfr");
        try (Recording recording = new Recording()) {
            recording.enable("jdk.JavaExceptionThrow").withStackTrace();
            recording.enable("jdk.JavaErrorThrow").withStackTrace();
            recording.start();
            for (int i = 0; i < 10; i++) {
                requests.run();
            }
            recording.stop();
            recording.dump(events);
        }
        // the leak detector's records are Throwables too, made at paranoid level only
        List<RecordedEvent> made = RecordingFile.readAllEvents(events).stream()
            .filter((event) -> event.getThread() != null && event.getThread().getJavaName().startsWith("quic-xdp-loop"))
            .filter((event) -> !event.getClass("thrownClass").getName().startsWith(ResourceLeakDetector.class.getName()))
            .toList();
        assertThat(made).as("throwables made on the event loops over 50 requests; the first at:%n%s",
                made.isEmpty() ? "" : made.get(0).getStackTrace().getFrames().stream()
                    .map((frame) -> "  " + frame.getMethod().getType().getName() + "." + frame.getMethod().getName()
                            + ":" + frame.getLineNumber())
                    .collect(Collectors.joining("\n")))
            .isEmpty();
    }

    @Test
    void buffersAreAllReleased(CapturedOutput output) throws Exception {
        // every request shape once more, then what paranoid detection finds collected and unreleased
        aLargeUploadInPartsIsReadWhole();
        aHandlerThatFailsInTheMiddleOfItsBodyResetsTheStream();
        aClientThatResetsItsStreamCancelsTheHandler();
        BufferLeaks.assertNoneLeaked(output);
    }

    private static String text(Response response) {
        return new String(response.body(), StandardCharsets.UTF_8);
    }

    @SpringBootConfiguration
    @EnableAutoConfiguration
    static class Routes {

        @Bean
        RouterFunction<ServerResponse> routes() {
            return RouterFunctions.route()
                .GET("/about", Routes::about)
                .GET("/page", Routes::page)
                .HEAD("/page", Routes::page)
                .GET("/empty", (request) -> {
                    handled.incrementAndGet();
                    return ServerResponse.noContent().build();
                })
                .POST("/upload", (request) -> {
                    handled.incrementAndGet();
                    MessageDigest sha;
                    try {
                        sha = MessageDigest.getInstance("SHA-256");
                    }
                    catch (Exception ex) {
                        return Mono.error(ex);
                    }
                    AtomicLong count = new AtomicLong();
                    // one buffer at a time: the client is held back by flow control meanwhile
                    return request.bodyToFlux(DataBuffer.class).limitRate(1).doOnNext((buffer) -> {
                        byte[] bytes = new byte[buffer.readableByteCount()];
                        buffer.read(bytes);
                        sha.update(bytes);
                        count.addAndGet(bytes.length);
                        DataBufferUtils.release(buffer);
                    }).then(Mono.defer(() -> ServerResponse.ok()
                        .bodyValue(count.get() + " " + HexFormat.of().formatHex(sha.digest()))));
                })
                .POST("/late-body", (request) -> {
                    handled.incrementAndGet();
                    // asked for after the client finished the request
                    return Mono.delay(Duration.ofMillis(100))
                        .then(request.bodyToMono(String.class).defaultIfEmpty(""))
                        .flatMap((body) -> ServerResponse.ok().bodyValue(String.valueOf(body.length())));
                })
                .GET("/download/{size}", (request) -> {
                    handled.incrementAndGet();
                    byte[] body = content(Integer.parseInt(request.pathVariable("size")));
                    Flux<DataBuffer> chunks = Flux.range(0, (body.length + CHUNK - 1) / CHUNK)
                        .map((i) -> DefaultDataBufferFactory.sharedInstance
                            .wrap(Arrays.copyOfRange(body, i * CHUNK, Math.min(body.length, (i + 1) * CHUNK))));
                    return ServerResponse.ok().body(chunks, DataBuffer.class);
                })
                .GET("/fail-before", (request) -> {
                    handled.incrementAndGet();
                    return Mono.error(new IllegalStateException("failed before the response"));
                })
                .GET("/fail-after", (request) -> {
                    handled.incrementAndGet();
                    Flux<DataBuffer> body = Flux.concat(Mono.just(DefaultDataBufferFactory.sharedInstance.wrap(content(CHUNK))),
                            Mono.delay(Duration.ofMillis(100)).then(Mono.error(new IllegalStateException("failed halfway"))));
                    return ServerResponse.ok().body(body, DataBuffer.class);
                })
                .GET("/forever", (request) -> {
                    handled.incrementAndGet();
                    // ticks the client cannot take yet are dropped, so that only a cancel ends it
                    Flux<String> body = Flux.interval(Duration.ofMillis(20)).onBackpressureDrop()
                        .map((tick) -> "tick " + tick + "\n")
                        .doOnCancel(() -> cancelled.countDown());
                    return ServerResponse.ok().body(body, String.class);
                })
                .build();
        }

        private static Mono<ServerResponse> page(org.springframework.web.reactive.function.server.ServerRequest request) {
            handled.incrementAndGet();
            return ServerResponse.ok().bodyValue("a page of text\n");
        }

        /** What Spring saw of the request, line by line. */
        private static Mono<ServerResponse> about(org.springframework.web.reactive.function.server.ServerRequest request) {
            handled.incrementAndGet();
            ServerHttpRequest http = request.exchange().getRequest();
            String about = "method " + request.method() + "\nuri " + request.uri() + "\nquery "
                    + request.queryParams() + "\nX-Case " + request.headers().firstHeader("X-Case")
                    + "\ncookies " + String.join(" ", request.cookies().values().stream().flatMap((c) -> c.stream())
                        .map((cookie) -> cookie.getName() + "=" + cookie.getValue()).toList())
                    + "\nlocal " + http.getLocalAddress() + "\nremote " + http.getRemoteAddress() + "\ntls "
                    + (http.getSslInfo() != null) + "\npseudo-fields hidden "
                    + http.getHeaders().headerNames().stream().noneMatch((name) -> name.startsWith(":"))
                    + "\nid " + http.getId() + "\n";
            return ServerResponse.ok()
                .cookie(ResponseCookie.from("flavour", "oat").path("/").httpOnly(true).build())
                .contentType(org.springframework.http.MediaType.TEXT_PLAIN)
                .bodyValue(about);
        }
    }
}
