package io.quicxdp.datapath;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;

import io.quicxdp.datapath.failure.QueueBusyException;
import io.quicxdp.datapath.internal.bpf.BpfMap;
import io.quicxdp.datapath.internal.bpf.BpfMapInfo;
import io.quicxdp.datapath.state.DatapathState;
import io.quicxdp.datapath.state.SocketState;
import io.quicxdp.datapath.testing.Commands;
import io.quicxdp.datapath.testing.TestPorts;
import io.quicxdp.datapath.testing.XskMapFixture;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Map mode on a real kernel: the reference XDP program on a two-queue veth redirects into a pinned
 * XSKMAP, the datapath inserts its sockets there, and the peer namespace sends with ordinary sockets.
 */
class MapModeEndToEndTests {

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
    void echoesIpv4AndIpv6DatagramsFromManySourcePortsOnBothQueues() throws Exception {
        ConcurrentLinkedQueue<String> received = new ConcurrentLinkedQueue<>();
        try (XdpDatapath datapath = XdpDatapath.open(List.of(fixture.config()), TestSettings.small())) {
            datapath.bind(PORT, datagram -> {
                ByteBuffer payload = datagram.payload();
                received.add(datagram.sourceAddress() + ">" + datagram.destinationAddress() + ">q"
                        + datagram.queueId() + ">" + StandardCharsets.US_ASCII.decode(payload.duplicate()));
                datagram.reply(payload);
            });
            assertThat(fixture.occupied(0)).isTrue();
            assertThat(fixture.occupied(1)).isTrue();

            List<String> echoed = new ArrayList<>();
            echoed.addAll(sendAndCollectEchoes(fixture.net().appIpv4(), 24, 4));
            echoed.addAll(sendAndCollectEchoes(fixture.net().appIpv6(), 24, 4));

            assertThat(echoed).hasSize(2 * 24 * 4).doesNotHaveDuplicates();
            assertThat(received).hasSize(2 * 24 * 4);
            Set<String> queues = new HashSet<>();
            for (String line : received) {
                String[] parts = line.split(">");
                InetSocketAddress destination = parse(parts[1]);
                InetSocketAddress source = parse(parts[0]);
                assertThat(destination.getPort()).isEqualTo(PORT);
                assertThat(destination.getAddress()).isIn(fixture.net().appIpv4(), fixture.net().appIpv6());
                assertThat(source.getAddress()).isIn(fixture.net().peerIpv4(), fixture.net().peerIpv6());
                assertThat(parts[3]).startsWith(source.getAddress() instanceof java.net.Inet6Address ? "v6-" : "v4-");
                queues.add(parts[2]);
            }
            assertThat(queues).as("the sender's flows spread over both queues").containsExactlyInAnyOrder("q0", "q1");

            DatapathState state = datapath.state();
            assertThat(state.sockets()).hasSize(2).allSatisfy(socket -> {
                assertThat(socket.bound()).isTrue();
                assertThat(socket.inMap()).isTrue();
                assertThat(socket.bindMode()).isEqualTo("copy");
                assertThat(socket.kernel()).isNotNull();
                assertThat(socket.kernel().rxDropped()).isZero();
                assertThat(socket.kernel().rxRingFull()).isZero();
                assertThat(socket.kernel().txInvalidDescriptors()).isZero();
                assertThat(socket.drops().values()).allMatch(count -> count == 0);
            });
            assertThat(state.sockets().stream().mapToLong(SocketState::rxPackets).sum()).isEqualTo(2 * 24 * 4);
            assertThat(state.sockets().stream().mapToLong(SocketState::txPackets).sum()).isEqualTo(2 * 24 * 4);
            assertThat(state.maps()).singleElement().satisfies(map -> {
                assertThat(map.keysHeld()).containsExactlyInAnyOrder(0, 1);
                assertThat(map.type()).isEqualTo("xskmap");
                assertThat(map.mapId()).isEqualTo(fixture.program().mapId());
            });
        }
        assertThat(fixture.occupied(0)).as("slot 0 after close").isFalse();
        assertThat(fixture.occupied(1)).as("slot 1 after close").isFalse();
    }

