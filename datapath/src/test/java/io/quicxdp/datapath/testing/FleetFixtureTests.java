package io.quicxdp.datapath.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalStateException;

import io.quicxdp.datapath.testing.FleetFixture.Host;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

class FleetFixtureTests {

    @Test
    void theClientReachesEveryHostThroughTheLoadBalancersKernelAndEverythingIsRemoved() throws Exception {
        String id;
        Path pin;
        try (FleetFixture fleet = FleetFixture.builder(TestPorts.ECHO).hosts(2).build()) {
            id = fleet.id();
            pin = fleet.host(1).mapPin();
            assertThat(pin).exists();
            assertThat(fleet.host(0).serverId()).containsExactly(0, 1);
            assertThat(fleet.host(1).serverId()).containsExactly(0, 2);
            for (Host host : fleet.hosts()) {
                // another port than the service's: routed by the load balancer's kernel, not its program
                assertThat(sendToHost(fleet, host, host.ipv4())).isEqualTo(fleet.clientIpv4());
                assertThat(sendToHost(fleet, host, host.ipv6())).isEqualTo(fleet.clientIpv6());
            }
            assertThat(Commands.run("ip", "netns", "exec", fleet.clientNamespace(), "ethtool", "-k",
                    fleet.clientInterface())).as("full checksums from the client").contains("tx-checksumming: off");
            assertThat(namespaces()).contains("qx-" + id + "-c", "qx-" + id + "-lb", "qx-" + id + "-h0",
                    "qx-" + id + "-h1");
        }
        assertThat(namespaces()).noneMatch(name -> name.contains(id));
        assertThat(pin.getParent().getParent()).doesNotExist();
    }

    @Test
    void aFailureWhileBuildingRemovesWhatWasBuilt() {
        Set<String> before = namespaces();
        // a server ID longer than QUIC-LB's longest: the load balancer, built last, refuses it
        assertThatIllegalStateException().isThrownBy(() -> FleetFixture.builder(TestPorts.ECHO).serverIdLength(16)
                .build()).withMessageContaining("1 to 15 octets");
        assertThat(namespaces()).isSubsetOf(before);
    }

    private static InetAddress sendToHost(FleetFixture fleet, Host host, InetAddress address) throws Exception {
        try (DatagramChannel receiver = host.inHost(() -> DatagramChannel.open()
                .bind(new InetSocketAddress(address, 0)))) {
            InetSocketAddress target = (InetSocketAddress) receiver.getLocalAddress();
            fleet.inClient(() -> {
                try (DatagramChannel sender = DatagramChannel.open()) {
                    return sender.send(ByteBuffer.wrap(new byte[] {1}), target);
                }
            });
            return ((InetSocketAddress) receiver.receive(ByteBuffer.allocate(16))).getAddress();
        }
    }

    private static Set<String> namespaces() {
        return Arrays.stream(Commands.run("ip", "netns", "list").split("\n"))
                .map(line -> line.split(" ")[0]).filter(name -> name.startsWith("qx-")).collect(Collectors.toSet());
    }
}
