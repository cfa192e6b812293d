package io.quicxdp.datapath;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;

import io.quicxdp.datapath.config.XdpMapConfig;
import io.quicxdp.datapath.failure.BpfFilesystemNotMountedException;
import io.quicxdp.datapath.failure.InterfaceNotFoundException;
import io.quicxdp.datapath.failure.InvalidMapConfigException;
import io.quicxdp.datapath.failure.MapSlotOccupiedException;
import io.quicxdp.datapath.failure.NotAnXskMapException;
import io.quicxdp.datapath.failure.QueueBusyException;
import io.quicxdp.datapath.failure.QueueNotFoundException;
import io.quicxdp.datapath.failure.XskMapNotFoundException;
import io.quicxdp.datapath.failure.XskMapTooSmallException;
import io.quicxdp.datapath.internal.bpf.BpfMap;
import io.quicxdp.datapath.internal.bpf.BpfMapType;
import io.quicxdp.datapath.internal.linux.InterfaceIndexes;
import io.quicxdp.datapath.internal.xsk.XdpSocket;
import io.quicxdp.datapath.internal.xsk.XskParameters;
import io.quicxdp.datapath.testing.TestPorts;
import io.quicxdp.datapath.testing.VethNamespace;
import io.quicxdp.datapath.testing.XskMapFixture;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Every bad input gets its own typed error naming the item, and a failed open leaves nothing behind. */
class MapModeFailureTests {

    private XskMapFixture fixture;

    @BeforeEach
    void createFixture() throws Exception {
        fixture = XskMapFixture.create(2, Set.of(TestPorts.ECHO));
    }

    @AfterEach
    void removeFixture() {
        if (fixture != null) {
            fixture.close();
        }
    }

    @Test
    void missingPin() {
        Path missing = fixture.net().pinPath("no-such-map");
        assertThatExceptionOfType(XskMapNotFoundException.class)
                .isThrownBy(() -> open(XdpMapConfig.allQueues(fixture.appInterface(), missing)))
                .satisfies(e -> {
                    assertThat(e.mapPath()).isEqualTo(missing);
                    assertThat(e.getMessage()).isEqualTo("No XSKMAP is pinned at " + missing
                            + " (configured for interface " + fixture.appInterface() + ").");
                    assertThat(e.action()).contains("Pin the XSKMAP");
                });
    }

    @Test
    void pathNotOnBpffs() {
        Path elsewhere = Path.of("/tmp/quicxdp-not-bpffs-" + fixture.net().id());
        assertThatExceptionOfType(BpfFilesystemNotMountedException.class)
                .isThrownBy(() -> open(XdpMapConfig.allQueues(fixture.appInterface(), elsewhere)))
                .satisfies(e -> assertThat(e.action()).contains("mount -t bpf bpf /sys/fs/bpf"));
    }

    @Test
    void pinnedMapThatIsNotAnXskMap() throws Exception {
        Path arrayPin = fixture.net().pinPath("array");
        try (BpfMap array = BpfMap.create(BpfMapType.ARRAY, 4, 4, 8, "not_xsks")) {
            array.pin(arrayPin);
        }
        assertThatExceptionOfType(NotAnXskMapException.class)
                .isThrownBy(() -> open(XdpMapConfig.allQueues(fixture.appInterface(), arrayPin)))
                .withMessageContaining("a map of type ARRAY named 'not_xsks'")
                .satisfies(e -> assertThat(e.mapPath()).isEqualTo(arrayPin));
    }

    @Test
    void mapWithFewerSlotsThanQueues() throws Exception {
        Path tinyPin = fixture.net().pinPath("tiny");
        try (BpfMap tiny = BpfMap.create(BpfMapType.XSKMAP, 4, 4, 1, "tiny")) {
            tiny.pin(tinyPin);
        }
        assertThatExceptionOfType(XskMapTooSmallException.class)
                .isThrownBy(() -> open(XdpMapConfig.allQueues(fixture.appInterface(), tinyPin)))
                .withMessage("The XSKMAP at " + tinyPin + " has 1 entries, but queue 1 of " + fixture.appInterface()
                        + " needs key 1.")
                .satisfies(e -> assertThat(e.queueId()).isEqualTo(1));
    }

    @Test
    void unknownInterface() {
        assertThatExceptionOfType(InterfaceNotFoundException.class)
                .isThrownBy(() -> open(XdpMapConfig.allQueues("qxnone" + fixture.net().id(), fixture.pin())))
                .withMessageContaining("'qxnone" + fixture.net().id() + "'")
                .satisfies(e -> assertThat(e.interfaceName()).isEqualTo("qxnone" + fixture.net().id()));
    }

    @Test
    void queueOutOfRange() {
        assertThatExceptionOfType(QueueNotFoundException.class)
                .isThrownBy(() -> open(new XdpMapConfig(fixture.appInterface(), fixture.pin(), List.of(0, 2))))
                .withMessage("Interface " + fixture.appInterface() + " has 2 receive queues (0 to 1); queue 2 does "
                        + "not exist.")
                .satisfies(e -> assertThat(e.queueId()).isEqualTo(2));
    }

    @Test
    void interfaceConfiguredTwice() {
        assertThatExceptionOfType(InvalidMapConfigException.class)
                .isThrownBy(() -> XdpDatapath.open(List.of(fixture.config(), fixture.config()), TestSettings.small()))
                .withMessageContaining("configured twice");
    }

