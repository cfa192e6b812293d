package io.quicxdp.datapath;

import static org.assertj.core.api.Assertions.assertThat;

import io.quicxdp.datapath.testing.FleetFixture;
import io.quicxdp.datapath.testing.FleetFixture.Host;
import io.quicxdp.datapath.testing.LoadBalancerProgram;
import io.quicxdp.datapath.testing.QuicPackets;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

/**
 * QUIC-shaped datagrams from a fleet's client, and where they arrived: each from a port of its own, so that the
 * port tells which datagram a host received. What the load balancer must do with each is worked out from its
 * server ID, or from {@link LoadBalancerProgram#hashSlot}.
 */
final class FleetTraffic {

    /** Server ID octets no host has. */
    private static final byte UNKNOWN = (byte) 0xee;

    private final FleetFixture fleet;

    private final boolean ipv6;

    private FleetTraffic(FleetFixture fleet, boolean ipv6) {
        this.fleet = fleet;
        this.ipv6 = ipv6;
    }

    /**
     * Sends the mix over IPv4 or IPv6 (long headers from many ports; short headers to every host's server ID
     * with every routable rotation; unroutable, unknown and too-short ones; not QUIC at all) and checks that
     * every datagram arrived, unchanged, exactly where the load balancer had to send it, and that a datagram to
     * another port went to the load balancer's own kernel.
     */
    static void assertRoutedByConnectionId(FleetFixture fleet, boolean ipv6) throws Exception {
        new FleetTraffic(fleet, ipv6).check();
    }

    private void check() throws Exception {
        InetSocketAddress service = new InetSocketAddress(ipv6 ? fleet.serviceIpv6() : fleet.serviceIpv4(),
                fleet.port());
        List<DatagramChannel> listeners = new ArrayList<>();
        try {
            for (Host host : fleet.hosts()) {
                listeners.add(host.inHost(() -> listener(service)));
            }
            List<byte[]> payloads = payloads();
            Map<Integer, byte[]> sent = fleet.inClient(() -> send(payloads, service));
            Map<Integer, Integer> expected = new HashMap<>();
            sent.forEach((port, payload) -> expected.put(port, expectedHost(payload, port, service)));
            Map<Integer, Integer> arrived = receive(listeners, sent);
            assertThat(arrived).as("the host each datagram arrived at, by its source port").isEqualTo(expected);
            Set<Integer> hashedTo = new HashSet<>();
            sent.forEach((port, payload) -> {
                if ((payload.length > 0) && (payload[0] & 0x80) != 0) {
                    hashedTo.add(arrived.get(port));
                }
            });
            assertThat(hashedTo).as("hosts the long headers were spread over").hasSize(fleet.hosts().size());
        }
        finally {
            for (DatagramChannel listener : listeners) {
                listener.close();
            }
        }
        assertOtherPortsReachTheLoadBalancersKernel();
    }

    private List<byte[]> payloads() {
        ThreadLocalRandom random = ThreadLocalRandom.current();
        int length = fleet.serverIdLength();
        List<byte[]> payloads = new ArrayList<>();
        for (int i = 0; i < 48; i++) {
            byte[] anyServerId = fleet.host(random.nextInt(fleet.hosts().size())).serverId();
            payloads.add(QuicPackets.longHeader(QuicPackets.connectionId(random.nextInt(8), anyServerId,
                    random.nextInt(1 + length, 21))));
        }
        for (Host host : fleet.hosts()) {
            for (int i = 0; i < 16; i++) {
                payloads.add(QuicPackets.shortHeader(i % LoadBalancerProgram.UNROUTABLE, host.serverId(),
                        random.nextInt(1 + length, 21)));
            }
        }
        byte[] unknown = new byte[length];
        Arrays.fill(unknown, UNKNOWN);
        for (int i = 0; i < 8; i++) {
            payloads.add(QuicPackets.shortHeader(LoadBalancerProgram.UNROUTABLE, fleet.host(0).serverId(), 8));
            payloads.add(QuicPackets.shortHeader(random.nextInt(LoadBalancerProgram.UNROUTABLE), unknown, 8));
        }
        // too short to hold a server ID, down to nothing at all
        byte[] truncated = QuicPackets.shortHeader(0, fleet.host(0).serverId(), 8);
        for (int size = 1 + length; size >= 0; size--) {
            payloads.add(Arrays.copyOf(truncated, size));
        }
        return payloads;
    }

