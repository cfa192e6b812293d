package io.quicxdp.autoconfigure.actuate;

import static org.assertj.core.api.Assertions.assertThat;

import io.quicxdp.datapath.UdpEndpoint;
import io.quicxdp.datapath.XdpDatapath;
import io.quicxdp.datapath.internal.bpf.BpfMap;
import io.quicxdp.datapath.testing.TestPorts;
import io.quicxdp.datapath.testing.XskMapFixture;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.time.Duration;
import java.util.Set;
import java.util.function.LongSupplier;
import java.util.function.Predicate;
import org.junit.jupiter.api.Test;
import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.web.server.context.WebServerApplicationContext;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.annotation.Bean;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * A running application with Actuator over HTTP, on a real XSKMAP fed by a peer namespace: what
 * {@code /actuator/xdp}, the metrics and the health show after real traffic, and after someone else
 * empties our slot or unpins the map.
 */
class XdpActuatorHttpTests {

    private static final int PORT = TestPorts.ECHO;

    /** Datagrams the peer sends: from 10 source ports per family, 10 each. */
    private static final int PER_SOURCE = 10;

    private static final int SOURCES_PER_FAMILY = 10;

    private static final int SENT = 2 * SOURCES_PER_FAMILY * PER_SOURCE;

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    private final JsonMapper json = JsonMapper.builder().build();

    @Test
    void endpointMetricsAndHealthShowWhatArrivedAndWhatWasTakenAway() throws Exception {
        try (XskMapFixture fixture = XskMapFixture.create(2, Set.of(PORT))) {
            // 512 receive frames per queue hold the whole burst: a poll thread descheduled on a busy machine
            // cannot lose datagrams to an empty fill ring
            ConfigurableApplicationContext application = new SpringApplicationBuilder(EchoApplication.class)
                .properties("server.port=0", "spring.main.banner-mode=off",
                        "quic.xdp.maps[0].interface=" + fixture.appInterface(), "quic.xdp.maps[0].path=" + fixture.pin(),
                        "quic.xdp.umem.frame-count=1024", "management.endpoints.web.exposure.include=health,xdp,metrics",
                        "management.endpoint.health.show-details=always")
                .run();
            try {
                String base = "http://127.0.0.1:"
                        + ((WebServerApplicationContext) application).getWebServer().getPort() + "/actuator";
                XdpDatapath datapath = application.getBean(XdpDatapath.class);
                sendBurst(fixture, () -> datapath.state().sockets().stream().mapToLong((s) -> s.rxPackets()).sum());
                JsonNode xdp = await(base + "/xdp", 200, (body) -> rxPackets(body) == SENT);
                assertThat(xdp.get("sockets").findValuesAsString("queue")).containsExactlyInAnyOrder("0", "1");
                assertThat(xdp.get("sockets").findValues("rxPackets")).allSatisfy((rx) -> assertThat(rx.asLong()).isPositive());
                assertThat(xdp.get("sockets").findValues("receiveFrames"))
                    .allSatisfy((frames) -> assertThat(frames.get("balanced").asBoolean()).as(frames.toString()).isTrue());
                assertThat(xdp.get("sockets").findValues("transmitFrames")).hasSize(2)
                    .allSatisfy((frames) -> assertThat(frames.get("balanced").asBoolean()).as(frames.toString()).isTrue());
                assertThat(sum(xdp, "rxPartialChecksum")).as("the veth peer's checksum offload is on: every datagram")
                    .isEqualTo(SENT);
                JsonNode map = xdp.get("maps").get(0);
                assertThat(map.get("interfaceName").asString()).isEqualTo(fixture.appInterface());
                assertThat(map.get("path").asString()).isEqualTo(fixture.pin().toString());
                assertThat(map.get("mapId").asInt()).isEqualTo(fixture.mapId());
                assertThat(map.get("type").asString()).isEqualTo("xskmap");
                assertThat(map.get("keysHeld").toString()).isEqualTo("[0,1]");
                assertThat(get(base + "/xdp/" + fixture.appInterface()).statusCode()).isEqualTo(200);
                assertThat(get(base + "/xdp/no-such-interface").statusCode()).isEqualTo(404);

                // the meters read a snapshot at most 200 ms old: wait for one taken after the burst
                JsonNode metric = await(base + "/metrics/quic.xdp.rx.packets", 200,
                        (body) -> body.get("measurements").get(0).get("value").asDouble() == SENT);
                assertThat(metric.get("availableTags").findValuesAsString("tag")).contains("interface", "queue");
                await(base + "/metrics/quic.xdp.rx.partial.checksum", 200,
                        (body) -> body.get("measurements").get(0).get("value").asDouble() == SENT);

                JsonNode health = await(base + "/health", 200, (body) -> true);
                assertThat(health.get("status").asString()).isEqualTo("UP");
                JsonNode ours = health.at("/components/xdp/components/" + fixture.appInterface());
                assertThat(ours.get("status").asString()).isEqualTo("UP");
                assertThat(ours.at("/details/queues/0").asString()).isEqualTo("ok");

                try (BpfMap xsks = BpfMap.openPinned(fixture.pin())) {
                    xsks.delete(0);
                }
                health = await(base + "/health", 503, (body) -> true);
                ours = health.at("/components/xdp/components/" + fixture.appInterface());
                assertThat(ours.get("status").asString()).isEqualTo("DOWN");
                assertThat(ours.at("/details/queues/0").asString())
                    .isEqualTo("slot emptied by someone else: key 0 holds no socket");
                assertThat(ours.at("/details/queues/1").asString()).isEqualTo("ok");

                Files.delete(fixture.pin());
                health = await(base + "/health", 503, (body) -> true);
                ours = health.at("/components/xdp/components/" + fixture.appInterface());
                assertThat(ours.at("/details/pin").asString()).isEqualTo("removed: nothing is pinned at " + fixture.pin());

                assertThat(application.getBean(XdpDatapath.class).isOpen()).as("the application keeps running").isTrue();
                assertThat(get(base + "/xdp").statusCode()).isEqualTo(200);
            }
            finally {
                application.close();
            }
        }
    }

