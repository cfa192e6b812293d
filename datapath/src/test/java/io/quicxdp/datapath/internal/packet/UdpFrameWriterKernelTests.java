package io.quicxdp.datapath.internal.packet;

import static org.assertj.core.api.Assertions.assertThat;

import io.quicxdp.datapath.config.BindMode;
import io.quicxdp.datapath.internal.linux.InterfaceIndexes;
import io.quicxdp.datapath.internal.netlink.RouteNetlinkSocket;
import io.quicxdp.datapath.internal.xsk.XdpSocket;
import io.quicxdp.datapath.internal.xsk.XskParameters;
import io.quicxdp.datapath.testing.TestPorts;
import io.quicxdp.datapath.testing.VethNamespace;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The written frames judged by the kernel: sent raw through an AF_XDP socket on the app end of a veth pair,
 * they must reach an ordinary UDP socket in the peer namespace intact. Veth hands AF_XDP frames over with no
 * checksum already verified, so the peer's stack checks both checksums itself; a frame with one flipped bit
 * in a checksum must be dropped and counted as a checksum error, which shows the check really happens.
 */
class UdpFrameWriterKernelTests {

    private static final XskParameters SMALL = new XskParameters(64, 2048, 32, 32, 32, 32, BindMode.AUTO, true);

    private static final int APP_PORT = TestPorts.ECHO;

    private static final int PEER_PORT = 5001;

    /** Where the UDP checksum sits in a written frame: after Ethernet, the IP header and 6 bytes of UDP. */
    private static final int IPV4_UDP_CHECKSUM_AT = EthernetHeader.LENGTH + Ipv4Header.LENGTH + 6;

    private static final int IPV6_UDP_CHECKSUM_AT = EthernetHeader.LENGTH + Ipv6Header.LENGTH + 6;

    private static final int IPV4_HEADER_CHECKSUM_AT = EthernetHeader.LENGTH + 10;

    private VethNamespace net;

    private XdpSocket socket;

    private long appMac;

    private long peerMac;

    private DatagramChannel peerV4;

    private DatagramChannel peerV6;

    @BeforeEach
    void createNetwork() throws Exception {
        net = VethNamespace.create(1);
        socket = XdpSocket.open(InterfaceIndexes.of(net.appInterface()), 0, SMALL, Duration.ZERO);
        try (RouteNetlinkSocket netlink = RouteNetlinkSocket.open()) {
            appMac = netlink.link(net.appInterface()).mac();
        }
        peerMac = net.inPeer(() -> {
            try (RouteNetlinkSocket netlink = RouteNetlinkSocket.open()) {
                return netlink.link(net.peerInterface()).mac();
            }
        });
        peerV4 = net.inPeer(() -> open(net.peerIpv4()));
        peerV6 = net.inPeer(() -> open(net.peerIpv6()));
    }

    @AfterEach
    void removeNetwork() throws Exception {
        if (peerV4 != null) {
            peerV4.close();
        }
        if (peerV6 != null) {
            peerV6.close();
        }
        if (socket != null) {
            socket.close();
        }
        if (net != null) {
            net.close();
        }
    }

    @ParameterizedTest(name = "payload of {0} bytes")
    @ValueSource(ints = {0, 1, 333, 1472})
    void theKernelAcceptsWrittenIpv4Frames(int payloadLength) throws Exception {
        ByteBuffer payload = payload(payloadLength);
        transmit(false, payload, -1);
        assertThat(receive(peerV4)).isEqualTo(new Received(new InetSocketAddress(net.appIpv4(), APP_PORT), payload));
    }

    @ParameterizedTest(name = "payload of {0} bytes")
    @ValueSource(ints = {0, 1, 333, 1452})
    void theKernelAcceptsWrittenIpv6Frames(int payloadLength) throws Exception {
        ByteBuffer payload = payload(payloadLength);
        transmit(true, payload, -1);
        assertThat(receive(peerV6)).isEqualTo(new Received(new InetSocketAddress(net.appIpv6(), APP_PORT), payload));
    }

    @Test
    void theKernelDropsAnIpv4FrameWithABadUdpChecksum() throws Exception {
        long before = peerCounter("snmp", "Udp:", "InCsumErrors");
        transmit(false, payload(40), IPV4_UDP_CHECKSUM_AT);
        awaitCounter("snmp", "Udp:", "InCsumErrors", before + 1);
        assertNothingArrives(peerV4);
    }

    @Test
    void theKernelDropsAnIpv4FrameWithABadHeaderChecksum() throws Exception {
        long before = peerCounter("snmp", "Ip:", "InHdrErrors");
        transmit(false, payload(40), IPV4_HEADER_CHECKSUM_AT);
        awaitCounter("snmp", "Ip:", "InHdrErrors", before + 1);
        assertNothingArrives(peerV4);
    }