    private int expectedHost(byte[] payload, int sourcePort, InetSocketAddress service) {
        int length = fleet.serverIdLength();
        if (payload.length >= 2 + length && (payload[0] & 0x80) == 0
                && (payload[1] & 0xff) >>> 5 != LoadBalancerProgram.UNROUTABLE) {
            byte[] serverId = Arrays.copyOfRange(payload, 2, 2 + length);
            for (Host host : fleet.hosts()) {
                if (Arrays.equals(host.serverId(), serverId)) {
                    return host.index();
                }
            }
        }
        return LoadBalancerProgram.hashSlot(new InetSocketAddress(client(), sourcePort), service,
                fleet.hosts().size());
    }

    /**
     * Sends each payload from a port of its own, the sockets kept open until all are sent so that no port is
     * used twice; returns the payloads by source port.
     */
    private Map<Integer, byte[]> send(List<byte[]> payloads, InetSocketAddress service) throws Exception {
        Map<Integer, byte[]> sent = new HashMap<>();
        List<DatagramChannel> channels = new ArrayList<>();
        try {
            for (byte[] payload : payloads) {
                DatagramChannel channel = DatagramChannel.open();
                channels.add(channel);
                channel.bind(new InetSocketAddress(client(), 0));
                channel.send(ByteBuffer.wrap(payload), service);
                sent.put(((InetSocketAddress) channel.getLocalAddress()).getPort(), payload);
            }
        }
        finally {
            for (DatagramChannel channel : channels) {
                channel.close();
            }
        }
        return sent;
    }

    /** Reads the hosts' sockets until every datagram sent is in, or 10 seconds have passed. */
    private Map<Integer, Integer> receive(List<DatagramChannel> listeners, Map<Integer, byte[]> sent)
            throws Exception {
        Map<Integer, Integer> arrived = new HashMap<>();
        ByteBuffer buffer = ByteBuffer.allocate(2048);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (arrived.size() < sent.size() && System.nanoTime() - deadline < 0) {
            boolean any = false;
            for (int index = 0; index < listeners.size(); index++) {
                buffer.clear();
                InetSocketAddress from = (InetSocketAddress) listeners.get(index).receive(buffer);
                if (from == null) {
                    continue;
                }
                any = true;
                buffer.flip();
                byte[] payload = new byte[buffer.remaining()];
                buffer.get(payload);
                assertThat(from.getAddress()).as("the client's address, kept").isEqualTo(client());
                assertThat(payload).as("the datagram from port " + from.getPort()).isEqualTo(sent.get(from.getPort()));
                assertThat(arrived.put(from.getPort(), index)).as("a second copy from port " + from.getPort())
                        .isNull();
            }
            if (!any) {
                Thread.sleep(5);
            }
        }
        return arrived;
    }

    private void assertOtherPortsReachTheLoadBalancersKernel() throws Exception {
        InetAddress own = ipv6 ? InetAddress.getByName("fd00:198:18:1::1") : InetAddress.getByName("198.18.1.1");
        int otherPort = fleet.port() == 65535 ? fleet.port() - 1 : fleet.port() + 1;
        try (DatagramChannel lbSocket = fleet.inLoadBalancer(() -> DatagramChannel.open()
                .bind(new InetSocketAddress(own, otherPort)))) {
            InetSocketAddress target = (InetSocketAddress) lbSocket.getLocalAddress();
            byte[] payload = QuicPackets.shortHeader(0, fleet.host(0).serverId(), 8);
            fleet.inClient(() -> {
                try (DatagramChannel channel = DatagramChannel.open()) {
                    return channel.send(ByteBuffer.wrap(payload), target);
                }
            });
            lbSocket.socket().setSoTimeout(5000);
            java.net.DatagramPacket packet = new java.net.DatagramPacket(new byte[2048], 2048);
            lbSocket.socket().receive(packet);
            assertThat(Arrays.copyOf(packet.getData(), packet.getLength())).isEqualTo(payload);
        }
    }

    private static DatagramChannel listener(InetSocketAddress service) throws Exception {
        DatagramChannel channel = DatagramChannel.open().bind(service);
        channel.configureBlocking(false);
        return channel;
    }

    private InetAddress client() {
        return ipv6 ? fleet.clientIpv6() : fleet.clientIpv4();
    }
}
