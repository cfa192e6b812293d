package io.quicxdp.containers;

import static org.assertj.core.api.Assertions.assertThat;

import com.github.dockerjava.api.model.Capability;
import io.quicxdp.datapath.internal.bpf.BpfMap;
import io.quicxdp.datapath.testing.Await;
import io.quicxdp.datapath.testing.DevicePluginServer;
import io.quicxdp.datapath.testing.XskMapFixture;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Comparator;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The sample in a Docker container, as users deploy it: {@code --network host}, bpffs mounted,
 * {@code --cap-drop ALL} with only CAP_NET_RAW and CAP_IPC_LOCK added, against the reference XDP program and a
 * pinned XSKMAP that the test sets up on the host in place of the operator's. Each test is one line of the
 * least-privilege matrix in docs/least-privilege.md. Every case starts from {@link #leastPrivilege()} and adds
 * its map's source: the pin ({@link #onPin}), the quic-xdp agent's socket ({@link #onAgent}; the agent runs on
 * the host as root, from its executable jar) or the AF_XDP device plugin's ({@link #onDevicePlugin}; a test
 * server speaking the plugin's protocol), the socket's directory bind-mounted.
 */
class SampleContainerTests {

    /** The uid the application runs as with the agent, as in docs/kubernetes: not root, allowed by the agent. */
    private static final int APP_UID = 10001;

    private XskMapFixture fixture;

    /** The directory of the agent's or the plugin's socket, bind-mounted into the container. */
    private Path sockets;

    private int echoPort;

    private int quicPort;

    private int http3Port;

    @BeforeEach
    void setUp() throws Exception {
        DockerSupport.assumeAvailable();
        int[] ports = PeerTraffic.freePorts(3);
        this.echoPort = ports[0];
        this.quicPort = ports[1];
        this.http3Port = ports[2];
        this.fixture = XskMapFixture.create(2, Set.of(this.echoPort, this.quicPort, this.http3Port));
        this.sockets = Files.createTempDirectory(Path.of("/tmp"), "qx-containers-");
        // the application's uid connects to a socket in here
        Files.setPosixFilePermissions(this.sockets, PosixFilePermissions.fromString("rwx--x--x"));
    }

    @AfterEach
    void tearDown() throws IOException {
        if (this.sockets != null) {
            try (Stream<Path> paths = Files.walk(this.sockets)) {
                for (Path path : paths.sorted(Comparator.reverseOrder()).toList()) {
                    Files.deleteIfExists(path);
                }
            }
        }
        if (this.fixture != null) {
            this.fixture.close();
        }
    }

    @Test
    void pinUnderDockersDefaultSeccompFailsNamingTheFilterNotACapability() throws Exception {
        try (SampleContainer sample = onPin(leastPrivilege())) {
            assertThat(sample.runToExit()).as("exit status").isNotZero();
            assertThat(sample.getLogs()).contains("APPLICATION FAILED TO START")
                .contains("The kernel refused the bpf() system call to open " + this.fixture.pin() + " (EPERM): "
                        + "a seccomp filter on this process refuses bpf(), not a missing capability (Seccomp: 2 "
                        + "(filter) in /proc/self/status, it holds neither CAP_BPF nor CAP_SYS_ADMIN")
                .contains("Docker's default seccomp profile refuses bpf() to a container without CAP_SYS_ADMIN")
                .contains("--security-opt seccomp=PROFILE", "quic.xdp.maps[i].agent-socket")
                .contains("Left behind: nothing");
        }
        assertThat(this.fixture.occupied(0)).isFalse();
        assertThat(this.fixture.occupied(1)).isFalse();
    }

    @Test
    void pinUnconfinedFillsBothSlotsEchoesAndSigkillEmptiesThem() throws Exception {
        PeerTraffic.assumeHttp3Client();
        try (SampleContainer sample = onPin(leastPrivilege()).withSeccomp("unconfined")) {
            sample.startServing();
            assertThat(this.fixture.occupied(0)).as("slot 0 while serving").isTrue();
            assertThat(this.fixture.occupied(1)).as("slot 1 while serving").isTrue();
            assertThat(PeerTraffic.echoes(this.fixture.net(), this.fixture.net().appIpv4(), this.echoPort, 4))
                .hasSize(4);
            assertThat(PeerTraffic.echoes(this.fixture.net(), this.fixture.net().appIpv6(), this.echoPort, 4))
                .hasSize(4);
            assertThat(PeerTraffic.http3Status(this.fixture.net(), this.http3Port, "/")).as("GET / over HTTP/3")
                .isEqualTo(200);

            sample.killHard();
            // the kernel frees each AF_XDP socket with the process's last descriptor, and empties its slot
            Await.until(() -> !occupied(0) && !occupied(1), "both slots empty after SIGKILL");
        }
        assertThat(this.fixture.pin()).as("the operator's pin").exists();
    }

    @Test
    void pinUnderDockersDefaultSeccompWithCapSysAdminServes() throws Exception {
        // the default profile allows bpf() to CAP_SYS_ADMIN (Docker 20.10 rejects --cap-add BPF outright): it
        // works, at the price of far more privilege than map mode needs
        try (SampleContainer sample = onPin(leastPrivilege()).withCapabilities(Capability.SYS_ADMIN)) {
            sample.startServing();
            assertThat(this.fixture.occupied(0)).as("slot 0 while serving").isTrue();
            assertThat(this.fixture.occupied(1)).as("slot 1 while serving").isTrue();
            assertThat(PeerTraffic.echoes(this.fixture.net(), this.fixture.net().appIpv4(), this.echoPort, 4))
                .hasSize(4);
        }
    }

    @Test
    void agentUnderDockersDefaultSeccompAsNonRootServesAndSigkillEmptiesTheSlots() throws Exception {
        PeerTraffic.assumeHttp3Client();
        Path socket = this.sockets.resolve("agent.sock");
        try (HostAgent agent = HostAgent.start(socket, this.fixture.appInterface(), this.fixture.pin(), APP_UID);
                SampleContainer sample = onAgent(leastPrivilege(), socket).withUser(APP_UID)) {
            sample.startServing();
            assertThat(this.fixture.occupied(0)).as("slot 0 while serving").isTrue();
            assertThat(this.fixture.occupied(1)).as("slot 1 while serving").isTrue();
            assertThat(agent.log()).as("the agent's log").contains("(uid " + APP_UID + ", gid " + APP_UID + ")")
                .contains("inserted the socket of");
            assertThat(PeerTraffic.echoes(this.fixture.net(), this.fixture.net().appIpv4(), this.echoPort, 4))
                .hasSize(4);
            assertThat(PeerTraffic.echoes(this.fixture.net(), this.fixture.net().appIpv6(), this.echoPort, 4))
                .hasSize(4);
            assertThat(PeerTraffic.http3Status(this.fixture.net(), this.http3Port, "/")).as("GET / over HTTP/3")
                .isEqualTo(200);

            sample.killHard();
            // the agent kept no copy: the container's death frees the sockets, and the kernel empties the slots
            Await.until(() -> !occupied(0) && !occupied(1), "both slots empty after SIGKILL");
        }
    }

    @Test
    void agentRefusingTheContainersUidFailsStartUpNamingTheSocketAndTheFix() throws Exception {
        Path socket = this.sockets.resolve("agent.sock");
        try (HostAgent agent = HostAgent.start(socket, this.fixture.appInterface(), this.fixture.pin(),
                APP_UID + 1); SampleContainer sample = onAgent(leastPrivilege(), socket).withUser(APP_UID)) {
            assertThat(sample.runToExit()).as("exit status").isNotZero();
            assertThat(sample.getLogs()).contains("APPLICATION FAILED TO START")
                .contains("The quic-xdp agent on " + socket + " refused this process: uid " + APP_UID + " gid "
                        + APP_UID + " is not allowed by the agent on " + socket)
                .contains("Start the agent with --allow-uid or --allow-gid naming the user or group this "
                        + "application runs as");
        }
        assertThat(this.fixture.occupied(0)).isFalse();
        assertThat(this.fixture.occupied(1)).isFalse();
    }

    @Test
    void agentWithNoNewPrivilegesAsNonRootFailsNamingWhatVoidsTheFileCapabilities() throws Exception {
        Path socket = this.sockets.resolve("agent.sock");
        try (HostAgent agent = HostAgent.start(socket, this.fixture.appInterface(), this.fixture.pin(), APP_UID);
                SampleContainer sample = onAgent(leastPrivilege(), socket).withUser(APP_UID)
                    .withNoNewPrivileges()) {
            assertThat(sample.runToExit()).as("exit status").isNotZero();
            assertThat(sample.getLogs()).contains("APPLICATION FAILED TO START")
                .contains("Creating the AF_XDP socket for " + this.fixture.appInterface() + " queue 0 was refused "
                        + "(EPERM): it runs as uid " + APP_UID + " without CAP_NET_RAW in effect (CapEff: "
                        + "0000000000000000), though CAP_NET_RAW is in its bounding set, and no_new_privs is set "
                        + "(NoNewPrivs: 1), which voids file capabilities.")
                .contains("Turn no_new_privs off (drop --security-opt no-new-privileges; on Kubernetes "
                        + "allowPrivilegeEscalation: true)");
        }
        assertThat(this.fixture.occupied(0)).isFalse();
        assertThat(this.fixture.occupied(1)).isFalse();
    }

    @Test
    void noAgentFailsStartUpNamingTheSocketAndTheFix() throws Exception {
        Path socket = this.sockets.resolve("agent.sock");
        try (SampleContainer sample = onAgent(leastPrivilege(), socket).withUser(APP_UID)) {
            assertThat(sample.runToExit()).as("exit status").isNotZero();
            assertThat(sample.getLogs()).contains("APPLICATION FAILED TO START")
                .contains("The quic-xdp agent's socket " + socket + " (interface " + this.fixture.appInterface()
                        + ") cannot be connected to: nothing is at that path (ENOENT).")
                .contains("Start the agent first (java -jar quic-xdp-agent.jar --socket " + socket + " --map "
                        + this.fixture.appInterface() + "=PIN --allow-uid UID)");
        }
        assertThat(this.fixture.occupied(0)).isFalse();
        assertThat(this.fixture.occupied(1)).isFalse();
    }

    @Test
    void devicePluginUnconfinedServesAndSigkillEmptiesTheSlots() throws Exception {
        PeerTraffic.assumeHttp3Client();
        Path socket = pluginSocket();
        try (BpfMap pluginsMap = BpfMap.openPinned(this.fixture.pin());
                DevicePluginServer plugin = DevicePluginServer.start(socket,
                        Map.of(this.fixture.appInterface(), pluginsMap.fd()), null);
                SampleContainer sample = onDevicePlugin(leastPrivilege(), socket).withSeccomp("unconfined")) {
            sample.startServing();
            assertThat(plugin.requests()).contains("/xsk_map_fd," + this.fixture.appInterface(), "/fin");
            assertThat(this.fixture.occupied(0)).as("slot 0 while serving").isTrue();
            assertThat(this.fixture.occupied(1)).as("slot 1 while serving").isTrue();
            assertThat(PeerTraffic.echoes(this.fixture.net(), this.fixture.net().appIpv4(), this.echoPort, 4))
                .hasSize(4);
            assertThat(PeerTraffic.http3Status(this.fixture.net(), this.http3Port, "/")).as("GET / over HTTP/3")
                .isEqualTo(200);

            sample.killHard();
            Await.until(() -> !occupied(0) && !occupied(1), "both slots empty after SIGKILL");
        }
    }

    @Test
    void devicePluginUnderDockersDefaultSeccompFailsNamingTheFilter() throws Exception {
        Path socket = pluginSocket();
        try (BpfMap pluginsMap = BpfMap.openPinned(this.fixture.pin());
                DevicePluginServer plugin = DevicePluginServer.start(socket,
                        Map.of(this.fixture.appInterface(), pluginsMap.fd()), null);
                SampleContainer sample = onDevicePlugin(leastPrivilege(), socket)) {
            assertThat(sample.runToExit()).as("exit status").isNotZero();
            assertThat(sample.getLogs()).contains("APPLICATION FAILED TO START")
                .contains("The kernel refused the bpf() system call to read the map from the AF_XDP device plugin's "
                        + "socket " + socket + " (EPERM): a seccomp filter on this process refuses bpf(), not a "
                        + "missing capability (Seccomp: 2 (filter) in /proc/self/status")
                .contains("--security-opt seccomp=PROFILE", "quic.xdp.maps[i].agent-socket")
                .contains("Left behind: nothing");
        }
        assertThat(this.fixture.occupied(0)).isFalse();
        assertThat(this.fixture.occupied(1)).isFalse();
    }

    @Test
    void devicePluginAnsweringFdNakFailsStartUpNamingTheSocketAndTheFix() throws Exception {
        Path socket = pluginSocket();
        try (BpfMap pluginsMap = BpfMap.openPinned(this.fixture.pin());
                DevicePluginServer plugin = DevicePluginServer.start(socket, Map.of("other0", pluginsMap.fd()),
                        null);
                SampleContainer sample = onDevicePlugin(leastPrivilege(), socket).withSeccomp("unconfined")) {
            assertThat(sample.runToExit()).as("exit status").isNotZero();
            assertThat(sample.getLogs()).contains("APPLICATION FAILED TO START")
                .contains("The AF_XDP device plugin on " + socket + " has no XSKMAP for interface "
                        + this.fixture.appInterface() + ": it answered /fd_nak.")
                .contains("Request the plugin's resource that holds " + this.fixture.appInterface() + " for this pod");
        }
        assertThat(this.fixture.occupied(0)).isFalse();
        assertThat(this.fixture.occupied(1)).isFalse();
    }

    /**
     * The container every case starts from: CAP_NET_RAW and CAP_IPC_LOCK only, map mode on the fixture's
     * interface, its map's source still to be added.
     */
    private SampleContainer leastPrivilege() {
        return new SampleContainer().withCapabilities(Capability.NET_RAW, Capability.IPC_LOCK)
            .withProperty("quic.xdp.maps[0].interface", this.fixture.appInterface())
            .withProperty("sample.echo.port", this.echoPort)
            .withProperty("sample.quic.port", this.quicPort)
            .withProperty("quic.xdp.http3.port", this.http3Port);
    }

    /** The map from the fixture's pin, {@code quic.xdp.maps[0].path}. */
    private SampleContainer onPin(SampleContainer sample) {
        // the container's /sys is its own: bpffs comes in as a whole
        return sample.withBind(Path.of("/sys/fs/bpf")).withProperty("quic.xdp.maps[0].path", this.fixture.pin());
    }

    /**
     * The map's sockets go to the quic-xdp agent on {@code socket}, {@code quic.xdp.maps[0].agent-socket}: no
     * bpffs, no bpf() call.
     */
    private SampleContainer onAgent(SampleContainer sample, Path socket) {
        return sample.withBind(socket.getParent()).withProperty("quic.xdp.maps[0].agent-socket", socket);
    }

    /** The map from the device plugin on {@code socket}, {@code quic.xdp.maps[0].device-plugin-socket}. */
    private SampleContainer onDevicePlugin(SampleContainer sample, Path socket) {
        return sample.withBind(this.sockets).withProperty("quic.xdp.maps[0].device-plugin-socket", socket);
    }

    /** Where the plugin puts its socket: {@code INTERFACE/afxdp.sock}, below the bind-mounted directory. */
    private Path pluginSocket() {
        return this.sockets.resolve(this.fixture.appInterface()).resolve("afxdp.sock");
    }

    private boolean occupied(int key) {
        try {
            return this.fixture.occupied(key);
        }
        catch (Exception ex) {
            throw new IllegalStateException("probing slot " + key, ex);
        }
    }
}
