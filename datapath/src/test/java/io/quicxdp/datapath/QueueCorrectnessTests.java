package io.quicxdp.datapath;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;

import io.quicxdp.datapath.config.DatapathSettings;
import io.quicxdp.datapath.config.XdpMapConfig;
import io.quicxdp.datapath.failure.QueueNotFoundException;
import io.quicxdp.datapath.failure.XdpSocketException;
import io.quicxdp.datapath.internal.xsk.XskParameters;
import io.quicxdp.datapath.state.FrameAccounting;
import io.quicxdp.datapath.state.SocketState;
import io.quicxdp.datapath.testing.Await;
import io.quicxdp.datapath.testing.Commands;
import io.quicxdp.datapath.testing.TestPorts;
import io.quicxdp.datapath.testing.XskMapFixture;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * What a long-running service relies on, on a real veth pair: no receive frame is ever lost, the TX ring
 * keeps moving under sustained echo load, a queue without a transmit queue still answers, and shutdown
 * drains every queue within one timeout.
 */
class QueueCorrectnessTests {

    private static final int PORT = TestPorts.ECHO;

    private XskMapFixture fixture;

    @BeforeEach
    void createFixture() throws Exception {
        fixture = XskMapFixture.create(2, Set.of(PORT));
    }

    @AfterEach
    void removeFixture() {
        if (fixture != null) {
            fixture.close();
        }
    }

    @Test
    void sustainedBurstsLeaveEveryReceiveFrameAccountedForAndBackWithTheKernel() throws Exception {
        // the fill ring holds exactly the receive frames, the tightest sizing: frames given back while the
        // kernel has yet to publish its fill consumer must wait, not vanish
        DatapathSettings settings = TestSettings.small();
        assertThat(XskParameters.of(settings).rxFrames()).isEqualTo(settings.fillRingSize());
        AtomicInteger handled = new AtomicInteger();
        try (XdpDatapath datapath = XdpDatapath.open(List.of(fixture.config()), settings)) {
            datapath.bind(PORT, datagram -> {
                datagram.reply(datagram.payload());
                handled.incrementAndGet();
            });
            int burst = XskParameters.of(settings).rxFrames() - 56;
            int sent = 0;
            for (int round = 0; round < 30; round++) {
                InetAddress target = round % 2 == 0 ? fixture.net().appIpv4() : fixture.net().appIpv6();
                sent += sendFromPeer(target, burst);
                int expected = sent;
                Await.until(() -> handled.get() >= expected, "burst " + round + " handled");
            }
            assertThat(handled.get()).isEqualTo(sent);
            Await.until(() -> datapath.state().sockets().stream().allMatch(s -> s.receiveFrames().free() == 0
                    && s.receiveFrames().withKernel() == s.receiveFrames().receiveFrames()), "frames back on the fill ring");
            for (SocketState socket : datapath.state().sockets()) {
                FrameAccounting frames = socket.receiveFrames();
                assertThat(frames.balanced()).as("queue %d: %s", socket.queueId(), frames).isTrue();
                assertThat(frames.held()).isZero();
                assertThat(frames.inFillRing()).as("every receive frame waits on the fill ring")
                        .isEqualTo(frames.receiveFrames());
                assertThat(socket.kernel().rxDropped()).isZero();
                assertThat(socket.kernel().rxFillRingEmpty()).isZero();
            }
        }
    }

