package io.quicxdp.agent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;

import io.quicxdp.datapath.XdpDatapath;
import io.quicxdp.datapath.config.DatapathSettings;
import io.quicxdp.datapath.config.MapSource;
import io.quicxdp.datapath.config.XdpMapConfig;
import io.quicxdp.datapath.failure.MapSourceUnavailableException;
import io.quicxdp.datapath.internal.linux.FileDescriptors;
import io.quicxdp.datapath.internal.linux.UnixSockets;
import io.quicxdp.datapath.state.MapInspection;
import io.quicxdp.datapath.state.PinStatus;
import io.quicxdp.datapath.state.SlotStatus;
import io.quicxdp.datapath.state.SourceStatus;
import io.quicxdp.datapath.testing.EchoPeer;
import io.quicxdp.datapath.testing.TestPorts;
import io.quicxdp.datapath.testing.XskMapFixture;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The agent on a real kernel: it inserts the sockets of a datapath (in this JVM, or in a child process run as
 * an unprivileged user that cannot make a single bpf() call) into the fixture's pinned XSKMAP, traffic from
 * the peer namespace is echoed, and the slots empty when the application closes or dies.
 */
class AgentKernelTests {

    private static final int PORT = TestPorts.ECHO;

    private XskMapFixture fixture;

    private Path directory;

    private Path socket;

    private AgentServer agent;

    @BeforeEach
    void createFixture() throws Exception {
        fixture = XskMapFixture.create(2, Set.of(PORT));
        directory = Files.createTempDirectory(Path.of("/tmp"), "qx-agent-");
        // a child under another user connects to the socket in here
        Files.setPosixFilePermissions(directory, PosixFilePermissions.fromString("rwx--x--x"));
        socket = directory.resolve("agent.sock");
    }

    @AfterEach
    void removeFixture() throws Exception {
        if (agent != null) {
            agent.close();
        }
        ChildDatapath.delete(directory);
        if (fixture != null) {
            fixture.close();
        }
    }

    private void startAgent(String... allow) throws Exception {
        String[] args = new String[4 + allow.length];
        args[0] = "--socket";
        args[1] = socket.toString();
        args[2] = "--map";
        args[3] = fixture.appInterface() + "=" + fixture.pin();
        System.arraycopy(allow, 0, args, 4, allow.length);
        agent = AgentServer.start(AgentOptions.parse(args));
    }

    private XdpMapConfig agentConfig() {
        return XdpMapConfig.allQueues(fixture.appInterface(), MapSource.agent(socket));
    }

    private static DatapathSettings small() {
        return DatapathSettings.builder().frameCount(512).fillRingSize(256).completionRingSize(256).rxRingSize(256)
                .txRingSize(256).neighbourTimeout(Duration.ofSeconds(10)).build();
    }

    @Test
    void theAgentInsertsTheSocketsTrafficFlowsAndCloseEmptiesTheSlots() throws Exception {
        startAgent("--allow-uid", "0");
        try (XdpDatapath datapath = XdpDatapath.open(List.of(agentConfig()), small())) {
            datapath.bind(PORT, datagram -> datagram.reply(datagram.payload()));
            assertThat(fixture.occupied(0)).isTrue();
            assertThat(fixture.occupied(1)).isTrue();
            assertThat(EchoPeer.echoes(fixture.net(), fixture.net().appIpv4(), PORT, 32)).isEqualTo(32);
            assertThat(datapath.state().maps()).singleElement().satisfies(map -> {
                assertThat(map.source()).isEqualTo(MapSource.agent(socket));
                assertThat(map.sourceStatus()).isEqualTo(SourceStatus.CONNECTED);
                assertThat(map.mapId()).isEqualTo(fixture.mapId());
                assertThat(map.type()).isEqualTo("xskmap");
                assertThat(map.keysHeld()).containsExactly(0, 1);
            });
            MapInspection inspection = datapath.inspectMap(fixture.appInterface()).orElseThrow();
            assertThat(inspection.pin()).isEqualTo(PinStatus.NOT_PINNED);
            assertThat(inspection.slots()).containsValues(SlotStatus.UNKNOWN, SlotStatus.UNKNOWN);
            assertThat(inspection.detail()).contains("makes no bpf() call");
        }
        assertThat(fixture.occupied(0)).isFalse();
        assertThat(fixture.occupied(1)).isFalse();
    }

