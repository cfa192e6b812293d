package io.quicxdp.sample;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.handler.codec.quic.QuicChannel;
import io.netty.handler.codec.quic.QuicSslContext;
import io.netty.handler.codec.quic.QuicSslContextBuilder;
import io.netty.handler.ssl.util.InsecureTrustManagerFactory;
import io.quicxdp.datapath.testing.Await;
import io.quicxdp.datapath.testing.KernelSupport;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The bounded handshake flood (docs/reliability.md) on a QUIC server bound with the binder: the sample's QUIC echo,
 * in a JVM of its own on two queues, gets {@link HandshakeFlood}'s few seconds of Initials while a legitimate client
 * of the echo, Netty's QUIC client in the peer namespace, keeps echoing on the connections it opened before.
 */
class QuicEchoFloodTests {

    private static final int HELD = 4;

    private static final int MAX_HANDSHAKES = 8;

    private static final byte[] PAYLOAD = "echoed through the flood".getBytes(StandardCharsets.US_ASCII);

    /**
     * Past its handshake budget ({@code quic.xdp.quic.max-handshakes}) the echo drops Initials before the codec:
     * the flood's handshakes fill the budget, the rest of its Initials are shed and counted while the connections
     * held go on echoing; once the flood stops, the flood's handshakes go and a new client is taken and served. The
     * flood's real Initials offer the echo's ALPN, so the handshakes it begins are answered: on the wire, within
     * three times what each source and each answered Initial sent.
     */
    @Test
    void pastItsHandshakeBudgetTheEchoShedsInitialsKeepsEchoingAndTakesANewClientOnceTheFloodStops()
            throws Exception {
        KernelSupport.assumeAvailable();
        QuicSslContext tls = QuicSslContextBuilder.forClient()
            .trustManager(InsecureTrustManagerFactory.INSTANCE)
            .applicationProtocols(QuicEchoService.ALPN)
            .build();
        try (SampleOnMap sample = SampleOnMap.start("--quic.xdp.quic.max-handshakes=" + MAX_HANDSHAKES,
                "--quic.xdp.quic.handshake-timeout=2s");
                QuicEchoClient client = new QuicEchoClient(sample.fixture().net().namespace(), tls)) {
            List<QuicChannel> held = new ArrayList<>();
            for (int i = 0; i < HELD; i++) {
                QuicChannel connection = client.connect(sample.quic());
                // echoed once: the server has completed its side of the handshake before the flood
                assertThat(echo(connection)).isEqualTo(PAYLOAD);
                held.add(connection);
            }
            int[] echoed = new int[1];
            HandshakeFlood.Tick echoAll = () -> {
                for (QuicChannel connection : held) {
                    assertThat(echo(connection)).as("an echo during the flood").isEqualTo(PAYLOAD);
                    echoed[0]++;
                }
            };
            HandshakeFlood.Flooded flooded = HandshakeFlood.run(sample, sample.quic(), QuicEchoService.ALPN, 3000,
                    echoAll);
            assertThat(echoed[0]).as("echoes during the flood").isGreaterThanOrEqualTo(HELD);
            System.out.println("QUIC echo handshake flood: " + flooded.report());
            assertThat(flooded.meter().answered()).as("handshakes begun for the flood's real Initials").isPositive();
            HandshakeFlood.assertWithinThreeTimes(flooded);
            Map<String, Object> limits = sample.limits("quic");
            System.out.println("QUIC echo handshake flood past the budget: " + limits);
            assertThat(((Number) limits.get("maxHandshakes")).intValue()).isEqualTo(MAX_HANDSHAKES);
            long shed = ((Number) limits.get("initialsShed")).longValue();
            assertThat(shed).as("Initials shed").isPositive();
            assertThat(sample.counter("quic.xdp.quic.initials.shed")).as("the meter").isEqualTo(shed);
            for (QuicChannel connection : held) {
                assertThat(echo(connection)).as("an echo after the flood").isEqualTo(PAYLOAD);
            }

            Await.until(() -> sample.handshakesInProgress("quic") == 0, "the flood's handshakes gone");
            try (QuicEchoClient newcomer = new QuicEchoClient(sample.fixture().net().namespace(), tls)) {
                assertThat(echo(newcomer.connect(sample.quic()))).as("a new client after the flood")
                    .isEqualTo(PAYLOAD);
            }
        }
    }

    private static byte[] echo(QuicChannel connection) throws Exception {
        return QuicEchoClient.echo(connection, PAYLOAD).get(10, TimeUnit.SECONDS);
    }
}