    @Test
    void echoFloodKeepsTheTxRingMovingWithoutBackPressureOrWaitingForThePollTimeout() throws Exception {
        // a poll timeout far longer than the test waits for an echo: frames left on the TX ring after a
        // kick that ran out of budget must move without it
        DatapathSettings settings = TestSettings.small().toBuilder().pollTimeout(Duration.ofSeconds(30)).build();
        try (XdpDatapath datapath = XdpDatapath.open(List.of(fixture.config()), settings)) {
            datapath.bind(PORT, datagram -> datagram.reply(datagram.payload()));
            int burst = 200;
            int echoed = fixture.net().inPeer(() -> {
                try (DatagramChannel channel = DatagramChannel.open()) {
                    channel.bind(new InetSocketAddress(fixture.net().peerIpv4(), 0));
                    channel.socket().setSoTimeout(5000);
                    InetSocketAddress target = new InetSocketAddress(fixture.net().appIpv4(), PORT);
                    int received = 0;
                    byte[] buffer = new byte[64];
                    for (int round = 0; round < 25; round++) {
                        for (int i = 0; i < burst; i++) {
                            channel.send(ascii("flood " + round + "/" + i), target);
                        }
                        for (int i = 0; i < burst; i++) {
                            try {
                                channel.socket().receive(new java.net.DatagramPacket(buffer, buffer.length));
                                received++;
                            }
                            catch (SocketTimeoutException ex) {
                                return received;
                            }
                        }
                    }
                    return received;
                }
            });
            assertThat(echoed).as("echoes, each burst's within 5 s").isEqualTo(25 * burst);
            assertThat(datapath.state().sockets()).allSatisfy(socket ->
                    assertThat(socket.txBackPressure()).as("back-pressure on queue %d", socket.queueId()).isZero());
            // the kernel is woken per batch of replies, not per datagram
            long sent = datapath.state().sockets().stream().mapToLong(SocketState::txPackets).sum();
            long kicks = datapath.state().sockets().stream().mapToLong(SocketState::txKicks).sum();
            assertThat(sent).isEqualTo(25L * burst);
            assertThat(kicks).isPositive().isLessThan(sent);
        }
    }

    @Test
    void aQueueWithoutATransmitQueueOfItsOwnAnswersThroughASibling() throws Exception {
        Commands.run("ethtool", "-L", fixture.appInterface(), "tx", "1");
        Set<Integer> queuesHeard = ConcurrentHashMap.newKeySet();
        try (XdpDatapath datapath = XdpDatapath.open(List.of(fixture.config()), TestSettings.small())) {
            datapath.bind(PORT, datagram -> {
                queuesHeard.add(datagram.queueId());
                datagram.reply(datagram.payload());
            });
            int echoed = 0;
            int sent = 0;
            for (int source = 0; source < 64 && queuesHeard.size() < 2; source++) {
                echoed += echoFromNewSource();
                sent++;
            }
            assertThat(queuesHeard).as("the peer's flows spread over both receive queues").contains(0, 1);
            assertThat(echoed).isEqualTo(sent);
            SocketState rxOnly = datapath.state().sockets().stream().filter(s -> s.queueId() == 1).findFirst()
                    .orElseThrow();
            assertThat(rxOnly.transmitQueue()).isZero();
            assertThat(rxOnly.rxPackets()).isPositive();
            assertThat(rxOnly.txPackets()).as("nothing is put on a TX ring the kernel never sends from").isZero();
        }
    }

    @Test
    void queuesThatCannotSendAtAllFailStartUpNamingThemAndTheFix() throws Exception {
        Commands.run("ethtool", "-L", fixture.appInterface(), "tx", "1");
        XdpMapConfig onlyQueueOne = new XdpMapConfig(fixture.appInterface(), fixture.pin(), List.of(1));
        assertThatExceptionOfType(QueueNotFoundException.class)
                .isThrownBy(() -> XdpDatapath.open(List.of(onlyQueueOne), TestSettings.small()))
                .withMessageContaining("None of the configured queues [1] of " + fixture.appInterface() + " can send")
                .satisfies(ex -> assertThat(ex.action()).contains("ethtool -L " + fixture.appInterface()));
        assertThat(fixture.occupied(1)).isFalse();
    }

