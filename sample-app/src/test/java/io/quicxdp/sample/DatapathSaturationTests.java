package io.quicxdp.sample;

import static org.assertj.core.api.Assertions.assertThat;

import io.quicxdp.bench.load.ConnectionLoad;
import io.quicxdp.datapath.testing.Await;
import io.quicxdp.datapath.testing.KernelSupport;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.springframework.boot.json.JsonParserFactory;

/**
 * The bounded version of the datapath's saturation run (docs/reliability.md): the sample, in a JVM of its own on
 * two queues with a small UMEM, gets a few seconds of UDP from the peer on its echo and HTTP/3 ports, more than
 * its loops take in. The kernel drops what finds no free frame and counts it; every datagram sent is received or
 * counted so; the health says the fill ring starved, and stays UP; afterwards every frame is back, the accounting
 * balances, and the HTTP/3 connections opened before the flood are all served.
 */
class DatapathSaturationTests {

    private static final Duration FLOOD = Duration.ofSeconds(3);

    private static final int CONNECTIONS = 8;

    @Test
    void aFloodBeyondTheLoopsIsCountedEveryDatagramAccountedForTheHealthSaysSoAndServiceRecovers() throws Exception {
        KernelSupport.assumeAvailable();
        try (SampleOnMap sample = SampleOnMap.start("--quic.xdp.umem.frame-count=512",
                "--quic.xdp.health.fill-ring-starved-threshold=500ms")) {
            ConnectionLoad.Settings idle = new ConnectionLoad.Settings(sample.http3(), "/", CONNECTIONS, 2, 1, 100,
                    CONNECTIONS, 0, Duration.ofSeconds(10), Duration.ofMinutes(5));
            try (ConnectionLoad established = ConnectionLoad.start(idle, sample.peerThreads())) {
                assertThat(established.awaitAttempted(Duration.ofSeconds(30))).isTrue();
                assertThat(established.progress().open()).isEqualTo(CONNECTIONS);
                Thread.sleep(500);
                long[] before = counters(sample);

                List<CompletableFuture<Long>> flood = List.of(flood(sample, sample.echo()),
                        flood(sample, sample.http3()));
                List<Map<String, Object>> health = new ArrayList<>();
                while (flood.stream().anyMatch((sender) -> !sender.isDone())) {
                    health.add(sample.actuator("health/xdp"));
                    Thread.sleep(200);
                }
                long sent = 0;
                for (CompletableFuture<Long> sender : flood) {
                    sent += sender.get(30, TimeUnit.SECONDS);
                }
                Thread.sleep(1500);
                long[] after = counters(sample);

                long received = after[0] - before[0];
                long kernelDropped = after[1] - before[1];
                long vethDropped = after[3] - before[3];
                String counted = "sent " + sent + ", received " + received + ", dropped by the kernel " + kernelDropped
                        + " (fill ring empty " + (after[2] - before[2]) + "), by veth " + vethDropped;
                System.out.println("datapath saturation: " + counted);
                assertThat(after[2] - before[2]).as("the fill ring ran dry: " + counted).isPositive();
                assertThat(received + kernelDropped + vethDropped - sent)
                    .as("every datagram received or counted as dropped, besides a few of the idle connections': "
                            + counted)
                    .isBetween(0L, 10L * CONNECTIONS);

                assertThat(health).as("the health during the flood").allSatisfy(
                        (read) -> assertThat(read).containsEntry("status", "UP"));
                assertThat(health).as("starving, once it lasted the threshold")
                    .anySatisfy((read) -> assertThat(fillRing(read)).anySatisfy(
                            (queue, text) -> assertThat(text).startsWith("starving for ")));
                // the read above saw the last of the drops; one a second after it sees the counter still
                Thread.sleep(1100);
                Map<String, Object> afterwards = sample.actuator("health/xdp");
                assertThat(afterwards).containsEntry("status", "UP");
                assertThat(fillRing(afterwards)).as("what happened").isNotEmpty()
                    .allSatisfy((queue, text) -> assertThat(text).startsWith("starved for ")
                        .contains("packets found no free frame and the kernel dropped them"));

                Await.until(sample::framesBackAndBalanced, "every receive frame back, the accounting balanced");
                ConnectionLoad.Check check = established.checkEveryConnection();
                assertThat(check.served()).as("the connections opened before: " + check.line() + " "
                        + check.reasons()).isEqualTo(CONNECTIONS);
            }
        }
    }

    /**
     * Sums over the sockets and the peer's veth end: {received, dropped by the kernel, of those for an empty fill
     * ring, dropped by veth before the XDP program}.
     */
    @SuppressWarnings("unchecked")
    private static long[] counters(SampleOnMap sample) throws Exception {
        long[] sums = new long[4];
        for (Object socket : (List<Object>) sample.actuator("xdp").get("sockets")) {
            Map<String, Object> state = (Map<String, Object>) socket;
            Map<String, Object> kernel = (Map<String, Object>) state.get("kernel");
            sums[0] += ((Number) state.get("rxPackets")).longValue();
            sums[1] += ((Number) kernel.get("rxDropped")).longValue();
            sums[2] += ((Number) kernel.get("rxFillRingEmpty")).longValue();
        }
        String peer = sample.fixture().net().runInPeer("ip", "-s", "-j", "link", "show", "dev",
                sample.fixture().net().peerInterface());
        Map<String, Object> link = (Map<String, Object>) JsonParserFactory.getJsonParser().parseList(peer).get(0);
        Map<String, Object> tx = (Map<String, Object>) ((Map<String, Object>) link.get("stats64")).get("tx");
        sums[3] = ((Number) tx.get("dropped")).longValue();
        return sums;
    }

    /**
     * 64-byte datagrams from the peer to {@code target} as fast as it takes them, for {@link #FLOOD} at most, on
     * a thread of its own in the peer namespace.
     */
    private static CompletableFuture<Long> flood(SampleOnMap sample, InetSocketAddress target) {
        CompletableFuture<Long> sent = new CompletableFuture<>();
        sample.peerThreads().newThread(() -> {
            long end = System.nanoTime() + FLOOD.toNanos();
            long count = 0;
            try (DatagramChannel channel = DatagramChannel.open()) {
                channel.connect(target);
                ByteBuffer payload = ByteBuffer.allocateDirect(64);
                // a short header with an ID the server never issued: the QUIC port drops it unread
                payload.put(0, (byte) 0x40);
                while (count < 5_000_000 && System.nanoTime() < end) {
                    channel.write(payload.clear());
                    count++;
                }
                sent.complete(count);
            }
            catch (Exception | Error ex) {
                sent.completeExceptionally(ex);
            }
        }).start();
        return sent;
    }

    @SuppressWarnings("unchecked")
    private static Map<String, String> fillRing(Map<String, Object> health) {
        Map<String, Object> components = (Map<String, Object>) health.get("components");
        Map<String, String> fillRing = new java.util.LinkedHashMap<>();
        for (Object component : components.values()) {
            Map<String, Object> details = (Map<String, Object>) ((Map<String, Object>) component).get("details");
            Object queues = details.get("fillRing");
            if (queues != null) {
                fillRing.putAll((Map<String, String>) queues);
            }
        }
        return fillRing;
    }
}
