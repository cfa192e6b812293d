package io.quicxdp.sample;

import static org.assertj.core.api.Assertions.assertThat;

import io.quicxdp.datapath.testing.Await;
import io.quicxdp.datapath.testing.KernelSupport;
import io.quicxdp.datapath.testing.XskMapFixture;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Fault 8 of docs/faults.md: the sample, in a JVM of its own on two queues of a map, is stopped while a UDP
 * burst from the peer namespace flows into its echo port. SIGTERM: the shutdown closes the datapath with
 * datagrams still arriving, the process exits 0 and both slots are empty. SIGKILL: nothing runs in the
 * process, and the kernel empties both slots as it closes the sockets.
 */
class SignalDuringBurstTests {

    private static final Duration START = Duration.ofSeconds(40);

    /** The burst: 4000 datagrams in batches of 40, 20 ms apart, so about 2 s, bounded whatever happens. */
    private static final int BURST = 4000;

    private static final int BATCH = 40;

    private static final Pattern RX_PACKETS = Pattern.compile("\"rxPackets\":(\\d+)");

    private XskMapFixture fixture;

    private SampleProcess sample;

    private int port;

    private CompletableFuture<Integer> burst;

    @BeforeEach
    void startSample() throws Exception {
        KernelSupport.assumeAvailable();
        this.port = FreeUdpPort.pick();
        int quicPort = FreeUdpPort.pickOtherThan(this.port);
        int http3Port = FreeUdpPort.pickOtherThan(this.port, quicPort);
        this.fixture = XskMapFixture.create(2, Set.of(this.port, quicPort, http3Port));
        this.sample = SampleProcess.start(List.of(), "--quic.xdp.maps[0].interface=" + this.fixture.appInterface(),
                "--quic.xdp.maps[0].path=" + this.fixture.pin(), "--sample.echo.port=" + this.port,
                "--sample.quic.port=" + quicPort, "--quic.xdp.http3.port=" + http3Port);
        this.sample.awaitOutput("Started SampleApplication", START);
    }

    @AfterEach
    void stopEverything() throws Exception {
        if (this.sample != null) {
            this.sample.kill();
        }
        if (this.burst != null) {
            // bounded by its own loop; waited for so that its peer thread is done before the namespace goes
            this.burst.handle((sent, failure) -> sent).get(30, TimeUnit.SECONDS);
        }
        if (this.fixture != null) {
            this.fixture.close();
        }
    }

    /** Checks the sample serves with its frames accounted for, then starts the burst and waits until it arrives. */
    private AtomicInteger burstUnderWay() throws Exception {
        String actuator = "http://127.0.0.1:" + tcpPort() + "/actuator/";
        assertServingWithFramesAccountedFor(actuator);
        long received = rxPackets(get(actuator + "xdp"));
        AtomicInteger sent = startBurst();
        Await.until(() -> rxPackets(getQuietly(actuator + "xdp")) - received >= 200, "the burst arriving");
        return sent;
    }

    @Test
    void sigtermDuringABurstClosesTheDatapathExitsZeroAndLeavesBothSlotsEmpty() throws Exception {
        AtomicInteger sent = burstUnderWay();
        int sentAtSignal = sent.get();
        long signalled = System.nanoTime();
        assertThat(this.sample.terminate()).as("exit status after SIGTERM during the burst").isZero();
        assertThat(sentAtSignal).as("signalled while the burst still flowed").isLessThan(BURST);
        int sentInAll = this.burst.get(30, TimeUnit.SECONDS);
        assertThat(this.burst.isDone()).isTrue();
        assertThat(sentInAll).isEqualTo(BURST);
        assertThat(Duration.ofNanos(System.nanoTime() - signalled)).as("the whole stop, burst included")
            .isLessThan(Duration.ofSeconds(30));

        assertThat(this.sample.output()).contains("XDP map mode stopping")
            .contains("sockets of queues [0, 1] closed; the kernel removed them from the slots of XSKMAP "
                    + this.fixture.pin())
            .doesNotContain("Exception");
        assertThat(this.fixture.occupied(0)).as("slot 0 after exit").isFalse();
        assertThat(this.fixture.occupied(1)).as("slot 1 after exit").isFalse();
        assertThat(this.fixture.pin()).as("the operator's pin").exists();
    }