    private static long rxPackets(JsonNode xdp) {
        return sum(xdp, "rxPackets");
    }

    private static long sum(JsonNode xdp, String counter) {
        return xdp.get("sockets").findValues(counter).stream().mapToLong(JsonNode::asLong).sum();
    }

    /**
     * Sends every datagram, each source's ten only once the previous ones arrived: the test's UMEM has 128
     * receive frames per queue, and a burst larger than that could outrun a poll thread that is slow to
     * wake, whatever the datapath does.
     */
    private void sendBurst(XskMapFixture fixture, LongSupplier received) throws Exception {
        long sent = 0;
        for (InetAddress target : new InetAddress[] { fixture.net().appIpv4(), fixture.net().appIpv6() }) {
            for (int source = 0; source < SOURCES_PER_FAMILY; source++) {
                fixture.net().inPeer(() -> {
                    try (DatagramChannel channel = DatagramChannel.open()) {
                        channel.bind(new InetSocketAddress(target instanceof java.net.Inet6Address
                                ? fixture.net().peerIpv6() : fixture.net().peerIpv4(), 0));
                        for (int i = 0; i < PER_SOURCE; i++) {
                            channel.send(ByteBuffer.wrap(("datagram " + i).getBytes(StandardCharsets.US_ASCII)),
                                    new InetSocketAddress(target, PORT));
                        }
                    }
                    return null;
                });
                sent += PER_SOURCE;
                long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
                while (received.getAsLong() < sent && System.nanoTime() < deadline) {
                    Thread.sleep(5);
                }
            }
        }
    }

    /** GETs {@code url} until it answers {@code status} with a body that passes, for at most 10 seconds. */
    private JsonNode await(String url, int status, Predicate<JsonNode> until) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        HttpResponse<String> response;
        do {
            response = get(url);
            if (response.statusCode() == status) {
                JsonNode body = this.json.readTree(response.body());
                if (until.test(body)) {
                    return body;
                }
            }
            Thread.sleep(50);
        }
        while (System.nanoTime() < deadline);
        throw new AssertionError("GET " + url + " did not answer " + status + " as expected within 10 s; last answer "
                + response.statusCode() + ": " + response.body());
    }

    private HttpResponse<String> get(String url) throws Exception {
        return this.http.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(5)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    @SpringBootConfiguration
    @EnableAutoConfiguration
    static class EchoApplication {

        @Bean
        UdpEndpoint echo(XdpDatapath datapath) {
            return datapath.bind(PORT, (datagram) -> datagram.reply(datagram.payload()));
        }
    }
}
