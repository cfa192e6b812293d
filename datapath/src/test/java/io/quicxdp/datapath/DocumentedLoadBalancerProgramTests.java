package io.quicxdp.datapath;

import io.quicxdp.datapath.testing.Commands;
import io.quicxdp.datapath.testing.FleetFixture;
import io.quicxdp.datapath.testing.FleetFixture.Host;
import io.quicxdp.datapath.testing.TestPorts;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * docs/fleet.md's load balancer, step by step with the standard tools it names: docs/examples/quic_lb.c built
 * with clang, loaded with bpftool, which pins its maps, attached to the fleet's load balancer, its maps filled
 * with bpftool; then the same traffic as for the Java copy must arrive where the server IDs and the hash say.
 */
class DocumentedLoadBalancerProgramTests {

    private static final Path EXAMPLE = Path.of("..", "docs", "examples", "quic_lb.c");

    @Test
    void exampleLoadBalancerBuiltAndFilledWithStandardToolsRoutesByConnectionId() throws Exception {
        for (String tool : List.of("clang", "bpftool", "nsenter")) {
            Assumptions.assumeTrue(Commands.tryRun("which", tool).exitCode() == 0,
                    tool + " is missing: apt-get install clang llvm libbpf-dev bpftool util-linux");
        }
        try (FleetFixture fleet = FleetFixture.builder(TestPorts.ECHO).hosts(2).serverIdLength(3)
                .withoutLoadBalancer().build()) {
            Path object = Files.createTempFile("quic_lb", ".o");
            try {
                // the guide's commands, with the fleet's port and server ID length
                Commands.run("clang", "-O2", "-g", "-target", "bpf", "-I/usr/include/" + multiarch(),
                        "-DQUIC_PORT=" + fleet.port(), "-DSERVER_ID_LEN=" + fleet.serverIdLength(), "-c",
                        EXAMPLE.toString(), "-o", object.toString());
                Path pins = fleet.pinPath("quic-lb");
                Files.createDirectories(pins);
                Commands.run("bpftool", "prog", "load", object.toString(), pins.resolve("prog").toString(), "type",
                        "xdp", "pinmaps", pins.toString());
                for (Host host : fleet.hosts()) {
                    String slot = littleEndian(host.index());
                    // the DEVMAP takes an interface index of the namespace it is written from
                    fill(fleet, pins, "lb_backends", slot, littleEndian(interfaceIndex(fleet, host)));
                    fill(fleet, pins, "lb_macs", slot, hex(host.mac()) + " " + hex(host.loadBalancerMac()));
                    fill(fleet, pins, "lb_server_ids", hex(host.serverId()), slot);
                }
                fill(fleet, pins, "lb_config", littleEndian(0), littleEndian(fleet.hosts().size()));
                fleet.runInLoadBalancer("bpftool", "net", "attach", "xdp", "pinned", pins.resolve("prog").toString(),
                        "dev", fleet.loadBalancerInterface());

                FleetTraffic.assertRoutedByConnectionId(fleet, false);
                FleetTraffic.assertRoutedByConnectionId(fleet, true);
            }
            finally {
                Files.deleteIfExists(object);
            }
        }
    }

    private static void fill(FleetFixture fleet, Path pins, String map, String key, String value) {
        List<String> command = new ArrayList<>(List.of("bpftool", "map", "update", "pinned",
                pins.resolve(map).toString(), "key", "hex"));
        command.addAll(List.of(key.split(" ")));
        command.addAll(List.of("value", "hex"));
        command.addAll(List.of(value.split(" ")));
        fleet.runInLoadBalancer(command.toArray(String[]::new));
    }

    private static int interfaceIndex(FleetFixture fleet, Host host) {
        String line = Commands.run("ip", "-n", fleet.loadBalancerNamespace(), "-o", "link", "show", "dev",
                host.loadBalancerInterface());
        return Integer.parseInt(line.substring(0, line.indexOf(':')));
    }

    /** A number as bpftool takes a 4-octet key or value on a little-endian machine. */
    private static String littleEndian(int value) {
        return hex(new byte[] {(byte) value, (byte) (value >>> 8), (byte) (value >>> 16), (byte) (value >>> 24)});
    }

    private static String hex(byte[] bytes) {
        return HexFormat.ofDelimiter(" ").formatHex(bytes);
    }

    private static String multiarch() {
        String arch = System.getProperty("os.arch");
        return (arch.equals("aarch64") ? "aarch64" : "x86_64") + "-linux-gnu";
    }
}
