package io.quicxdp.datapath;

import static org.assertj.core.api.Assertions.assertThat;

import io.quicxdp.datapath.config.XdpMapConfig;
import io.quicxdp.datapath.testing.Commands;
import io.quicxdp.datapath.testing.TestPorts;
import io.quicxdp.datapath.testing.VethNamespace;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * The operator's guide path, step by step with the standard tools it names: the example XDP program in
 * docs/examples is built with clang, loaded and attached with bpftool, which pins its XSKMAP; then the
 * datapath opens in map mode on that pin and echoes what the program redirects.
 */
class DocumentedExampleProgramTests {

    private static final Path EXAMPLE = Path.of("..", "docs", "examples", "xsk_redirect.c");

    @Test
    void exampleProgramLoadedWithStandardToolsFeedsTheDatapath() throws Exception {
        for (String tool : List.of("clang", "bpftool")) {
            Assumptions.assumeTrue(Commands.tryRun("which", tool).exitCode() == 0,
                    tool + " is missing: apt-get install clang llvm libbpf-dev bpftool");
        }
        try (VethNamespace net = VethNamespace.create(2)) {
            Path object = Files.createTempFile("xsk_redirect", ".o");
            Path pins = net.pinPath("example");
            try {
                // the guide's command, with the guide's -DQUIC_PORT for a port free here
                Commands.run("clang", "-O2", "-g", "-target", "bpf", "-I/usr/include/" + multiarch(),
                        "-DQUIC_PORT=" + TestPorts.ECHO, "-c", EXAMPLE.toString(), "-o", object.toString());
                Files.createDirectories(pins);
                Commands.run("bpftool", "prog", "load", object.toString(), pins.resolve("prog").toString(), "type",
                        "xdp", "pinmaps", pins.toString());
                Commands.run("bpftool", "net", "attach", "xdp", "pinned", pins.resolve("prog").toString(), "dev",
                        net.appInterface());

                try (XdpDatapath datapath = XdpDatapath.open(
                        List.of(XdpMapConfig.allQueues(net.appInterface(), pins.resolve("xsks"))),
                        TestSettings.small())) {
                    datapath.bind(TestPorts.ECHO, datagram -> datagram.reply(datagram.payload()));
                    String echoed = net.inPeer(() -> {
                        try (DatagramChannel channel = DatagramChannel.open()) {
                            channel.socket().setSoTimeout(5000);
                            channel.send(ByteBuffer.wrap("from the guide".getBytes(StandardCharsets.US_ASCII)),
                                    new InetSocketAddress(net.appIpv4(), TestPorts.ECHO));
                            java.net.DatagramPacket packet = new java.net.DatagramPacket(new byte[64], 64);
                            channel.socket().receive(packet);
                            return new String(packet.getData(), 0, packet.getLength(), StandardCharsets.US_ASCII);
                        }
                    });
                    assertThat(echoed).isEqualTo("from the guide");
                }
            }
            finally {
                Commands.tryRun("bpftool", "net", "detach", "xdp", "dev", net.appInterface());
                Files.deleteIfExists(object);
            }
        }
    }

    private static String multiarch() {
        String arch = System.getProperty("os.arch");
        return (arch.equals("aarch64") ? "aarch64" : "x86_64") + "-linux-gnu";
    }
}
