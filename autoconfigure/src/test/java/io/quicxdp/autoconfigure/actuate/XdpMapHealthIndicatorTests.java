package io.quicxdp.autoconfigure.actuate;

import static org.assertj.core.api.Assertions.assertThat;

import io.quicxdp.autoconfigure.actuate.health.XdpMapHealthIndicator;
import io.quicxdp.datapath.XdpDatapath;
import io.quicxdp.datapath.config.DatapathSettings;
import io.quicxdp.datapath.testing.TestPorts;
import io.quicxdp.datapath.testing.XskMapFixture;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.Status;

/** The per-map health indicator on a real datapath whose socket stops taking frames, then closes. */
class XdpMapHealthIndicatorTests {

    private static final DatapathSettings SETTINGS = DatapathSettings.builder().frameCount(64).fillRingSize(32)
        .completionRingSize(32).rxRingSize(64).txRingSize(32).build();

    @Test
    void aSocketWhoseFillRingRunsDryWhileNothingIsReceivedIsStarvedThenClosedIsDown() throws Exception {
        try (XskMapFixture fixture = XskMapFixture.create(1, Set.of(TestPorts.ECHO))) {
            XdpDatapath datapath = XdpDatapath.open(List.of(fixture.config()), SETTINGS);
            CountDownLatch release = new CountDownLatch(1);
            try {
                datapath.bind(TestPorts.ECHO, (datagram) -> {
                    try {
                        release.await(20, TimeUnit.SECONDS);
                    }
                    catch (InterruptedException ex) {
                        Thread.currentThread().interrupt();
                    }
                });
                XdpMapHealthIndicator indicator = new XdpMapHealthIndicator(datapath, fixture.appInterface());
                assertThat(indicator.health(true).getStatus()).isEqualTo(Status.UP);
                // the first datagram blocks the poll thread; the rest use up the fill ring
                send(fixture, 100);
                awaitReceived(datapath, fixture.appInterface());
                assertThat(indicator.health(true).getStatus()).as("it received since the last check").isEqualTo(Status.UP);
                send(fixture, 50);
                Health starved = awaitDown(indicator);
                assertThat(queues(starved).get("0")).startsWith("fill ring starved: the kernel found no free frame ")
                    .endsWith("times while nothing was received");
                assertThat(indicator.health(true).getStatus()).as("starved until it receives again").isEqualTo(Status.DOWN);
            }
            finally {
                release.countDown();
                datapath.close();
            }
            Health closed = new XdpMapHealthIndicator(datapath, fixture.appInterface()).health(true);
            assertThat(closed.getStatus()).isEqualTo(Status.DOWN);
            assertThat(closed.getDetails()).containsEntry("reason", "the datapath is closed");
        }
    }

    private static Health awaitDown(XdpMapHealthIndicator indicator) throws InterruptedException {
        Health health = indicator.health(true);
        for (int attempt = 0; attempt < 20 && health.getStatus() != Status.DOWN; attempt++) {
            Thread.sleep(100);
            health = indicator.health(true);
        }
        return health;
    }

    private static void awaitReceived(XdpDatapath datapath, String interfaceName) throws InterruptedException {
        for (int attempt = 0; attempt < 100 && datapath.sockets(interfaceName).get(0).rxPackets() == 0; attempt++) {
            Thread.sleep(20);
        }
        assertThat(datapath.sockets(interfaceName).get(0).rxPackets()).as("the first datagram arrived").isPositive();
    }

    @SuppressWarnings("unchecked")
    private static Map<String, String> queues(Health health) {
        return (Map<String, String>) health.getDetails().get("queues");
    }

    private static void send(XskMapFixture fixture, int count) throws Exception {
        fixture.net().inPeer(() -> {
            try (DatagramChannel channel = DatagramChannel.open()) {
                InetSocketAddress target = new InetSocketAddress(fixture.net().appIpv4(), TestPorts.ECHO);
                for (int i = 0; i < count; i++) {
                    channel.send(ByteBuffer.wrap(new byte[64]), target);
                }
            }
            return null;
        });
    }
}
