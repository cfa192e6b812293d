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
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.Test;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.Status;

/**
 * The per-map health indicator on a real datapath whose socket stops taking frames, then closes; and on one whose
 * loop does not keep up with a flood.
 */
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
                XdpMapHealthIndicator indicator = new XdpMapHealthIndicator(datapath, fixture.appInterface(), Duration.ofSeconds(5));
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
            Health closed = new XdpMapHealthIndicator(datapath, fixture.appInterface(), Duration.ofSeconds(5)).health(true);
            assertThat(closed.getStatus()).isEqualTo(Status.DOWN);
            assertThat(closed.getDetails()).containsEntry("reason", "the datapath is closed");
        }
    }

    /**
     * A loop that does not keep up: every datagram takes the handler half a millisecond while the peer sends as
     * fast as it can, so the kernel keeps finding the fill ring empty while the socket keeps receiving. The map
     * stays UP; past the threshold the fillRing detail says the queue is starving, and after the flood that it
     * starved, from when to when.
     */
    @Test
    void aFillRingStarvedWhileTheSocketKeepsReceivingIsADetailPastTheThresholdNeverDown() throws Exception {
        try (XskMapFixture fixture = XskMapFixture.create(1, Set.of(TestPorts.ECHO))) {
            XdpDatapath datapath = XdpDatapath.open(List.of(fixture.config()), SETTINGS);
            try {
                datapath.bind(TestPorts.ECHO, (datagram) -> LockSupport.parkNanos(500_000));
                XdpMapHealthIndicator indicator = new XdpMapHealthIndicator(datapath, fixture.appInterface(),
                        Duration.ofMillis(600));
                assertThat(indicator.health(true).getStatus()).isEqualTo(Status.UP);
                // the flood: bounded in count and time, on the peer's thread
                CompletableFuture<Integer> flood = CompletableFuture.supplyAsync(() -> flood(fixture, 400_000, 4));
                List<Health> during = new ArrayList<>();
                while (!flood.isDone()) {
                    during.add(indicator.health(true));
                    Thread.sleep(100);
                }
                assertThat(flood.get()).isPositive();
                assertThat(during).as("never DOWN under the flood").allSatisfy(
                        (health) -> assertThat(health.getStatus()).isEqualTo(Status.UP));
                assertThat(during).as("starving, said once it lasted the threshold")
                    .anySatisfy((health) -> assertThat(fillRing(health).get("0")).startsWith("starving for ")
                        .contains("packets found no free frame and the kernel dropped them; the queue's loop does "
                                + "not keep up with what arrives"));
                assertThat(datapath.sockets(fixture.appInterface()).get(0).kernel().rxFillRingEmpty()).isPositive();
                Thread.sleep(1500);
                Health after = indicator.health(true);
                assertThat(after.getStatus()).isEqualTo(Status.UP);
                assertThat(fillRing(after).get("0")).as("what happened, once over").startsWith("starved for ")
                    .containsPattern(" from \\S+Z to \\S+Z: \\d+ packets found no free frame");
                assertThat(datapath.sockets(fixture.appInterface()).get(0).fillRingStarvation().ongoing()).isFalse();
            }
            finally {
                datapath.close();
            }
        }
    }

    /** Sends 64-byte datagrams from the peer as fast as it can, at most {@code count} within {@code seconds}. */
    private static int flood(XskMapFixture fixture, int count, int seconds) {
        try {
            return fixture.net().inPeer(() -> {
                long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
                int sent = 0;
                try (DatagramChannel channel = DatagramChannel.open()) {
                    channel.connect(new InetSocketAddress(fixture.net().appIpv4(), TestPorts.ECHO));
                    ByteBuffer payload = ByteBuffer.allocateDirect(64);
                    while (sent < count && System.nanoTime() < end) {
                        channel.write(payload.clear());
                        sent++;
                    }
                }
                return sent;
            });
        }
        catch (Exception ex) {
            throw new IllegalStateException(ex);
        }
    }

    @SuppressWarnings("unchecked")
    private static Map<String, String> fillRing(Health health) {
        Object detail = health.getDetails().get("fillRing");
        return (detail != null) ? (Map<String, String>) detail : Map.of();
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
