package io.quicxdp.autoconfigure;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.quicxdp.datapath.XdpDatapath;
import io.quicxdp.datapath.config.DatapathSettings;
import io.quicxdp.datapath.config.MapSource;
import io.quicxdp.datapath.config.XdpMapConfig;
import io.quicxdp.datapath.failure.BpfFilesystemNotMountedException;
import io.quicxdp.datapath.failure.InterfaceNotFoundException;
import io.quicxdp.datapath.failure.MapSlotOccupiedException;
import io.quicxdp.datapath.failure.MapSourceUnavailableException;
import io.quicxdp.datapath.failure.NotAnXskMapException;
import io.quicxdp.datapath.failure.QueueBusyException;
import io.quicxdp.datapath.failure.QueueNotFoundException;
import io.quicxdp.datapath.failure.XdpDatapathException;
import io.quicxdp.datapath.failure.XskMapNotFoundException;
import io.quicxdp.datapath.failure.XskMapTooSmallException;
import io.quicxdp.datapath.internal.bpf.BpfMap;
import io.quicxdp.datapath.internal.bpf.BpfMapType;
import io.quicxdp.datapath.testing.KernelSupport;
import io.quicxdp.datapath.testing.XskMapFixture;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.springframework.boot.diagnostics.FailureAnalysis;
import org.springframework.mock.env.MockEnvironment;

/** The analysis of real start-up failures of the datapath, as a user reads it. */
class XdpDatapathFailureAnalyzerTests {

    private static final DatapathSettings SETTINGS = DatapathSettings.builder().frameCount(64).build();

    @Test
    void anOccupiedSlotNamesTheMapTheKeyAndThePropertyAndLeavesTheHolderAlone() throws Exception {
        try (XskMapFixture fixture = XskMapFixture.create(1, Set.of(4433));
                XskMapFixture other = XskMapFixture.create(1, Set.of(4433));
                XdpDatapath holder = XdpDatapath.open(List.of(config(fixture)), SETTINGS)) {
            // another interface's queue 0 pointed at the same map finds key 0 taken
            MapSlotOccupiedException failure = catchThrowableOfType(MapSlotOccupiedException.class,
                    () -> XdpDatapath.open(List.of(XdpMapConfig.allQueues(other.appInterface(), fixture.pin())),
                            SETTINGS));
            FailureAnalysis analysis = analyze(failure, other.appInterface(), fixture.pin().toString());
            assertThat(analysis.getDescription()).contains(failure.getMessage())
                .contains("Interface: " + other.appInterface() + " (quic.xdp.maps[0].interface)")
                .contains("XSKMAP: " + fixture.pin() + " (quic.xdp.maps[0].path)")
                .contains("Queue: 0 (the key in the XSKMAP)")
                .contains("Error: EEXIST (errno 17)");
            assertThat(analysis.getAction()).isEqualTo(failure.action()).isNotBlank();
            assertThat(holder.isOpen()).isTrue();
            assertThat(fixture.occupied(0)).as("the holder keeps its slot").isTrue();
        }
    }

    @Test
    void aSecondDatapathOnTheSameQueueNamesTheBusyQueue() throws Exception {
        try (XskMapFixture fixture = XskMapFixture.create(1, Set.of(4433));
                XdpDatapath first = XdpDatapath.open(List.of(config(fixture)), SETTINGS)) {
            QueueBusyException failure = catchThrowableOfType(QueueBusyException.class,
                    () -> XdpDatapath.open(List.of(config(fixture)), SETTINGS));
            FailureAnalysis analysis = analyze(failure, fixture.appInterface(), fixture.pin().toString());
            assertThat(analysis.getDescription()).contains("Queue: 0").contains("Error: EBUSY (errno 16)");
            assertThat(analysis.getAction()).isEqualTo(failure.action()).isNotBlank();
            assertThat(fixture.occupied(0)).as("the first datapath keeps its slot").isTrue();
        }
    }

