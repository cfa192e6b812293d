package io.quicxdp.datapath;

import static org.assertj.core.api.Assertions.assertThat;

import io.quicxdp.datapath.config.XdpMapConfig;
import io.quicxdp.datapath.internal.bpf.BpfMap;
import io.quicxdp.datapath.internal.bpf.BpfMapType;
import io.quicxdp.datapath.testing.Await;
import io.quicxdp.datapath.testing.Commands;
import io.quicxdp.datapath.testing.InitialRateLimitProgram;
import io.quicxdp.datapath.testing.KernelSupport;
import io.quicxdp.datapath.testing.TestPorts;
import io.quicxdp.datapath.testing.VethNamespace;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.LongSupplier;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * The operator's guide's Initial rate limit (docs/operator-guide.md): an XDP program that lets QUIC Initials
 * through at a rate before the XSKMAP redirect and drops the rest, while the established connections'
 * short-header packets all go to the datapath. Run as the Java copy, and as docs/examples/initial_rate_limit.c
 * built with clang and loaded with bpftool; a burst of Initials and short headers from the peer namespace, well
 * within one second, must bring the datapath exactly the rate's worth of Initials and every short header.
 */
class InitialRateLimitTests {

    private static final Path EXAMPLE = Path.of("..", "docs", "examples", "initial_rate_limit.c");

    private static final int RATE = 50;

    private static final int EACH = 200;

    @Test
    void theJavaCopyDropsInitialsAboveTheRateInXdpWhileShortHeadersPass() throws Exception {
        KernelSupport.assumeAvailable();
        try (VethNamespace net = VethNamespace.create(2)) {
            Path pins = net.pinPath("initial-rate-limit");
            Files.createDirectories(pins);
            try (BpfMap xsks = BpfMap.create(BpfMapType.XSKMAP, 4, 4, 64, "xsks")) {
                xsks.pin(pins.resolve("xsks"));
                try (InitialRateLimitProgram program = InitialRateLimitProgram.load(xsks, TestPorts.ECHO, RATE)) {
                    program.attach(net.appInterface());
                    assertBurstLimited(net, pins.resolve("xsks"), program::dropped);
                }
            }
        }
    }

    @Test
    void theDocumentedProgramBuiltWithStandardToolsDropsInitialsAboveTheRateWhileShortHeadersPass()
            throws Exception {
        KernelSupport.assumeAvailable();
        for (String tool : List.of("clang", "bpftool")) {
            Assumptions.assumeTrue(Commands.tryRun("which", tool).exitCode() == 0,
                    tool + " is missing: apt-get install clang llvm libbpf-dev bpftool");
        }
        try (VethNamespace net = VethNamespace.create(2)) {
            Path object = Files.createTempFile("initial_rate_limit", ".o");
            Path pins = net.pinPath("initial-rate-limit");
            try {
                // the guide's commands, with a port free here and the test's rate
                Commands.run("clang", "-O2", "-g", "-target", "bpf", "-I/usr/include/" + multiarch(),
                        "-DQUIC_PORT=" + TestPorts.ECHO, "-DINITIAL_RATE=" + RATE, "-c", EXAMPLE.toString(), "-o",
                        object.toString());
                Files.createDirectories(pins);
                Commands.run("bpftool", "prog", "load", object.toString(), pins.resolve("prog").toString(), "type",
                        "xdp", "pinmaps", pins.toString());
                Commands.run("bpftool", "net", "attach", "xdp", "pinned", pins.resolve("prog").toString(), "dev",
                        net.appInterface());
                try (BpfMap window = BpfMap.openPinned(pins.resolve("initial_limit"))) {
                    assertBurstLimited(net, pins.resolve("xsks"), () -> InitialRateLimitProgram.dropped(window));
                }
            }
            finally {
                Commands.tryRun("bpftool", "net", "detach", "xdp", "dev", net.appInterface());
                Files.deleteIfExists(object);
            }
        }
    }

    /**
     * Opens the datapath on the program's XSKMAP, sends the burst from the peer and checks what the datapath got and
     * what the program counts as dropped.
     */
    private static void assertBurstLimited(VethNamespace net, Path xskMap, LongSupplier dropped) throws Exception {
        AtomicInteger initials = new AtomicInteger();
        AtomicInteger shortHeaders = new AtomicInteger();
        try (XdpDatapath datapath = XdpDatapath.open(List.of(XdpMapConfig.allQueues(net.appInterface(), xskMap)),
                TestSettings.small())) {
            datapath.bind(TestPorts.ECHO, (datagram) -> {
                ByteBuffer payload = datagram.payload();
                ((payload.get(payload.position()) & 0x80) != 0 ? initials : shortHeaders).incrementAndGet();
            });
            net.inPeer(() -> {
                try (DatagramChannel channel = DatagramChannel.open()) {
                    InetSocketAddress server = new InetSocketAddress(net.appIpv4(), TestPorts.ECHO);
                    ByteBuffer initial = ByteBuffer.wrap(initial());
                    ByteBuffer shortHeader = ByteBuffer.wrap(shortHeader());
                    for (int i = 0; i < EACH; i++) {
                        channel.send(initial.clear(), server);
                        channel.send(shortHeader.clear(), server);
                        if (i % 25 == 24) {
                            // a breath for the receive rings: what is measured is the program, not the rings
                            Thread.sleep(2);
                        }
                    }
                }
                return null;
            });
            Await.until(() -> shortHeaders.get() == EACH, "every short header at the datapath");
            Await.until(() -> initials.get() + dropped.getAsLong() == EACH, "every Initial received or dropped");
            assertThat(initials.get()).as("Initials let through within the window").isEqualTo(RATE);
            assertThat(dropped.getAsLong()).as("Initials dropped in XDP").isEqualTo(EACH - RATE);
        }
    }

    /** A QUIC version 1 Initial's first octets and a client's 1200 bytes: what the program reads. */
    private static byte[] initial() {
        byte[] packet = new byte[1200];
        ThreadLocalRandom.current().nextBytes(packet);
        packet[0] = (byte) 0xc3;
        packet[1] = 0;
        packet[2] = 0;
        packet[3] = 0;
        packet[4] = 1;
        return packet;
    }

    /** A short header: first bit 0, fixed bit 1, then a connection ID and protected bytes. */
    private static byte[] shortHeader() {
        byte[] packet = new byte[64];
        ThreadLocalRandom.current().nextBytes(packet);
        packet[0] = (byte) (0x40 | (packet[0] & 0x3f));
        return packet;
    }

    private static String multiarch() {
        String arch = System.getProperty("os.arch");
        return (arch.equals("aarch64") ? "aarch64" : "x86_64") + "-linux-gnu";
    }
}