    @Test
    void closeEmptiesOurSlotsAndOpeningAgainRightAwayWorks() throws Exception {
        for (int round = 0; round < 3; round++) {
            XdpDatapath datapath = XdpDatapath.open(List.of(fixture.config()), TestSettings.small());
            assertThat(fixture.occupied(0)).isTrue();
            assertThat(fixture.occupied(1)).isTrue();
            datapath.close();
            datapath.close();
            assertThat(fixture.occupied(0)).isFalse();
            assertThat(fixture.occupied(1)).isFalse();
            assertThat(datapath.state().sockets()).allSatisfy(s -> assertThat(s.bound()).isFalse());
        }
    }

    @Test
    void openAndCloseLeaveTheApplicationsProgramAndMapAsTheyWere() throws Exception {
        String attached = "prog/xdp id " + fixture.program().programId() + " ";
        assertThat(Commands.run("ip", "-d", "link", "show", "dev", fixture.appInterface())).contains(attached);
        BpfMapInfo mapBefore = pinnedMapInfo();
        Map<String, Long> bpfObjectsBefore = bpfObjectsHeldHere();
        try (XdpDatapath datapath = XdpDatapath.open(List.of(fixture.config()), TestSettings.small())) {
            datapath.bind(PORT, datagram -> datagram.reply(datagram.payload()));
            assertThat(sendAndCollectEchoes(fixture.net().appIpv4(), 2, 2)).hasSize(4);
            assertThat(Commands.run("ip", "-d", "link", "show", "dev", fixture.appInterface()))
                    .as("the interface keeps the application's program").contains(attached);
            Map<String, Long> whileOpen = bpfObjectsHeldHere();
            assertThat(whileOpen.getOrDefault("bpf-prog", 0L)).as("no program loaded by open")
                    .isEqualTo(bpfObjectsBefore.getOrDefault("bpf-prog", 0L));
            assertThat(whileOpen.getOrDefault("bpf_link", 0L)).as("no link made by open")
                    .isEqualTo(bpfObjectsBefore.getOrDefault("bpf_link", 0L));
        }
        assertThat(Commands.run("ip", "-d", "link", "show", "dev", fixture.appInterface())).contains(attached);
        assertThat(bpfObjectsHeldHere()).as("our map descriptor is closed, nothing else").isEqualTo(bpfObjectsBefore);
        assertThat(pinnedMapInfo()).as("the pin still holds the application's map, unchanged").isEqualTo(mapBefore);
        assertThat(mapBefore.id()).isEqualTo(fixture.program().mapId());
    }

    private BpfMapInfo pinnedMapInfo() throws Exception {
        try (BpfMap pinned = BpfMap.openPinned(fixture.pin())) {
            return pinned.info();
        }
    }

    /** How many BPF objects of each kind (bpf-map, bpf-prog, bpf_link) this JVM holds descriptors of. */
    private static Map<String, Long> bpfObjectsHeldHere() throws Exception {
        Map<String, Long> kinds = new TreeMap<>();
        try (DirectoryStream<Path> fds = Files.newDirectoryStream(Path.of("/proc/self/fd"))) {
            for (Path fd : fds) {
                String target;
                try {
                    target = Files.readSymbolicLink(fd).toString();
                }
                catch (java.io.IOException ex) {
                    continue; // closed meanwhile, such as the directory stream's own descriptor
                }
                if (target.startsWith("anon_inode:bpf")) {
                    kinds.merge(target.substring("anon_inode:".length()), 1L, Long::sum);
                }
            }
        }
        return kinds;
    }

