package io.quicxdp.containers;

import static org.assertj.core.api.Assertions.assertThat;

import com.github.dockerjava.api.model.Capability;
import io.quicxdp.datapath.testing.Await;
import io.quicxdp.datapath.testing.XskMapFixture;
import java.nio.file.Path;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The sample in a Docker container, as users deploy it: {@code --network host}, bpffs mounted,
 * {@code --cap-drop ALL} with only CAP_NET_RAW and CAP_IPC_LOCK added, against the reference XDP program and a
 * pinned XSKMAP that the test sets up on the host in place of the operator's. Each test is one line of the
 * least-privilege matrix in docs/least-privilege.md; a case for another map source starts from
 * {@link #leastPrivilege()} and adds that source's property and mount where these add the pin's
 * ({@link #onPin}).
 */
class SampleContainerTests {

    private XskMapFixture fixture;

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
    }

    @AfterEach
    void tearDown() {
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

    private boolean occupied(int key) {
        try {
            return this.fixture.occupied(key);
        }
        catch (Exception ex) {
            throw new IllegalStateException("probing slot " + key, ex);
        }
    }
}