    @Test
    void aPollThreadThatCannotStartFailsStartUpAndLeavesNothingBehind() throws Exception {
        AtomicInteger made = new AtomicInteger();
        DatapathSettings settings = TestSettings.small().toBuilder().pollThreadFactory(task -> {
            if (made.incrementAndGet() == 2) {
                throw new IllegalStateException("thread limit reached");
            }
            Thread thread = new Thread(task, "failing-factory-" + fixture.appInterface());
            thread.setDaemon(true);
            return thread;
        }).build();
        assertThatExceptionOfType(XdpSocketException.class)
                .isThrownBy(() -> XdpDatapath.open(List.of(fixture.config()), settings))
                .withMessage("Starting the poll thread of " + fixture.appInterface() + " queue 1 failed: "
                        + "java.lang.IllegalStateException: thread limit reached.")
                .satisfies(ex -> assertThat(ex.action()).contains("ulimit -u"));
        assertThat(fixture.occupied(0)).isFalse();
        assertThat(fixture.occupied(1)).isFalse();
        Await.until(() -> Thread.getAllStackTraces().keySet().stream()
                .noneMatch(t -> t.getName().equals("failing-factory-" + fixture.appInterface())), "the started thread ends");
        // both queues were let go: a new datapath binds them again
        try (XdpDatapath again = XdpDatapath.open(List.of(fixture.config()), TestSettings.small())) {
            assertThat(again.state().sockets()).hasSize(2).allSatisfy(socket -> assertThat(socket.inMap()).isTrue());
        }
    }

    @Test
    void shutdownWaitsForTheTxRingsOfAllQueuesTogetherNotOneAfterAnother() throws Exception {
        Duration drain = Duration.ofMillis(1500);
        DatapathSettings settings = TestSettings.small().toBuilder().pollTimeout(Duration.ofMillis(20))
                .txDrainTimeout(drain).build();
        XdpDatapath datapath = XdpDatapath.open(List.of(fixture.config()), settings);
        try {
            Set<Integer> waiting = ConcurrentHashMap.newKeySet();
            CountDownLatch linkDown = new CountDownLatch(1);
            datapath.bind(PORT, datagram -> {
                waiting.add(datagram.queueId());
                try {
                    linkDown.await(10, TimeUnit.SECONDS);
                }
                catch (InterruptedException ex) {
                    Thread.currentThread().interrupt();
                }
                datagram.reply(datagram.payload());
            });
            for (int source = 0; source < 64 && waiting.size() < 2; source++) {
                sendFromPeer(fixture.net().appIpv4(), 1);
                Thread.sleep(5);
            }
            Await.until(() -> waiting.size() == 2, "a datagram held on each queue");
            // with the link down the kernel refuses to send, so every reply stays on its TX ring
            Commands.run("ip", "link", "set", fixture.appInterface(), "down");
            linkDown.countDown();
            Await.until(() -> datapath.state().sockets().stream().allMatch(s -> s.txPackets() > 0),
                    "replies queued on both queues");
            long start = System.nanoTime();
            datapath.close();
            Duration took = Duration.ofNanos(System.nanoTime() - start);
            assertThat(took).as("two queues stuck on a link that is down cost one drain timeout, not two")
                    .isLessThan(drain.multipliedBy(2).minusMillis(300));
            assertThat(fixture.occupied(0)).isFalse();
            assertThat(fixture.occupied(1)).isFalse();
        }
        finally {
            datapath.close();
        }
    }

    /** One datagram from a new source port, and its echo; 1 when the echo came back within 5 s. */
    private int echoFromNewSource() throws Exception {
        return fixture.net().inPeer(() -> {
            try (DatagramChannel channel = DatagramChannel.open()) {
                channel.bind(new InetSocketAddress(fixture.net().peerIpv4(), 0));
                channel.socket().setSoTimeout(5000);
                channel.send(ascii("which queue?"), new InetSocketAddress(fixture.net().appIpv4(), PORT));
                try {
                    channel.socket().receive(new java.net.DatagramPacket(new byte[64], 64));
                    return 1;
                }
                catch (SocketTimeoutException ex) {
                    return 0;
                }
            }
        });
    }

    private int sendFromPeer(InetAddress target, int count) throws Exception {
        return fixture.net().inPeer(() -> {
            try (DatagramChannel channel = DatagramChannel.open()) {
                for (int i = 0; i < count; i++) {
                    channel.send(ascii("datagram " + i), new InetSocketAddress(target, PORT));
                }
            }
            return count;
        });
    }

    private static ByteBuffer ascii(String text) {
        return ByteBuffer.wrap(text.getBytes(StandardCharsets.US_ASCII));
    }
}