    @Test
    void sigkillDuringABurstLeavesBothSlotsEmptyOnceTheKernelClosesTheSockets() throws Exception {
        AtomicInteger sent = burstUnderWay();
        int sentAtSignal = sent.get();
        this.sample.kill();
        assertThat(sentAtSignal).as("killed while the burst still flowed").isLessThan(BURST);
        assertThat(this.burst.get(30, TimeUnit.SECONDS)).isEqualTo(BURST);
        Await.until(() -> !occupied(0) && !occupied(1), "the kernel empties both slots");
        assertThat(this.sample.output()).as("nothing ran in the process").doesNotContain("XDP map mode stopping");
        assertThat(this.fixture.pin()).as("the operator's pin").exists();
    }

    /**
     * Both sockets bound and in the map, the health UP, every receive and TX frame accounted for, and the process's
     * eight ring mappings (four per socket) there: what the stop must give back.
     */
    private void assertServingWithFramesAccountedFor(String actuator) throws Exception {
        assertThat(this.fixture.occupied(0)).isTrue();
        assertThat(this.fixture.occupied(1)).isTrue();
        Await.until(() -> {
            String xdp = getQuietly(actuator + "xdp");
            // two sockets, each with its receive frames and its TX frames
            return count(xdp, "\"bound\":true,\"inMap\":true") == 2 && count(xdp, "\"held\":0,") == 4
                    && count(xdp, "\"balanced\":true") == 4;
        }, "both sockets serving, frames balanced, none held");
        assertThat(get(actuator + "health/xdp")).endsWith("\"status\":\"UP\"}");
        long pid = this.sample.pid();
        try (Stream<String> maps = Files.lines(Path.of("/proc/" + pid + "/maps"))) {
            assertThat(maps.filter((line) -> line.contains("socket:[")).count()).as("the rings of two XSKs")
                .isEqualTo(8);
        }
    }

    /** Sends the burst from the peer namespace on a thread of its own; counts what it has sent. */
    private AtomicInteger startBurst() {
        AtomicInteger sent = new AtomicInteger();
        InetSocketAddress target = new InetSocketAddress(this.fixture.net().appIpv4(), this.port);
        this.burst = CompletableFuture.supplyAsync(() -> {
            try {
                return this.fixture.net().inPeer(() -> {
                    try (DatagramChannel channel = DatagramChannel.open()) {
                        for (int i = 0; i < BURST; i++) {
                            channel.send(ByteBuffer.wrap(("burst-" + i).getBytes(StandardCharsets.US_ASCII)), target);
                            sent.incrementAndGet();
                            if (i % BATCH == BATCH - 1) {
                                Thread.sleep(20);
                            }
                        }
                    }
                    return sent.get();
                });
            }
            catch (Exception ex) {
                throw new IllegalStateException(ex);
            }
        });
        return sent;
    }

    private boolean occupied(int key) {
        try {
            return this.fixture.occupied(key);
        }
        catch (Exception ex) {
            throw new IllegalStateException(ex);
        }
    }

    private int tcpPort() {
        return SampleOnMap.tcpPort(this.sample.output());
    }

    private static long rxPackets(String xdp) {
        Matcher matcher = RX_PACKETS.matcher(xdp);
        long sum = 0;
        while (matcher.find()) {
            sum += Long.parseLong(matcher.group(1));
        }
        return sum;
    }

    private static int count(String text, String part) {
        int count = 0;
        for (int at = text.indexOf(part); at >= 0; at = text.indexOf(part, at + 1)) {
            count++;
        }
        return count;
    }

    private static String get(String uri) throws Exception {
        return SampleOnMap.get(uri, true);
    }

    /** The body, or an empty one while the sample cannot answer: for polling. */
    private static String getQuietly(String uri) {
        try {
            return get(uri);
        }
        catch (Exception | AssertionError ex) {
            return "";
        }
    }
}