    @Test
    void aQueueOutOfRangeNamesTheQueue() throws Exception {
        try (XskMapFixture fixture = XskMapFixture.create(2, Set.of(4433))) {
            XdpMapConfig config = new XdpMapConfig(fixture.appInterface(), fixture.pin(), List.of(0, 5));
            QueueNotFoundException failure = catchThrowableOfType(QueueNotFoundException.class,
                    () -> XdpDatapath.open(List.of(config), SETTINGS));
            FailureAnalysis analysis = analyze(failure, fixture.appInterface(), fixture.pin().toString());
            assertThat(analysis.getDescription()).contains("Queue: 5").contains("(quic.xdp.maps[0].interface)");
            assertThat(analysis.getAction()).isEqualTo(failure.action());
            assertThat(fixture.occupied(0)).isFalse();
        }
    }

    @Test
    void aPinThatIsNotAnXskMapNamesThePathProperty() throws Exception {
        try (XskMapFixture fixture = XskMapFixture.create(1, Set.of(4433));
                BpfMap array = BpfMap.create(BpfMapType.ARRAY, 4, 4, 8, "not_xsks")) {
            Path pin = fixture.pin().resolveSibling("array");
            array.pin(pin);
            NotAnXskMapException failure = catchThrowableOfType(NotAnXskMapException.class,
                    () -> XdpDatapath.open(List.of(XdpMapConfig.allQueues(fixture.appInterface(), pin)), SETTINGS));
            FailureAnalysis analysis = analyze(failure, fixture.appInterface(), pin.toString());
            assertThat(analysis.getDescription()).contains("is a map of type ARRAY")
                .contains("XSKMAP: " + pin + " (quic.xdp.maps[0].path)");
            assertThat(analysis.getAction()).contains("BPF_MAP_TYPE_XSKMAP");
        }
    }

    @Test
    void anXskMapWithTooFewSlotsNamesTheQueueCount() throws Exception {
        try (XskMapFixture fixture = XskMapFixture.create(2, Set.of(4433));
                BpfMap tiny = BpfMap.create(BpfMapType.XSKMAP, 4, 4, 1, "tiny")) {
            Path pin = fixture.pin().resolveSibling("tiny");
            tiny.pin(pin);
            XskMapTooSmallException failure = catchThrowableOfType(XskMapTooSmallException.class,
                    () -> XdpDatapath.open(List.of(XdpMapConfig.allQueues(fixture.appInterface(), pin)), SETTINGS));
            FailureAnalysis analysis = analyze(failure, fixture.appInterface(), pin.toString());
            assertThat(analysis.getDescription()).contains(failure.getMessage()).contains("(quic.xdp.maps[0].path)");
            assertThat(analysis.getAction()).isEqualTo(failure.action()).isNotBlank();
        }
    }

    @Test
    void aPathOffBpffsSaysToMountIt() throws Exception {
        try (XskMapFixture fixture = XskMapFixture.create(1, Set.of(4433))) {
            Path elsewhere = Path.of("/tmp/quicxdp-not-bpffs-" + fixture.net().id(), "xsks");
            BpfFilesystemNotMountedException failure = catchThrowableOfType(BpfFilesystemNotMountedException.class,
                    () -> XdpDatapath.open(List.of(XdpMapConfig.allQueues(fixture.appInterface(), elsewhere)),
                            SETTINGS));
            FailureAnalysis analysis = analyze(failure, fixture.appInterface(), elsewhere.toString());
            assertThat(analysis.getDescription()).contains("is not on a mounted BPF file system")
                .contains("(quic.xdp.maps[0].path)");
            assertThat(analysis.getAction()).contains("mount -t bpf bpf /sys/fs/bpf");
        }
    }

    @Test
    void aMissingPinSaysWhatToPinWhere() throws Exception {
        try (XskMapFixture fixture = XskMapFixture.create(1, Set.of(4433))) {
            Path missing = fixture.pin().resolveSibling("missing");
            XskMapNotFoundException failure = catchThrowableOfType(XskMapNotFoundException.class,
                    () -> XdpDatapath.open(List.of(XdpMapConfig.allQueues(fixture.appInterface(), missing)), SETTINGS));
            FailureAnalysis analysis = analyze(failure, fixture.appInterface(), missing.toString());
            assertThat(analysis.getDescription()).contains("Error: ENOENT (errno 2)");
            assertThat(analysis.getAction()).contains("bpftool map pin id MAP_ID " + missing);
        }
    }

