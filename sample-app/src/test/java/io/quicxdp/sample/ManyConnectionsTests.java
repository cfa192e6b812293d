package io.quicxdp.sample;

import static org.assertj.core.api.Assertions.assertThat;

import io.quicxdp.bench.load.ConnectionLoad;
import io.quicxdp.datapath.testing.Await;
import io.quicxdp.datapath.testing.KernelSupport;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * The bounded version of the connections run (docs/reliability.md): the sample, in a JVM of its own on two
 * queues, holds a few hundred HTTP/3 connections from the peer namespace (Netty's QUIC client over eight UDP
 * sockets) with a trickle of requests, then answers one request on every one of them; the server counts them all
 * open, and once the client has gone, none, with every receive frame back.
 */
class ManyConnectionsTests {

    private static final int CONNECTIONS = 300;

    @Test
    void everyOneOfAFewHundredConnectionsHeldOpenIsServedAtTheEnd() throws Exception {
        KernelSupport.assumeAvailable();
        try (SampleOnMap sample = SampleOnMap.start()) {
            ConnectionLoad.Settings settings = new ConnectionLoad.Settings(sample.http3(), "/", CONNECTIONS, 8, 1,
                    200, 50, 50, Duration.ofSeconds(10), Duration.ofMinutes(5));
            try (ConnectionLoad load = ConnectionLoad.start(settings, sample.peerThreads())) {
                assertThat(load.awaitAttempted(Duration.ofSeconds(60))).as("every connection attempted").isTrue();
                ConnectionLoad.Progress opened = load.progress();
                assertThat(opened.opened()).as(opened.line()).isEqualTo(CONNECTIONS);
                assertThat(opened.handshakesFailed()).as(opened.line()).isZero();
                Await.until(() -> sample.connectionsOpen() >= CONNECTIONS, "the server counts them open");
                Thread.sleep(3000);
                ConnectionLoad.Progress held = load.progress();
                assertThat(held.completed()).as("the trickle was served: " + held.line()).isPositive();
                assertThat(held.failed()).as(held.line()).isZero();
                assertThat(held.lost()).as(held.line()).isZero();

                ConnectionLoad.Check check = load.checkEveryConnection();
                assertThat(check.served()).as(check.line() + " " + check.reasons()).isEqualTo(CONNECTIONS);
            }
            Await.until(() -> sample.connectionsOpen() == 0, "the server closes them as the client goes");
            Await.until(() -> sample.framesBackAndBalanced(), "every receive frame back, the accounting balanced");
            assertThat(sample.actuator("health/xdp")).containsEntry("status", "UP");
        }
    }
}