    @Test
    void aLostAgentIsReportedWhileTrafficKeepsFlowing() throws Exception {
        startAgent("--allow-uid", "0");
        try (XdpDatapath datapath = XdpDatapath.open(List.of(agentConfig()), small())) {
            datapath.bind(PORT, datagram -> datagram.reply(datagram.payload()));
            agent.close();
            assertThat(datapath.state().maps().get(0).sourceStatus()).isEqualTo(SourceStatus.LOST);
            MapInspection inspection = datapath.inspectMap(fixture.appInterface()).orElseThrow();
            assertThat(inspection.sourceStatus()).isEqualTo(SourceStatus.LOST);
            assertThat(inspection.sourceDetail())
                    .startsWith("the quic-xdp agent on " + socket + " closed the connection");
            assertThat(inspection.detail()).as("why the slots are not read, unchanged")
                    .contains("makes no bpf() call");
            assertThat(fixture.occupied(0)).as("the agent's going leaves the slots as they were").isTrue();
            assertThat(EchoPeer.echoes(fixture.net(), fixture.net().appIpv4(), PORT, 16)).isEqualTo(16);
        }
        assertThat(fixture.occupied(0)).isFalse();
        assertThat(fixture.occupied(1)).isFalse();
    }

    @Test
    void withoutAnAgentStartUpFailsNamingTheSocketAndTheFix() throws Exception {
        assertThatExceptionOfType(MapSourceUnavailableException.class)
                .isThrownBy(() -> XdpDatapath.open(List.of(agentConfig()), small()))
                .satisfies(ex -> {
                    assertThat(ex.getMessage()).isEqualTo("The quic-xdp agent's socket " + socket + " (interface "
                            + fixture.appInterface() + ") cannot be connected to: nothing is at that path (ENOENT).");
                    assertThat(ex.action()).startsWith("Start the agent first (java -jar quic-xdp-agent.jar --socket "
                            + socket + " --map " + fixture.appInterface() + "=PIN --allow-uid UID)");
                    assertThat(ex.source()).isEqualTo(MapSource.agent(socket));
                });
        assertThat(fixture.occupied(0)).isFalse();
        assertThat(fixture.occupied(1)).isFalse();
    }

    @Test
    void anInterfaceTheAgentDoesNotServeFailsStartUpAndLeavesNothing() throws Exception {
        agent = AgentServer.start(AgentOptions.parse("--socket", socket.toString(), "--map",
                "other0=" + fixture.pin(), "--allow-uid", "0"));
        assertThatExceptionOfType(MapSourceUnavailableException.class)
                .isThrownBy(() -> XdpDatapath.open(List.of(agentConfig()), small()))
                .satisfies(ex -> {
                    assertThat(ex.getMessage()).startsWith("The quic-xdp agent on " + socket
                            + " serves no map for interface " + fixture.appInterface());
                    assertThat(ex.action()).startsWith("Add --map " + fixture.appInterface() + "=PIN");
                });
        assertThat(fixture.occupied(0)).isFalse();
    }

    @Test
    void anUnprivilegedApplicationNeedsNoBpfCallAndItsDeathEmptiesTheSlots() throws Exception {
        // kernel.unprivileged_bpf_disabled is set here: any bpf() call of the child would fail with EPERM
        startAgent("--allow-uid", ChildDatapath.NOBODY);
        try (ChildDatapath child = ChildDatapath.startUnprivileged("+net_raw", fixture.appInterface(), socket)) {
            assertThat(child.line()).isEqualTo("OPEN 2");
            assertThat(fixture.occupied(0)).isTrue();
            assertThat(fixture.occupied(1)).isTrue();
            child.process().destroyForcibly();
            assertThat(child.process().waitFor(10, TimeUnit.SECONDS)).isTrue();
        }
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while ((fixture.occupied(0) || fixture.occupied(1)) && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        assertThat(fixture.occupied(0)).as("slot 0 once the application died").isFalse();
        assertThat(fixture.occupied(1)).as("slot 1 once the application died").isFalse();
    }

    @Test
    void aPeerOfAnotherUserIsRefusedAndNothingIsInserted() throws Exception {
        startAgent("--allow-uid", "12345", "--allow-gid", "12345");
        try (ChildDatapath child = ChildDatapath.startUnprivileged("+net_raw", fixture.appInterface(), socket)) {
            assertThat(child.line()).isEqualTo("FAILED MapSourceUnavailableException: The quic-xdp agent on " + socket
                    + " refused this process: uid 65534 gid 65534 is not allowed by the agent on " + socket + ". | "
                    + "Start the agent with --allow-uid or --allow-gid naming the user or group this application "
                    + "runs as, or run the application as a user the agent allows.");
        }
        assertThat(fixture.occupied(0)).isFalse();
        assertThat(fixture.occupied(1)).isFalse();
    }

    @Test
    void aSocketFileLeftByAStoppedAgentIsReplacedButALiveAgentIsNot() throws Exception {
        // what an agent killed with SIGKILL leaves: the socket file, nobody listening
        FileDescriptors.close(UnixSockets.listen(socket, 1));
        startAgent("--allow-uid", "0");
        try (XdpDatapath datapath = XdpDatapath.open(List.of(agentConfig()), small())) {
            assertThat(fixture.occupied(0)).isTrue();
        }
        AgentOptions same = agent.options();
        assertThatExceptionOfType(IllegalStateException.class).isThrownBy(() -> AgentServer.start(same))
                .withMessageStartingWith("another process listens on " + socket);
    }
}
