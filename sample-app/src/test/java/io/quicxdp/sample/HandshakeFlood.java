package io.quicxdp.sample;

import static org.assertj.core.api.Assertions.assertThat;

import io.quicxdp.bench.load.AmplificationMeter;
import io.quicxdp.bench.load.InitialFlood;
import io.quicxdp.datapath.testing.PeerCapture;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * The bounded handshake flood of the sample's tests: for {@link #DURATION}, QUIC Initials (real ones that start a
 * handshake, undecryptable ones, garbage, 1:1:1) from 126 addresses of the peer's subnet, two ports each, to one of
 * the sample's QUIC servers, while the test's legitimate client goes on from the peer's own address. What the
 * server sends back is read on the peer's veth end, per flood source and per answered datagram.
 */
final class HandshakeFlood {

    /** How long the flood lasts. */
    static final Duration DURATION = Duration.ofSeconds(4);

    private static final Duration TICK = Duration.ofMillis(500);

    private HandshakeFlood() {
    }

    /** What the legitimate client does while the flood runs, once per tick. */
    @FunctionalInterface
    interface Tick {

        void run() throws Exception;
    }

    /**
     * What came back: the meter that read the server's answers on the wire, bytes back per byte sent for each flood
     * source, and the meter's report of both.
     */
    record Flooded(AmplificationMeter meter, List<Double> sourceRatios, List<String> report) {
    }

    /**
     * Floods {@code server} of {@code sample} at {@code rate} datagrams a second, its real Initials offering
     * {@code alpn}, running {@code tick} every half second until the flood ends; checks that the flood sent more than
     * a second's worth and that the capture missed no frame, and returns what came back, the server's answers of the
     * three seconds after included.
     */
    static Flooded run(SampleOnMap sample, InetSocketAddress server, String alpn, int rate, Tick tick)
            throws Exception {
        String range = sample.peerRange("128/25");
        sample.fixture().net().runInPeer("ip", "route", "add", "local", range, "dev", "lo");
        AmplificationMeter meter = new AmplificationMeter();
        Map<InetAddress, long[]> sent;
        PeerCapture capture = sample.fixture().net()
            .inPeer(() -> PeerCapture.open(sample.fixture().net().peerInterface(), server.getPort(), meter));
        try {
            InitialFlood.Settings settings = new InitialFlood.Settings(server, InitialFlood.hostsOf(range), 2, rate,
                    DURATION, 1_000_000, new int[] { 1, 1, 1 }, 1, alpn);
            try (InitialFlood flood = sample.fixture().net().inPeer(() -> InitialFlood.open(settings))) {
                CompletableFuture<InitialFlood.Result> running = CompletableFuture.supplyAsync(() -> {
                    try {
                        return flood.run();
                    }
                    catch (InterruptedException ex) {
                        Thread.currentThread().interrupt();
                        throw new IllegalStateException(ex);
                    }
                });
                while (!running.isDone()) {
                    Thread.sleep(TICK.toMillis());
                    tick.run();
                }
                InitialFlood.Result result = running.get(30, TimeUnit.SECONDS);
                assertThat(result.datagrams()).as(result.line()).isGreaterThan(rate);
                sent = flood.sentBySource();
            }
        }
        finally {
            // the server's retransmissions to the flood's sources come in the seconds after
            capture.close(Duration.ofSeconds(3));
        }
        assertThat(capture.kernelDrops()).as("the capture saw every frame").isZero();
        return new Flooded(meter, meter.sourceRatios(sent), meter.report(sent));
    }

    /** QUIC's anti-amplification limit on the wire: per answered 1200-byte Initial, and per flood source. */
    static void assertWithinThreeTimes(Flooded flooded) {
        assertThat(flooded.meter().maxDatagramRatio()).as("bytes back per answered 1200-byte datagram")
            .isLessThanOrEqualTo(AmplificationMeter.LIMIT);
        assertThat(flooded.sourceRatios()).as("bytes back per byte sent, per source").isNotEmpty()
            .allSatisfy((ratio) -> assertThat(ratio).isLessThanOrEqualTo(AmplificationMeter.LIMIT));
    }
}
