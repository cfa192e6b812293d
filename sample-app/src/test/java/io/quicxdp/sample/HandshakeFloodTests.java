package io.quicxdp.sample;

import static org.assertj.core.api.Assertions.assertThat;

import io.quicxdp.bench.load.ConnectionLoad;
import io.quicxdp.datapath.testing.Await;
import io.quicxdp.datapath.testing.KernelSupport;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The bounded version of the handshake flood (docs/reliability.md): the sample, in a JVM of its own on two
 * queues, gets a few seconds of QUIC Initials (real ones that start a handshake, undecryptable ones, garbage) from
 * 126 addresses of the peer's subnet, two ports each, while a legitimate HTTP/3 client keeps requesting from the
 * peer's own address. What the server sends back is read on the peer's veth end, per flood source and per
 * answered datagram.
 */
class HandshakeFloodTests {

    /**
     * With Retry, the server answers every Initial-looking datagram with a Retry of less than 1200 bytes and
     * keeps no state: within QUIC's three times per source and per datagram, measured on the wire.
     */
    @Test
    void withRetryTheLegitimateClientIsServedThroughoutAndNoSourceGetsThreeTimesWhatItSent() throws Exception {
        KernelSupport.assumeAvailable();
        try (SampleOnMap sample = SampleOnMap.start("--quic.xdp.http3.retry=true")) {
            HandshakeFlood.Flooded flooded = flood(sample, 3000);
            assertThat(flooded.meter().answered()).as("Retries to the flood's own source IDs").isPositive();
            HandshakeFlood.assertWithinThreeTimes(flooded);
            @SuppressWarnings("unchecked")
            Map<String, Object> http3 = (Map<String, Object>) sample.actuator("xdp").get("http3");
            assertThat(((Number) http3.get("retriesSent")).longValue()).isPositive();
        }
    }

    /**
     * Without Retry each real Initial costs the server a handshake, and the legitimate client is still served
     * during the flood and after. quiche would go on probing the flood's unvalidated sources past three times what
     * each sent; the guard in front of the codec holds those probes back, and what arrives on the wire stays within
     * three times, per source and per answered Initial.
     */
    @Test
    void withoutRetryTheLegitimateClientIsServedAndNoAnsweredInitialGetsThreeTimesWhatItSent() throws Exception {
        KernelSupport.assumeAvailable();
        try (SampleOnMap sample = SampleOnMap.start()) {
            HandshakeFlood.Flooded flooded = flood(sample, 600);
            System.out.println("handshake flood without Retry: " + flooded.report() + " " + sample.limits("http3"));
            assertThat(flooded.meter().answered()).as("handshakes begun for the flood's real Initials").isPositive();
            HandshakeFlood.assertWithinThreeTimes(flooded);
        }
    }

    /**
     * Past its handshake budget ({@code quic.xdp.http3.max-handshakes}) the server drops Initials before the codec:
     * the flood's handshakes fill the budget, the rest of its Initials are shed and counted while the established
     * client is served; the flood's handshakes time out, and once the flood stops new clients are taken again.
     */
    @Test
    void pastItsHandshakeBudgetTheServerShedsInitialsKeepsServingAndTakesNewClientsOnceTheFloodStops()
            throws Exception {
        KernelSupport.assumeAvailable();
        try (SampleOnMap sample = SampleOnMap.start("--quic.xdp.http3.max-handshakes=16",
                "--quic.xdp.http3.handshake-timeout=2s")) {
            flood(sample, 3000);
            Map<String, Object> limits = sample.limits("http3");
            System.out.println("handshake flood past the budget: " + limits);
            assertThat(((Number) limits.get("initialsShed")).longValue()).as("Initials shed").isPositive();
            assertThat(((Number) limits.get("handshakesTimedOut")).longValue()).as("the flood's handshakes")
                .isPositive();
            Await.until(() -> sample.handshakesInProgress("http3") == 0, "the flood's handshakes gone");
            ConnectionLoad.Settings newcomers = new ConnectionLoad.Settings(sample.http3(), "/", 8, 4, 1, 100, 8, 0,
                    Duration.ofSeconds(10), Duration.ofMinutes(5));
            try (ConnectionLoad after = ConnectionLoad.start(newcomers, sample.peerThreads())) {
                assertThat(after.awaitAttempted(Duration.ofSeconds(30))).isTrue();
                ConnectionLoad.Check check = after.checkEveryConnection();
                assertThat(check.served()).as("new clients after the flood: " + check.line() + " " + check.reasons())
                    .isEqualTo(8);
            }
        }
    }

    /**
     * Floods the sample's HTTP/3 server for {@link HandshakeFlood#DURATION} at {@code rate} datagrams a second while a
     * legitimate client keeps requesting, checks that client was served during the flood and after, and returns what
     * came back.
     */
    private static HandshakeFlood.Flooded flood(SampleOnMap sample, int rate) throws Exception {
        ConnectionLoad.Settings client = new ConnectionLoad.Settings(sample.http3(), "/", 4, 4, 1, 100, 4, 40,
                Duration.ofSeconds(10), Duration.ofMinutes(5));
        try (ConnectionLoad legitimate = ConnectionLoad.start(client, sample.peerThreads())) {
            assertThat(legitimate.awaitAttempted(Duration.ofSeconds(30))).isTrue();
            assertThat(legitimate.progress().open()).as("the legitimate client's connections").isEqualTo(4);
            List<ConnectionLoad.Progress> during = new ArrayList<>();
            legitimate.progress();
            HandshakeFlood.Flooded flooded = HandshakeFlood.run(sample, sample.http3(), "h3", rate,
                    () -> during.add(legitimate.progress()));
            assertThat(during.stream().mapToLong((window) -> window.latency().count()).sum())
                .as("requests served during the flood: " + during.get(during.size() - 1).line()).isPositive();
            ConnectionLoad.Progress after = legitimate.progress();
            assertThat(after.failed()).as("no request failed: " + after.line()).isZero();
            assertThat(after.lost()).as(after.line()).isZero();
            ConnectionLoad.Check check = legitimate.checkEveryConnection();
            assertThat(check.served()).as("after the flood: " + check.line() + " " + check.reasons()).isEqualTo(4);
            return flooded;
        }
    }
}