    @Test
    void occupiedSlotIsNeverTakenOverAndTheErrorNamesMapAndKey() throws Exception {
        try (XskMapFixture other = XskMapFixture.create(2, Set.of(TestPorts.ECHO));
                XdpDatapath first = XdpDatapath.open(List.of(fixture.config()), TestSettings.small())) {
            // a second datapath, on another interface, pointed at the same map: slot 0 is taken
            XdpMapConfig sameMap = new XdpMapConfig(other.appInterface(), fixture.pin(), List.of(0));
            assertThatExceptionOfType(MapSlotOccupiedException.class)
                    .isThrownBy(() -> XdpDatapath.open(List.of(sameMap), TestSettings.small()))
                    .satisfies(e -> {
                        assertThat(e.getMessage()).isEqualTo("Slot 0 of the XSKMAP at " + fixture.pin() + " (interface "
                                + other.appInterface() + ", queue 0) already holds another AF_XDP socket.");
                        assertThat(e.action()).contains("never takes over");
                    });
            assertThat(first.state().sockets()).allSatisfy(s -> assertThat(s.inMap()).isTrue());
            assertThat(fixture.occupied(0)).isTrue();
            first.bind(TestPorts.ECHO, datagram -> datagram.reply(datagram.payload()));
            String echoed = fixture.net().inPeer(() -> {
                try (java.nio.channels.DatagramChannel channel = java.nio.channels.DatagramChannel.open()) {
                    channel.socket().setSoTimeout(5000);
                    channel.send(java.nio.ByteBuffer.wrap(new byte[] {'o', 'k'}),
                            new java.net.InetSocketAddress(fixture.net().appIpv4(), TestPorts.ECHO));
                    java.net.DatagramPacket packet = new java.net.DatagramPacket(new byte[8], 8);
                    channel.socket().receive(packet);
                    return new String(packet.getData(), 0, packet.getLength(), java.nio.charset.StandardCharsets.US_ASCII);
                }
            });
            assertThat(echoed).as("the first datapath keeps working").isEqualTo("ok");
        }
    }

    @Test
    void failureOnTheSecondMapLeavesNothingInTheFirst() throws Exception {
        try (XskMapFixture second = XskMapFixture.create(2, Set.of(TestPorts.ECHO))) {
            XdpSocket blocker = XdpSocket.open(InterfaceIndexes.of(second.appInterface()), 1,
                    XskParameters.of(TestSettings.small()), Duration.ZERO);
            try {
                assertThatExceptionOfType(QueueBusyException.class)
                        .isThrownBy(() -> XdpDatapath.open(List.of(fixture.config(), second.config()),
                                TestSettings.small().toBuilder().queueReleaseTimeout(Duration.ofMillis(50)).build()))
                        .satisfies(e -> {
                            assertThat(e.interfaceName()).isEqualTo(second.appInterface());
                            assertThat(e.queueId()).isEqualTo(1);
                        });
                assertThat(fixture.occupied(0)).isFalse();
                assertThat(fixture.occupied(1)).isFalse();
                assertThat(second.occupied(0)).isFalse();
            }
            finally {
                blocker.close();
            }
            // and everything was released: the same open succeeds once the blocker is gone
            try (XdpDatapath datapath = XdpDatapath.open(List.of(fixture.config(), second.config()),
                    TestSettings.small())) {
                assertThat(datapath.state().sockets()).hasSize(4);
            }
        }
    }

    @Test
    void insertFailingInTheSecondMapTakesOurSocketsOutOfTheFirstAndLeavesTheOtherSocketAlone() throws Exception {
        // the first map gets both of its sockets before the second map refuses its key 1: the unwinding
        // must empty the first map's slots, and must not touch the foreign socket in the second map
        try (XskMapFixture second = XskMapFixture.create(2, Set.of(TestPorts.ECHO));
                VethNamespace elsewhere = VethNamespace.create(1);
                XdpSocket foreign = XdpSocket.open(InterfaceIndexes.of(elsewhere.appInterface()), 0,
                        XskParameters.of(TestSettings.small()), Duration.ZERO);
                BpfMap secondMap = BpfMap.openPinned(second.pin())) {
            secondMap.update(1, foreign.fd(), BpfMap.BPF_NOEXIST);
            assertThatExceptionOfType(MapSlotOccupiedException.class)
                    .isThrownBy(() -> XdpDatapath.open(List.of(fixture.config(), second.config()),
                            TestSettings.small()))
                    .satisfies(e -> {
                        assertThat(e.interfaceName()).isEqualTo(second.appInterface());
                        assertThat(e.mapPath()).isEqualTo(second.pin());
                        assertThat(e.queueId()).isEqualTo(1);
                    });
            assertThat(fixture.occupied(0)).as("first map, key 0").isFalse();
            assertThat(fixture.occupied(1)).as("first map, key 1").isFalse();
            assertThat(second.occupied(0)).as("second map, key 0").isFalse();
            assertThat(second.occupied(1)).as("the foreign socket stays in its slot").isTrue();
            // nothing of ours is held: the first interface's queues open again at once
            try (XdpDatapath datapath = XdpDatapath.open(List.of(fixture.config()), TestSettings.small())) {
                assertThat(datapath.state().maps().get(0).keysHeld()).containsExactly(0, 1);
            }
        }
    }

    private static void open(XdpMapConfig config) {
        XdpDatapath.open(List.of(config), TestSettings.small()).close();
    }
}
