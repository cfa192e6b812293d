package com.example.consumer;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.pkitesting.CertificateBuilder;
import io.netty.pkitesting.X509Bundle;
import io.quicxdp.datapath.XdpDatapath;
import io.quicxdp.datapath.state.SocketState;
import io.quicxdp.datapath.testing.Commands;
import io.quicxdp.datapath.testing.EchoPeer;
import io.quicxdp.datapath.testing.TestPorts;
import io.quicxdp.datapath.testing.XskMapFixture;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ConfigurableApplicationContext;

/**
 * The application as its users would run it, against a real XSKMAP (a veth pair, the reference XDP program
 * redirecting the echo and HTTP/3 ports, the map pinned in bpffs): the datapath opens, health is UP, the UDP
 * echo and an HTTP/3 request (Debian's gtlsclient, from the peer's namespace) are answered through the XSKs,
 * and every meter that quic-xdp's Grafana dashboard and Prometheus rules use is on /actuator/prometheus.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ConsumerApplicationTests {

    private static final int ECHO_PORT = TestPorts.ECHO;

    private static final int HTTP3_PORT = TestPorts.SECOND;

    /** A meter name in a PromQL expression, with its label matchers if it has any. */
    private static final Pattern SELECTOR = Pattern.compile("(quic_xdp_[a-z0-9_]+)(\\{[^}]*\\})?");

    /** A label name in a matcher: {@code name="..."}, {@code name=~"..."}, also JSON-escaped. */
    private static final Pattern MATCHER = Pattern.compile("([a-z_]+)\\s*(?:=~|!~|!=|=)\\s*\\\\?\"");

    /** An aggregation's grouping over the meter it aggregates: {@code by (a, b) (rate(name...}. */
    private static final Pattern GROUPING = Pattern.compile("by \\(([a-z_, ]*)\\) \\((?:rate\\()?(quic_xdp_[a-z0-9_]+)");

    /** Labels that Prometheus adds to every scraped series. */
    private static final Set<String> TARGET_LABELS = Set.of("job", "instance");

    private XskMapFixture fixture;

    private Path certificates;

    private ConfigurableApplicationContext application;

    @BeforeAll
    void start() throws Exception {
        Assumptions.assumeTrue(Commands.tryRun("gtlsclient", "--help").exitCode() == 0,
                "the gtlsclient command is missing: apt-get install ngtcp2-client");
        this.fixture = XskMapFixture.create(2, Set.of(ECHO_PORT, HTTP3_PORT));
        this.certificates = Files.createTempDirectory("consumer-app-");
        X509Bundle certificate = new CertificateBuilder().subject("CN=consumer-app").setIsCertificateAuthority(true)
            .buildSelfSigned();
        Path cert = Files.writeString(this.certificates.resolve("cert.pem"), certificate.getCertificatePEM());
        Path key = Files.writeString(this.certificates.resolve("key.pem"), certificate.getPrivateKeyPEM());
        this.application = new SpringApplicationBuilder(ConsumerApplication.class)
            .properties("spring.main.banner-mode=off", "server.port=0",
                    "quic.xdp.maps[0].interface=" + this.fixture.appInterface(),
                    "quic.xdp.maps[0].path=" + this.fixture.pin(), "quic.xdp.http3.port=" + HTTP3_PORT,
                    "consumer.echo.port=" + ECHO_PORT, "spring.ssl.bundle.pem.web.keystore.certificate=file:" + cert,
                    "spring.ssl.bundle.pem.web.keystore.private-key=file:" + key)
            .run();
    }

    @AfterAll
    void stop() throws IOException {
        if (this.application != null) {
            this.application.close();
        }
        if (this.fixture != null) {
            this.fixture.close();
        }
        if (this.certificates != null) {
            try (Stream<Path> files = Files.list(this.certificates)) {
                for (Path file : files.toList()) {
                    Files.delete(file);
                }
            }
            Files.delete(this.certificates);
        }
    }

    @Test
    void theDatapathOpensOnTheMapAndHealthIsUp() throws Exception {
        List<SocketState> sockets = this.application.getBean(XdpDatapath.class).state().sockets();
        assertThat(sockets).extracting(SocketState::queueId).containsExactly(0, 1);
        assertThat(sockets).allSatisfy((socket) -> assertThat(socket.inMap()).isTrue());
        assertThat(this.fixture.occupied(0)).isTrue();
        assertThat(this.fixture.occupied(1)).isTrue();
        HttpResponse<String> health = get("/actuator/health");
        assertThat(health.statusCode()).as(health.body()).isEqualTo(200);
        assertThat(health.body()).startsWith("{").contains("\"status\":\"UP\"").contains(this.fixture.appInterface());
    }

    @Test
    void theUdpEchoAnswersThroughTheXsks() throws Exception {
        long received = rxPackets();
        assertThat(EchoPeer.echoes(this.fixture.net(), this.fixture.net().appIpv4(), ECHO_PORT, 10)).isEqualTo(10);
        assertThat(rxPackets()).isGreaterThanOrEqualTo(received + 10);
    }

    @Test
    void anHttp3RequestThroughTheXsksIsAnswered(@TempDir Path downloads) throws Exception {
        long received = rxPackets();
        String host = this.fixture.net().appIpv4().getHostAddress();
        Process client = new ProcessBuilder("ip", "netns", "exec", this.fixture.net().namespace(), "gtlsclient",
                "--exit-on-all-streams-close", "--quiet", "--download=" + downloads, "--timeout=10s", host,
                String.valueOf(HTTP3_PORT), "https://" + host + ":" + HTTP3_PORT + "/hello")
            .redirectErrorStream(true)
            .redirectOutput(downloads.resolve("gtlsclient.log").toFile())
            .start();
        assertThat(client.waitFor(60, TimeUnit.SECONDS)).as("gtlsclient finished within 60 s").isTrue();
        Path page = downloads.resolve("hello");
        assertThat(page).as("GET /hello over HTTP/3; gtlsclient said:%n%s",
                Files.readString(downloads.resolve("gtlsclient.log"))).exists();
        assertThat(Files.readString(page)).isEqualTo("hello from the consumer");
        assertThat(rxPackets()).as("the client's packets came through the XSKs").isGreaterThan(received);
    }

    @Test
    void everyMeterTheDashboardAndTheAlertRulesUseIsExported() throws Exception {
        HttpResponse<String> scrape = get("/actuator/prometheus");
        assertThat(scrape.statusCode()).isEqualTo(200);
        Map<String, Set<String>> exported = labelsByMeter(scrape.body());
        String docs = System.getProperty("quicxdp.docs");
        assertThat(docs).as("the quicxdp.docs property names quic-xdp's docs directory").isNotBlank();
        for (Path used : List.of(Path.of(docs, "grafana", "quic-xdp-dashboard.json"),
                Path.of(docs, "prometheus", "quic-xdp-rules.yml"))) {
            String text = Files.readString(used);
            Matcher selector = SELECTOR.matcher(text);
            Set<String> names = new TreeSet<>();
            while (selector.find()) {
                String name = selector.group(1);
                names.add(name);
                assertThat(exported).as("%s uses %s", used.getFileName(), name).containsKey(name);
                if (selector.group(2) != null) {
                    Matcher matcher = MATCHER.matcher(selector.group(2));
                    while (matcher.find()) {
                        assertLabel(exported, used, name, matcher.group(1));
                    }
                }
            }
            Matcher grouping = GROUPING.matcher(text);
            while (grouping.find()) {
                for (String label : grouping.group(1).split(",\\s*")) {
                    assertLabel(exported, used, grouping.group(2), label.trim());
                }
            }
            assertThat(names).as("meters used by %s", used.getFileName()).isNotEmpty();
        }
    }

    private static void assertLabel(Map<String, Set<String>> exported, Path used, String name, String label) {
        if (!TARGET_LABELS.contains(label)) {
            assertThat(exported.get(name)).as("%s uses label %s of %s", used.getFileName(), label, name)
                .contains(label);
        }
    }

    /** The label names of each meter in Prometheus' text format. */
    private static Map<String, Set<String>> labelsByMeter(String scrape) {
        Map<String, Set<String>> labels = new HashMap<>();
        Pattern sample = Pattern.compile("^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\\{(.*)\\})?\\s");
        Pattern label = Pattern.compile("([a-zA-Z_][a-zA-Z0-9_]*)=\"");
        for (String line : scrape.split("\n")) {
            Matcher matched = sample.matcher(line);
            if (line.startsWith("#") || !matched.find()) {
                continue;
            }
            Set<String> names = labels.computeIfAbsent(matched.group(1), (name) -> new HashSet<>());
            if (matched.group(2) != null) {
                Matcher each = label.matcher(matched.group(2));
                while (each.find()) {
                    names.add(each.group(1));
                }
            }
        }
        return labels;
    }

    private long rxPackets() {
        return this.application.getBean(XdpDatapath.class).state().sockets().stream()
            .mapToLong(SocketState::rxPackets).sum();
    }

    private HttpResponse<String> get(String path) throws Exception {
        String port = this.application.getEnvironment().getProperty("local.server.port");
        HttpRequest request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
            .timeout(Duration.ofSeconds(10))
            .build();
        return HttpClient.newHttpClient().send(request, HttpResponse.BodyHandlers.ofString());
    }
}