    @Test
    void secondDatapathOnTheSameQueuesFailsWithQueueBusyWhileTheFirstKeepsWorking() throws Exception {
        try (XdpDatapath first = XdpDatapath.open(List.of(fixture.config()), TestSettings.small())) {
            first.bind(PORT, datagram -> datagram.reply(datagram.payload()));
            assertThatExceptionOfType(QueueBusyException.class)
                    .isThrownBy(() -> XdpDatapath.open(List.of(fixture.config()),
                            TestSettings.small().toBuilder().queueReleaseTimeout(Duration.ofMillis(100)).build()))
                    .satisfies(e -> {
                        assertThat(e.interfaceName()).isEqualTo(fixture.appInterface());
                        assertThat(e.queueId()).isZero();
                        assertThat(e.getMessage()).contains("Queue 0 of " + fixture.appInterface());
                    });
            assertThat(sendAndCollectEchoes(fixture.net().appIpv4(), 4, 2)).hasSize(8);
        }
    }

    @Test
    void unboundPortsAndNonUdpAreCountedAndDroppedNotAnswered() throws Exception {
        try (XdpDatapath datapath = XdpDatapath.open(List.of(fixture.config()), TestSettings.small())) {
            // nothing bound: every redirected datagram is dropped as having no endpoint
            fixture.net().inPeer(() -> {
                try (DatagramChannel channel = DatagramChannel.open()) {
                    for (int i = 0; i < 10; i++) {
                        channel.send(ByteBuffer.wrap(new byte[] {1, 2, 3}),
                                new InetSocketAddress(fixture.net().appIpv4(), PORT));
                    }
                }
                return null;
            });
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
            long dropped = 0;
            while (dropped < 10 && System.nanoTime() < deadline) {
                dropped = datapath.state().sockets().stream()
                        .mapToLong(s -> s.drops().get(io.quicxdp.datapath.state.DropReason.NO_ENDPOINT)).sum();
                Thread.sleep(20);
            }
            assertThat(dropped).isEqualTo(10);
        }
    }

    /**
     * From the peer namespace: {@code sockets} ordinary UDP sockets each send {@code perSocket} datagrams to
     * {@code target}, then collect the echoes for up to 10 seconds.
     */
    private List<String> sendAndCollectEchoes(InetAddress target, int sockets, int perSocket) throws Exception {
        return fixture.net().inPeer(() -> {
            String family = target instanceof java.net.Inet6Address ? "v6" : "v4";
            List<DatagramChannel> channels = new ArrayList<>();
            List<String> echoes = new ArrayList<>();
            try {
                for (int s = 0; s < sockets; s++) {
                    DatagramChannel channel = DatagramChannel.open();
                    channel.bind(new InetSocketAddress(0));
                    channel.configureBlocking(false);
                    channels.add(channel);
                    for (int i = 0; i < perSocket; i++) {
                        String text = family + "-" + s + "-" + i;
                        channel.send(ByteBuffer.wrap(text.getBytes(StandardCharsets.US_ASCII)),
                                new InetSocketAddress(target, PORT));
                    }
                }
                ByteBuffer buffer = ByteBuffer.allocate(2048);
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
                while (echoes.size() < sockets * perSocket && System.nanoTime() < deadline) {
                    boolean any = false;
                    for (int s = 0; s < channels.size(); s++) {
                        buffer.clear();
                        InetSocketAddress from = (InetSocketAddress) channels.get(s).receive(buffer);
                        if (from != null) {
                            any = true;
                            buffer.flip();
                            String text = StandardCharsets.US_ASCII.decode(buffer).toString();
                            assertThat(from).isEqualTo(new InetSocketAddress(target, PORT));
                            assertThat(text).startsWith(family + "-" + s + "-");
                            echoes.add(text);
                        }
                    }
                    if (!any) {
                        Thread.sleep(2);
                    }
                }
            }
            finally {
                for (DatagramChannel channel : channels) {
                    channel.close();
                }
            }
            return echoes;
        });
    }

    private static InetSocketAddress parse(String text) throws Exception {
        // InetSocketAddress.toString(): "/198.18.1.2:PORT" or "/fd00:...:2:PORT"
        String withoutHost = text.substring(text.indexOf('/') + 1);
        int colon = withoutHost.lastIndexOf(':');
        return new InetSocketAddress(InetAddress.getByName(withoutHost.substring(0, colon)),
                Integer.parseInt(withoutHost.substring(colon + 1)));
    }
}
