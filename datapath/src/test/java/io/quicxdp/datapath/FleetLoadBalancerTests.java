package io.quicxdp.datapath;

import static org.assertj.core.api.Assertions.assertThat;

import io.quicxdp.datapath.testing.FleetFixture;
import io.quicxdp.datapath.testing.FleetFixture.Host;
import io.quicxdp.datapath.testing.LoadBalancerProgram;
import io.quicxdp.datapath.testing.QuicPackets;
import io.quicxdp.datapath.testing.TestPorts;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The reference load balancer (its Java copy) in front of hosts in their own namespaces, with real packets from
 * a client namespace: long headers spread by a hash of the addresses, short headers follow their server ID,
 * and whatever cannot be routed by its connection ID is hashed. Then each host runs a datapath on its own veth
 * and XSKMAP, as an application instance would, and answers the client through the load balancer.
 */
class FleetLoadBalancerTests {

    @Test
    void shortHeadersFollowTheirServerIdAndTheRestIsHashedOverIpv4AndIpv6() throws Exception {
        try (FleetFixture fleet = FleetFixture.builder(TestPorts.ECHO).hosts(2).queues(2).build()) {
            FleetTraffic.assertRoutedByConnectionId(fleet, false);
            FleetTraffic.assertRoutedByConnectionId(fleet, true);
        }
    }

    @Test
    void threeHostsAndALongerServerIdRouteAlike() throws Exception {
        try (FleetFixture fleet = FleetFixture.builder(TestPorts.ECHO).hosts(3).serverIdLength(5).build()) {
            FleetTraffic.assertRoutedByConnectionId(fleet, false);
            FleetTraffic.assertRoutedByConnectionId(fleet, true);
        }
    }

    @Test
    void aDatapathOnEachHostAnswersTheClientsItsServerIdBringsAndTheHashedOnes() throws Exception {
        try (FleetFixture fleet = FleetFixture.builder(TestPorts.ECHO).hosts(2).queues(2).build()) {
            List<XdpDatapath> datapaths = new ArrayList<>();
            try {
                for (Host host : fleet.hosts()) {
                    datapaths.add(host.inHost(() -> {
                        XdpDatapath datapath = XdpDatapath.open(List.of(host.mapConfig()), TestSettings.small());
                        // each host answers with its index in front of what it received
                        datapath.bind(fleet.port(), datagram -> datagram.reply(ByteBuffer.allocate(
                                1 + datagram.payloadLength()).put((byte) host.index()).put(datagram.payload())
                                .flip()));
                        return datapath;
                    }));
                }
                for (boolean ipv6 : new boolean[] {false, true}) {
                    InetSocketAddress service = new InetSocketAddress(ipv6 ? fleet.serviceIpv6()
                            : fleet.serviceIpv4(), fleet.port());
                    InetAddress client = ipv6 ? fleet.clientIpv6() : fleet.clientIpv4();
                    for (Host host : fleet.hosts()) {
                        for (int rotation = 0; rotation < 4; rotation++) {
                            byte[] shortHeader = QuicPackets.shortHeader(rotation, host.serverId(), 8);
                            assertThat(fleet.inClient(() -> answeringHost(client, service, shortHeader, -1)))
                                    .isEqualTo(host.index());
                        }
                    }
                    for (int i = 0; i < 16; i++) {
                        byte[] initial = QuicPackets.longHeader(QuicPackets.connectionId(0, new byte[2], 8));
                        assertThat(fleet.inClient(() -> answeringHost(client, service, initial,
                                fleet.hosts().size()))).isGreaterThanOrEqualTo(0);
                    }
                }
            }
            finally {
                for (XdpDatapath datapath : datapaths) {
                    datapath.close();
                }
            }
        }
    }

    /**
     * Sends {@code payload} from a port of its own and returns the index of the host that answered from the
     * service address; with {@code hashedOver} hosts, checks that it is the one the hash picks.
     */
    private static int answeringHost(InetAddress client, InetSocketAddress service, byte[] payload,
            int hashedOver) throws Exception {
        try (DatagramChannel channel = DatagramChannel.open()) {
            channel.bind(new InetSocketAddress(client, 0));
            channel.socket().setSoTimeout(5000);
            channel.send(ByteBuffer.wrap(payload), service);
            java.net.DatagramPacket answer = new java.net.DatagramPacket(new byte[2048], 2048);
            channel.socket().receive(answer);
            assertThat(answer.getSocketAddress()).isEqualTo(service);
            assertThat(answer.getLength()).isEqualTo(1 + payload.length);
            int host = answer.getData()[0];
            if (hashedOver > 0) {
                InetSocketAddress from = (InetSocketAddress) channel.getLocalAddress();
                assertThat(host).isEqualTo(LoadBalancerProgram.hashSlot(from, service, hashedOver));
            }
            return host;
        }
    }
}