    @Test
    void anUnknownInterfaceNamesTheInterfaceProperty() {
        KernelSupport.assumeAvailable();
        String name = "qxnone" + Long.toHexString(System.nanoTime() & 0xffffff);
        InterfaceNotFoundException failure = catchThrowableOfType(InterfaceNotFoundException.class,
                () -> XdpDatapath.open(List.of(XdpMapConfig.allQueues(name, Path.of("/sys/fs/bpf/xsks"))), SETTINGS));
        FailureAnalysis analysis = analyze(failure, name, "/sys/fs/bpf/xsks");
        assertThat(analysis.getDescription()).contains("Interface: " + name + " (quic.xdp.maps[0].interface)")
            .contains("Error: ENODEV");
        assertThat(analysis.getAction()).contains("ip link");
    }

    @Test
    void withoutAMatchingPropertyTheFactsStandAlone() {
        KernelSupport.assumeAvailable();
        String name = "qxnone" + Long.toHexString(System.nanoTime() & 0xffffff);
        InterfaceNotFoundException failure = catchThrowableOfType(InterfaceNotFoundException.class,
                () -> XdpDatapath.open(List.of(XdpMapConfig.allQueues(name, Path.of("/sys/fs/bpf/xsks"))), SETTINGS));
        FailureAnalysis analysis = new XdpDatapathFailureAnalyzer(new MockEnvironment()).analyze(failure);
        assertThat(analysis.getDescription()).contains("Interface: " + name + System.lineSeparator())
            .doesNotContain("quic.xdp.maps");
    }

    @Test
    void anAbsentAgentNamesItsSocketAndPropertyAndHowToStartIt() throws Exception {
        try (XskMapFixture fixture = XskMapFixture.create(1, Set.of(4433))) {
            Path socket = Path.of("/tmp", "qx-no-agent-" + Long.toHexString(System.nanoTime()), "agent.sock");
            MapSourceUnavailableException failure = catchThrowableOfType(MapSourceUnavailableException.class,
                    () -> XdpDatapath.open(
                            List.of(XdpMapConfig.allQueues(fixture.appInterface(), MapSource.agent(socket))), SETTINGS));
            MockEnvironment environment = new MockEnvironment()
                .withProperty("quic.xdp.maps[0].interface", fixture.appInterface())
                .withProperty("quic.xdp.maps[0].agent-socket", socket.toString());
            FailureAnalysis analysis = new XdpDatapathFailureAnalyzer(environment).analyze(failure);
            assertThat(analysis.getDescription()).contains(failure.getMessage())
                .contains("Interface: " + fixture.appInterface() + " (quic.xdp.maps[0].interface)")
                .contains("Socket: " + socket + " (quic.xdp.maps[0].agent-socket)")
                .contains("Error: ENOENT")
                .doesNotContain("XSKMAP: ");
            assertThat(analysis.getAction()).startsWith("Start the agent first (java -jar quic-xdp-agent.jar --socket "
                    + socket);
            assertThat(fixture.occupied(0)).isFalse();
        }
    }

    private static XdpMapConfig config(XskMapFixture fixture) {
        return XdpMapConfig.allQueues(fixture.appInterface(), fixture.pin());
    }

    private static FailureAnalysis analyze(XdpDatapathException failure, String interfaceName, String path) {
        assertThat(failure).isNotNull();
        MockEnvironment environment = new MockEnvironment().withProperty("quic.xdp.maps[0].interface", interfaceName)
            .withProperty("quic.xdp.maps[0].path", path);
        FailureAnalysis analysis = new XdpDatapathFailureAnalyzer(environment).analyze(failure);
        assertThat(analysis).isNotNull();
        assertThat(analysis.getCause()).isSameAs(failure);
        return analysis;
    }
}
