package io.quicxdp.sample;

import static org.assertj.core.api.Assertions.assertThat;

import io.quicxdp.datapath.sandbox.NetworkNamespaces;
import io.quicxdp.datapath.testing.XskMapFixture;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadFactory;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.springframework.boot.json.JsonParserFactory;

/**
 * The sample in a JVM of its own on a test's own map of two queues, its UDP echo, QUIC echo and HTTP/3 on free
 * ports the reference program redirects, and what tests read from it: the actuator over TCP, the peer's
 * addresses, threads in the peer namespace. {@link #close()} kills the process if it still runs and removes the
 * network.
 */
final class SampleOnMap implements AutoCloseable {

    private static final Duration START = Duration.ofSeconds(60);

    private static final Pattern TCP_PORT = Pattern.compile("Netty started on port (\\d+) \\(http\\)");

    private final XskMapFixture fixture;

    private final SampleProcess process;

    private final int echoPort;

    private final int quicPort;

    private final int http3Port;

    private SampleOnMap(XskMapFixture fixture, SampleProcess process, int echoPort, int quicPort, int http3Port) {
        this.fixture = fixture;
        this.process = process;
        this.echoPort = echoPort;
        this.quicPort = quicPort;
        this.http3Port = http3Port;
    }

    /** Starts the sample with {@code arguments} besides the map and ports, and waits until it has started. */
    static SampleOnMap start(String... arguments) throws Exception {
        int echoPort = FreeUdpPort.pick();
        int quicPort = FreeUdpPort.pickOtherThan(echoPort);
        int http3Port = FreeUdpPort.pickOtherThan(echoPort, quicPort);
        XskMapFixture fixture = XskMapFixture.create(2, Set.of(echoPort, quicPort, http3Port));
        SampleProcess process = null;
        try {
            List<String> all = new ArrayList<>(List.of("--quic.xdp.maps[0].interface=" + fixture.appInterface(),
                    "--quic.xdp.maps[0].path=" + fixture.pin(), "--sample.echo.port=" + echoPort,
                    "--sample.quic.port=" + quicPort, "--quic.xdp.http3.port=" + http3Port));
            all.addAll(List.of(arguments));
            process = SampleProcess.start(List.of(), all.toArray(String[]::new));
            process.awaitOutput("Started SampleApplication", START);
            return new SampleOnMap(fixture, process, echoPort, quicPort, http3Port);
        }
        catch (Exception | Error ex) {
            if (process != null) {
                process.kill();
            }
            fixture.close();
            throw ex;
        }
    }

    XskMapFixture fixture() {
        return fixture;
    }

    SampleProcess process() {
        return process;
    }

    InetSocketAddress echo() {
        return new InetSocketAddress(fixture.net().appIpv4(), echoPort);
    }

    InetSocketAddress quic() {
        return new InetSocketAddress(fixture.net().appIpv4(), quicPort);
    }

    InetSocketAddress http3() {
        return new InetSocketAddress(fixture.net().appIpv4(), http3Port);
    }

    /** The peer's /24 from 198.18.0.0/15 with its last octet replaced by {@code suffix}, such as {@code 128/25}. */
    String peerRange(String suffix) {
        String peer = fixture.net().peerIpv4().getHostAddress();
        return peer.substring(0, peer.lastIndexOf('.') + 1) + suffix;
    }

    /** Threads that enter the peer namespace before they run: a client's sockets made there live there. */
    ThreadFactory peerThreads() {
        ThreadFactory threads = Executors.defaultThreadFactory();
        String namespace = "/var/run/netns/" + fixture.net().namespace();
        return (task) -> threads.newThread(() -> {
            try {
                NetworkNamespaces.enter(namespace);
            }
            catch (IOException ex) {
                throw new UncheckedIOException(ex);
            }
            task.run();
        });
    }

    /** {@code /actuator/PATH}, parsed, whatever its status (the health answers 503 when DOWN). */
    Map<String, Object> actuator(String path) throws Exception {
        return JsonParserFactory.getJsonParser().parseMap(get("http://127.0.0.1:" + tcpPort(process.output())
                + "/actuator/" + path, false));
    }

    /** As {@link #actuator}, or an empty map while the sample cannot answer: for polling. */
    Map<String, Object> actuatorQuietly(String path) {
        try {
            return actuator(path);
        }
        catch (Exception ex) {
            return Map.of();
        }
    }

    /** The HTTP/3 server's open connections, as {@code /actuator/xdp} counts them; -1 while it cannot be read. */
    @SuppressWarnings("unchecked")
    long connectionsOpen() {
        Object http3 = actuatorQuietly("xdp").get("http3");
        return (http3 instanceof Map<?, ?> section) ? ((Number) ((Map<String, Object>) section).get("connectionsOpen"))
            .longValue() : -1;
    }

    /**
     * {@code /actuator/xdp}'s limits of a QUIC server: {@code server} is {@code http3}, or {@code quic} for the
     * servers bound with the binder (the QUIC echo).
     */
    @SuppressWarnings("unchecked")
    Map<String, Object> limits(String server) throws Exception {
        return (Map<String, Object>) ((Map<String, Object>) actuator("xdp").get(server)).get("limits");
    }

    /** The {@code handshakesInProgress} of {@link #limits}; -1 while it cannot be read. */
    @SuppressWarnings("unchecked")
    int handshakesInProgress(String server) {
        Object section = actuatorQuietly("xdp").get(server);
        return (section instanceof Map<?, ?> map) ? ((Number) ((Map<String, Object>) map.get("limits"))
            .get("handshakesInProgress")).intValue() : -1;
    }

    /** The value of the counter {@code name}, from {@code /actuator/metrics}. */
    @SuppressWarnings("unchecked")
    long counter(String name) throws Exception {
        List<Map<String, Object>> measurements = (List<Map<String, Object>>) actuator("metrics/" + name)
            .get("measurements");
        return ((Number) measurements.get(0).get("value")).longValue();
    }

    /** Whether every socket has its receive frames back (none held) and accounted for (balanced). */
    @SuppressWarnings("unchecked")
    boolean framesBackAndBalanced() {
        Object sockets = actuatorQuietly("xdp").get("sockets");
        return (sockets instanceof List<?> list) && !list.isEmpty() && list.stream()
            .map((socket) -> (Map<String, Object>) ((Map<String, Object>) socket).get("receiveFrames"))
            .allMatch((frames) -> frames != null && ((Number) frames.get("held")).intValue() == 0
                    && Boolean.TRUE.equals(frames.get("balanced")));
    }

    @Override
    public void close() {
        process.kill();
        fixture.close();
    }

    /** The TCP port of the sample's web server and actuator, from its log. */
    static int tcpPort(String output) {
        Matcher matcher = TCP_PORT.matcher(output);
        assertThat(matcher.find()).as("the TCP port in the sample's log").isTrue();
        return Integer.parseInt(matcher.group(1));
    }

    /** The body of {@code uri}; with {@code ok}, it must answer 200. */
    static String get(String uri, boolean ok) throws Exception {
        HttpResponse<String> response = HttpClient.newHttpClient()
            .send(HttpRequest.newBuilder(URI.create(uri)).timeout(Duration.ofSeconds(10)).build(),
                    HttpResponse.BodyHandlers.ofString());
        if (ok) {
            assertThat(response.statusCode()).as(uri + ": " + response.body()).isEqualTo(200);
        }
        return response.body();
    }
}