    @Test
    void theKernelDropsAnIpv6FrameWithABadUdpChecksum() throws Exception {
        long before = peerCounter("snmp6", "", "Udp6InCsumErrors");
        transmit(true, payload(40), IPV6_UDP_CHECKSUM_AT);
        awaitCounter("snmp6", "", "Udp6InCsumErrors", before + 1);
        assertNothingArrives(peerV6);
    }

    /** Writes one frame from the app end to the peer, flips the low bit of byte {@code corruptAt} unless -1, sends. */
    private void transmit(boolean ipv6, ByteBuffer payload, int corruptAt) {
        long frame = socket.acquireTxFrame();
        assertThat(frame).isNotNegative();
        ByteBuffer frames = socket.frames();
        int offset = (int) frame;
        int length = ipv6
                ? UdpFrameWriter.writeIpv6(frames, offset, peerMac, appMac, high(net.appIpv6()), low(net.appIpv6()),
                        high(net.peerIpv6()), low(net.peerIpv6()), APP_PORT, PEER_PORT, payload, 0,
                        payload.remaining())
                : UdpFrameWriter.writeIpv4(frames, offset, peerMac, appMac, ipv4(net.appIpv4()), ipv4(net.peerIpv4()),
                        APP_PORT, PEER_PORT, payload, 0, payload.remaining());
        if (corruptAt >= 0) {
            frames.put(offset + corruptAt, (byte) (frames.get(offset + corruptAt) ^ 1));
        }
        assertThat(socket.transmit(frame, length)).isTrue();
        socket.kick();
    }

    private Received receive(DatagramChannel channel) throws Exception {
        ByteBuffer buffer = ByteBuffer.allocate(2048);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (System.nanoTime() - deadline < 0) {
            InetSocketAddress from = net.inPeer(() -> (InetSocketAddress) channel.receive(buffer));
            if (from != null) {
                return new Received(from, buffer.flip());
            }
            socket.reapCompletions();
            // a kick the kernel turned away (a busy machine) leaves the frame on the ring: kick again, as a queue does
            if (socket.txPending()) {
                socket.kick();
            }
            Thread.sleep(5);
        }
        throw new AssertionError("the peer received nothing within 5 s (TX ring "
                + (socket.txPending() ? "still holds it" : "empty") + ")");
    }

    private void assertNothingArrives(DatagramChannel channel) throws Exception {
        assertThat(net.inPeer(() -> channel.receive(ByteBuffer.allocate(2048)))).isNull();
    }

    private void awaitCounter(String file, String prefix, String name, long expected) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (peerCounter(file, prefix, name) < expected && System.nanoTime() - deadline < 0) {
            Thread.sleep(5);
        }
        assertThat(peerCounter(file, prefix, name)).as(name + " in the peer namespace").isEqualTo(expected);
    }

    /**
     * A counter of the peer namespace's {@code /proc/net/snmp} (a header line and a value line per
     * protocol, both starting with {@code prefix}) or {@code /proc/net/snmp6} (a name and a value a line).
     * Read through thread-self: {@code /proc/net} follows the process's main thread, not the peer thread.
     */
    private long peerCounter(String file, String prefix, String name) throws Exception {
        String text = net.inPeer(() -> Files.readString(Path.of("/proc/thread-self/net", file)));
        String[] lines = text.split("\n");
        for (int i = 0; i < lines.length; i++) {
            String[] fields = lines[i].trim().split("\\s+");
            if (prefix.isEmpty()) {
                if (fields[0].equals(name)) {
                    return Long.parseLong(fields[1]);
                }
            }
            else if (fields[0].equals(prefix) && i + 1 < lines.length) {
                String[] values = lines[i + 1].trim().split("\\s+");
                for (int f = 1; f < fields.length; f++) {
                    if (fields[f].equals(name)) {
                        return Long.parseLong(values[f]);
                    }
                }
            }
        }
        throw new AssertionError(name + " not found in " + file);
    }

    private static DatagramChannel open(InetAddress address) throws Exception {
        DatagramChannel channel = DatagramChannel.open();
        channel.bind(new InetSocketAddress(address, PEER_PORT));
        channel.configureBlocking(false);
        return channel;
    }

    private static ByteBuffer payload(int length) {
        byte[] bytes = new byte[length];
        for (int i = 0; i < length; i++) {
            bytes[i] = (byte) (i * 7 + 3);
        }
        return ByteBuffer.wrap(bytes);
    }

    private static int ipv4(InetAddress address) {
        return ByteBuffer.wrap(address.getAddress()).getInt();
    }

    private static long high(InetAddress address) {
        return ByteBuffer.wrap(address.getAddress()).getLong(0);
    }

    private static long low(InetAddress address) {
        return ByteBuffer.wrap(address.getAddress()).getLong(8);
    }

    /** A datagram as the peer's socket saw it. */
    private record Received(InetSocketAddress from, ByteBuffer payload) {
    }
}
