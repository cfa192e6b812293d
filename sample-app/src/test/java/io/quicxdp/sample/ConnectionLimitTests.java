package io.quicxdp.sample;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.handler.codec.quic.QuicChannel;
import io.netty.handler.codec.quic.QuicConnectionCloseEvent;
import io.netty.handler.codec.quic.QuicSslContext;
import io.netty.handler.codec.quic.QuicSslContextBuilder;
import io.netty.handler.ssl.util.InsecureTrustManagerFactory;
import io.quicxdp.bench.load.ConnectionLoad;
import io.quicxdp.datapath.testing.Await;
import io.quicxdp.datapath.testing.KernelSupport;
import io.quicxdp.netty.quic.QuicConnectionLimit;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * {@code quic.xdp.http3.max-connections}: the sample, in a JVM of its own on two queues, takes a few dozen HTTP/3
 * connections from the peer namespace and refuses the ones beyond with QUIC's CONNECTION_REFUSED, which the real
 * client sees at once; the connections it holds are served throughout, and once they go, new ones are taken again.
 */
class ConnectionLimitTests {

    private static final int LIMIT = 40;

    private static final int BEYOND = 12;

    @Test
    void connectionsBeyondTheLimitAreRefusedCountedAndTheOnesHeldStillServed() throws Exception {
        KernelSupport.assumeAvailable();
        try (SampleOnMap sample = SampleOnMap.start("--quic.xdp.http3.max-connections=" + LIMIT)) {
            long refused;
            try (ConnectionLoad held = ConnectionLoad.start(settings(sample, LIMIT, 20), sample.peerThreads())) {
                assertThat(held.awaitAttempted(Duration.ofSeconds(60))).as("every connection attempted").isTrue();
                assertThat(held.progress().opened()).as(held.progress().line()).isEqualTo(LIMIT);
                Await.until(() -> sample.connectionsOpen() == LIMIT, "the server counts them open");

                try (ConnectionLoad beyond = ConnectionLoad.start(settings(sample, BEYOND, 0), sample.peerThreads())) {
                    assertThat(beyond.awaitAttempted(Duration.ofSeconds(30))).as("every one attempted").isTrue();
                    ConnectionLoad.Check check = beyond.checkEveryConnection();
                    assertThat(check.reasons()).as("what the client saw: " + check.line())
                        .containsExactly(Map.entry(ConnectionLoad.REFUSED, BEYOND));
                }
                // a client's Initial sent again after its refusal was read is refused again
                Map<String, Object> limits = sample.limits("http3");
                refused = ((Number) limits.get("connectionsRefused")).longValue();
                assertThat(refused).isGreaterThanOrEqualTo(BEYOND);
                assertThat(((Number) limits.get("maxConnections")).intValue()).isEqualTo(LIMIT);
                assertThat(sample.counter("quic.xdp.http3.connections.refused")).isEqualTo(refused);

                ConnectionLoad.Progress during = held.progress();
                assertThat(during.failed()).as(during.line()).isZero();
                assertThat(during.lost()).as(during.line()).isZero();
                ConnectionLoad.Check check = held.checkEveryConnection();
                assertThat(check.served()).as(check.line() + " " + check.reasons()).isEqualTo(LIMIT);
            }
            Await.until(() -> sample.connectionsOpen() == 0, "the server closes them as the client goes");
            try (ConnectionLoad after = ConnectionLoad.start(settings(sample, BEYOND, 0), sample.peerThreads())) {
                assertThat(after.awaitAttempted(Duration.ofSeconds(30))).isTrue();
                ConnectionLoad.Check check = after.checkEveryConnection();
                assertThat(check.served()).as("taken again: " + check.line() + " " + check.reasons())
                    .isEqualTo(BEYOND);
            }
            assertThat(((Number) sample.limits("http3").get("connectionsRefused")).longValue()).as("none more")
                .isEqualTo(refused);
        }
    }

    /**
     * {@code quic.xdp.quic.max-connections}, for the sample's QUIC echo bound with the binder: the connection past
     * it is closed with CONNECTION_REFUSED, counted, and the ones held still echo.
     */
    @Test
    void aQuicServerBoundWithTheBinderRefusesPastItsLimitAndTheConnectionsHeldStillEcho() throws Exception {
        KernelSupport.assumeAvailable();
        QuicSslContext tls = QuicSslContextBuilder.forClient()
            .trustManager(InsecureTrustManagerFactory.INSTANCE)
            .applicationProtocols(QuicEchoService.ALPN)
            .build();
        try (SampleOnMap sample = SampleOnMap.start("--quic.xdp.quic.max-connections=3");
                QuicEchoClient client = new QuicEchoClient(sample.fixture().net().namespace(), tls)) {
            List<QuicChannel> held = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                held.add(client.connect(sample.quic()));
            }
            QuicConnectionCloseEvent refusal = client.closedByServer(sample.quic());
            assertThat(refusal.isApplicationClose()).as(refusal.toString()).isFalse();
            assertThat(refusal.error()).as(refusal.toString()).isEqualTo(QuicConnectionLimit.CONNECTION_REFUSED);
            byte[] payload = "still served".getBytes(StandardCharsets.US_ASCII);
            for (QuicChannel connection : held) {
                assertThat(QuicEchoClient.echo(connection, payload).get(10, TimeUnit.SECONDS)).isEqualTo(payload);
            }
            Map<String, Object> limits = sample.limits("quic");
            assertThat(((Number) limits.get("connectionsRefused")).longValue()).isPositive();
            assertThat(((Number) limits.get("maxConnections")).intValue()).isEqualTo(3);
        }
    }

    private static ConnectionLoad.Settings settings(SampleOnMap sample, int connections, double requestRate) {
        return new ConnectionLoad.Settings(sample.http3(), "/", connections, 4, 1, 100, 20, requestRate,
                Duration.ofSeconds(10), Duration.ofMinutes(5));
    }
}
