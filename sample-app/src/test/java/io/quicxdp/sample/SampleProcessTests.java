package io.quicxdp.sample;

import static org.assertj.core.api.Assertions.assertThat;

import io.quicxdp.datapath.XdpDatapath;
import io.quicxdp.datapath.config.DatapathSettings;
import io.quicxdp.datapath.config.XdpMapConfig;
import io.quicxdp.datapath.testing.Commands;
import io.quicxdp.datapath.testing.KernelSupport;
import io.quicxdp.datapath.testing.VethNamespace;
import io.quicxdp.datapath.testing.XskMapFixture;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The sample as an operator runs it, in a JVM of its own: map mode against a map and program the test made
 * (standing in for the operator's), the zero-setup demo, and the start-up failures, each with its exit status.
 */
class SampleProcessTests {

    private static final Duration START = Duration.ofSeconds(40);

    private final List<SampleProcess> started = new ArrayList<>();

    @AfterEach
    void killWhatIsLeft() {
        this.started.forEach(SampleProcess::kill);
    }

    @Test
    void mapModeEchoesWhatTheOperatorsProgramRedirectsAndExitsZeroOnSigterm() throws Exception {
        KernelSupport.assumeAvailable();
        int port = FreeUdpPort.pick();
        int quicPort = FreeUdpPort.pickOtherThan(port);
        int http3Port = FreeUdpPort.pickOtherThan(port, quicPort);
        try (XskMapFixture fixture = XskMapFixture.create(2, Set.of(port, quicPort, http3Port))) {
            String programBefore = attachedProgram(fixture.appInterface());
            SampleProcess sample = start(List.of(), "--quic.xdp.maps[0].interface=" + fixture.appInterface(),
                    "--quic.xdp.maps[0].path=" + fixture.pin(), "--sample.echo.port=" + port,
                    "--sample.quic.port=" + quicPort, "--quic.xdp.http3.port=" + http3Port);
            sample.awaitOutput("Started SampleApplication", START);
            assertThat(fixture.occupied(0)).isTrue();
            assertThat(fixture.occupied(1)).isTrue();

            VethNamespace net = fixture.net();
            assertThat(echoesFromPeer(net, net.appIpv4(), port, 4)).hasSize(4);
            assertThat(echoesFromPeer(net, net.appIpv6(), port, 4)).hasSize(4);

            assertThat(sample.terminate()).as("exit status after SIGTERM").isZero();
            assertThat(sample.output()).contains("UDP echo on port " + port + " (IPv4 and IPv6) on "
                    + fixture.appInterface() + " queues [0, 1]")
                .contains("QUIC echo (ALPN quic-xdp-echo) on UDP port " + quicPort + " (IPv4 and IPv6) on "
                        + fixture.appInterface() + " queues [0, 1]")
                .contains("sockets of queues [0, 1] closed; the kernel removed them from the slots of XSKMAP " + fixture.pin())
                .doesNotContain("Sandbox");
            assertThat(fixture.occupied(0)).as("slot 0 after exit").isFalse();
            assertThat(fixture.occupied(1)).as("slot 1 after exit").isFalse();
            assertThat(fixture.pin()).as("the operator's pin").exists();
            assertThat(attachedProgram(fixture.appInterface())).as("the operator's program, still attached")
                .isEqualTo(programBefore);
        }
    }

    @Test
    void zeroSetupEchoesItsDemoBurstAndRemovesTheSandboxOnSigterm() throws Exception {
        KernelSupport.assumeAvailable();
        int port = FreeUdpPort.pick();
        int quicPort = FreeUdpPort.pickOtherThan(port);
        SampleProcess sample = start(List.of(), "--sample.echo.port=" + port, "--sample.quic.port=" + quicPort,
                "--quic.xdp.http3.port=" + FreeUdpPort.pickOtherThan(port, quicPort));
        SandboxTraces traces = null;
        try {
            sample.awaitOutput("Serving until stopped", START);
            traces = SandboxTraces.loggedIn(sample.output());
            assertThat(traces).isNotNull();
            assertThat(sample.output()).contains("Demo burst over IPv4: 8 of 8 datagrams")
                .contains("Demo burst over IPv6: 8 of 8 datagrams");
            assertThat(sample.terminate()).as("exit status after SIGTERM").isZero();
            assertThat(sample.output()).contains("Sandbox removed");
            traces.assertGone();
        }
        finally {
            sample.kill();
            if (traces != null) {
                traces.removeLeftovers();
            }
        }
    }

    @Test
    void disabledWithAMapExitsNonZeroWithTheFailureAnalysis() throws Exception {
        SampleProcess sample = start(List.of(), "--quic.xdp.enabled=false", "--quic.xdp.maps[0].interface=lo",
                "--quic.xdp.maps[0].path=/sys/fs/bpf/quic-xdp-sample-test/xsks");
        assertThat(sample.awaitExit(START)).isNotZero();
        assertThat(sample.output()).contains("APPLICATION FAILED TO START")
            .contains("XDP must be enabled when an XDP map is configured.")
            .contains("Either remove quic.xdp.enabled (or set it to true)")
            .doesNotContain("Sandbox");
    }

    @Test
    void aMapSlotThatAnotherProcessHoldsExitsNonZeroWithTheFailureAnalysis() throws Exception {
        KernelSupport.assumeAvailable();
        int port = FreeUdpPort.pick();
        try (XskMapFixture holder = XskMapFixture.create(1, Set.of(port));
                XskMapFixture fixture = XskMapFixture.create(1, Set.of(port));
                // another process's socket (bound to the other interface's queue 0) in slot 0 of the map
                XdpDatapath other = XdpDatapath.open(
                        List.of(new XdpMapConfig(holder.appInterface(), fixture.pin(), List.of())),
                        DatapathSettings.builder().frameCount(256).build())) {
            SampleProcess sample = start(List.of(), "--quic.xdp.maps[0].interface=" + fixture.appInterface(),
                    "--quic.xdp.maps[0].path=" + fixture.pin(), "--sample.echo.port=" + port,
                    "--sample.quic.port=" + FreeUdpPort.pickOtherThan(port),
                    "--quic.xdp.http3.port=" + FreeUdpPort.pickOtherThan(port));
            assertThat(sample.awaitExit(START)).isNotZero();
            assertThat(sample.output()).contains("APPLICATION FAILED TO START")
                .contains("Slot 0 of the XSKMAP at " + fixture.pin())
                .contains("already holds another AF_XDP socket")
                .contains("Interface: " + fixture.appInterface() + " (quic.xdp.maps[0].interface)")
                .contains("Left behind: nothing");
            assertThat(fixture.occupied(0)).as("the other process keeps its slot").isTrue();
            assertThat(other.isOpen()).isTrue();
        }
    }

    @Test
    void withoutRootTheZeroSetupDemoSaysWhatToDo() throws Exception {
        KernelSupport.assumeAvailable();
        int port = FreeUdpPort.pick();
        // uid 0 still, but with no capabilities: what an ordinary user has
        SampleProcess sample = start(List.of("setpriv", "--inh-caps=-all", "--ambient-caps=-all",
                "--bounding-set=-all", "--"), "--sample.echo.port=" + port,
                "--sample.quic.port=" + FreeUdpPort.pickOtherThan(port),
                "--quic.xdp.http3.port=" + FreeUdpPort.pickOtherThan(port));
        assertThat(sample.awaitExit(START)).isNotZero();
        assertThat(sample.output()).contains("APPLICATION FAILED TO START")
            .contains("which needs root, and this process lacks CAP_SYS_ADMIN, CAP_NET_ADMIN, CAP_NET_RAW")
            .contains("Run the sample as root")
            .contains("--quic.xdp.maps[0].interface=IF --quic.xdp.maps[0].path=PIN")
            .doesNotContain("Sandbox:");
    }

    private SampleProcess start(List<String> prefix, String... arguments) {
        SampleProcess sample = SampleProcess.start(prefix, arguments);
        this.started.add(sample);
        return sample;
    }

    /** The id of the XDP program attached to {@code interfaceName}, as ip link shows it. */
    private static String attachedProgram(String interfaceName) {
        Matcher matcher = Pattern.compile("prog/xdp id (\\d+)")
            .matcher(Commands.run("ip", "-d", "link", "show", "dev", interfaceName));
        assertThat(matcher.find()).as("an XDP program on " + interfaceName).isTrue();
        return matcher.group(1);
    }

    /** Sends {@code count} datagrams from the peer namespace to {@code target} and returns the echoes. */
    private static List<String> echoesFromPeer(VethNamespace net, InetAddress target, int port, int count)
            throws Exception {
        return net.inPeer(() -> {
            List<String> echoes = new ArrayList<>();
            try (DatagramSocket socket = new DatagramSocket()) {
                for (int i = 0; i < count; i++) {
                    byte[] text = ("echo me " + i).getBytes(StandardCharsets.US_ASCII);
                    socket.send(new DatagramPacket(text, text.length, new InetSocketAddress(target, port)));
                }
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
                byte[] buffer = new byte[2048];
                while (echoes.size() < count && System.nanoTime() < deadline) {
                    socket.setSoTimeout((int) Math.max(1, TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime())));
                    DatagramPacket packet = new DatagramPacket(buffer, buffer.length);
                    try {
                        socket.receive(packet);
                    }
                    catch (SocketTimeoutException ex) {
                        break;
                    }
                    echoes.add(new String(packet.getData(), 0, packet.getLength(), StandardCharsets.US_ASCII));
                }
            }
            return echoes;
        });
    }
}
