package io.quicxdp.datapath;

import static org.assertj.core.api.Assertions.assertThat;

import io.quicxdp.datapath.internal.packet.Checksums;
import io.quicxdp.datapath.internal.packet.UdpFrameWriter;
import io.quicxdp.datapath.state.DropReason;
import io.quicxdp.datapath.state.SocketState;
import io.quicxdp.datapath.testing.PeerFrameSocket;
import io.quicxdp.datapath.testing.TestPorts;
import io.quicxdp.datapath.testing.XskMapFixture;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Frames from the peer, through a raw socket on its veth end, whose length fields lie, whose headers are cut
 * short, or that are as large as a UMEM frame holds and larger, against a datapath that echoes UDP. Each is
 * counted where it ends: under its drop reason, as a frame the kernel's XSK dropped, or nowhere when the
 * reference program hands it to the kernel's stack. After each, an echo over the same IP version still comes
 * back; at the end every receive frame is back and accounted for.
 */
class HostileFramesTests {

    private static final int PORT = TestPorts.ECHO;

    private static final int FRAME_SIZE = 2048;

    /** What of a UMEM frame a received frame may fill in copy mode: the kernel keeps XDP's 256 bytes of headroom. */
    private static final int LARGEST_RECEIVED_FRAME = FRAME_SIZE - 256;

    private static final int MTU = 3000;

    /** Where the IP header starts. */
    private static final int IP = 14;

    private XskMapFixture fixture;

    private PeerFrameSocket raw;

    private XdpDatapath datapath;

    private UdpEndpoint echo;

    /** The peer's ordinary sockets: the echo's check, and where the raw frames say they come from. */
    private DatagramChannel v4;

    private DatagramChannel v6;

    @BeforeEach
    void start() throws Exception {
        fixture = XskMapFixture.create(1, Set.of(PORT));
        raw = PeerFrameSocket.open(fixture.net());
        raw.mtu(MTU);
        datapath = XdpDatapath.open(List.of(fixture.config()), TestSettings.small().toBuilder().frameSize(FRAME_SIZE)
                .build());
        echo = datapath.bind(PORT, datagram -> datagram.reply(datagram.payload()));
        v4 = peerChannel(fixture.net().peerIpv4());
        v6 = peerChannel(fixture.net().peerIpv6());
    }

    @AfterEach
    void stop() throws Exception {
        if (v4 != null) {
            v4.close();
        }
        if (v6 != null) {
            v6.close();
        }
        if (echo != null) {
            echo.close();
        }
        if (datapath != null) {
            datapath.close();
        }
        if (raw != null) {
            raw.close();
        }
        if (fixture != null) {
            fixture.close();
        }
    }

    /** Where a hostile frame is expected to end. */
    private sealed interface Outcome permits Dropped, KernelDropped, NotRedirected, Echoed {
    }

    /** Parsed by the datapath and dropped for {@code reason}. */
    private record Dropped(DropReason reason) implements Outcome {
    }

    /** Too large for a UMEM frame: the kernel's XSK drops it (XDP_STATISTICS rx_dropped). */
    private record KernelDropped() implements Outcome {
    }

    /** The reference program finds no UDP header in it and passes it to the kernel's stack. */
    private record NotRedirected() implements Outcome {
    }

    /** A valid datagram after all, echoed with {@code payloadLength} bytes. */
    private record Echoed(int payloadLength) implements Outcome {
    }

    private record Case(String name, boolean ipv6, byte[] frame, Outcome outcome) {
    }

    @Test
    void lyingLengthsTruncatedHeadersAndOversizedFramesAreCountedByReasonAndTheEchoGoesOn() throws Exception {
        List<Case> cases = new ArrayList<>();
        // IPv4: total length and header length
        cases.add(v4("IPv4 total length beyond the frame", 100, f -> totalLength(f, totalLength(f) + 100),
                new Dropped(DropReason.IPV4_MALFORMED)));
        cases.add(v4("IPv4 total length below its header", 100, f -> totalLength(f, 12),
                new Dropped(DropReason.IPV4_MALFORMED)));
        cases.add(v4("IPv4 total length that cuts the UDP datagram", 100, f -> totalLength(f, 20 + 8 + 10),
                new Dropped(DropReason.UDP_MALFORMED)));
        cases.add(v4("IPv4 total length that leaves no UDP header", 100, f -> totalLength(f, 20 + 4),
                new Dropped(DropReason.UDP_MALFORMED)));
        cases.add(v4("IPv4 header length 4 words", 100, f -> f[IP] = 0x44, new NotRedirected()));
        cases.add(v4("IPv4 header length 0", 100, f -> f[IP] = 0x40, new NotRedirected()));
        cases.add(v4("IPv4 header length 15 words beyond the total length", 100, f -> {
            f[IP] = 0x4F;
            totalLength(f, 48);
            // where the program now looks for the UDP header, the port it redirects
            ByteBuffer.wrap(f).putShort(IP + 60 + 2, (short) PORT);
        }, new Dropped(DropReason.IPV4_MALFORMED)));
        cases.add(v4("IPv4 header length 15 words beyond the frame", 20, f -> f[IP] = 0x4F, new NotRedirected()));
        // UDP length over IPv4
        cases.add(v4("IPv4, UDP length beyond the IP payload", 100, f -> udpLength(f, IP + 20, 8 + 100 + 1),
                new Dropped(DropReason.UDP_MALFORMED)));
        cases.add(v4("IPv4, UDP length 7", 100, f -> udpLength(f, IP + 20, 7), new Dropped(DropReason.UDP_MALFORMED)));
        cases.add(v4("IPv4, UDP length 0", 100, f -> udpLength(f, IP + 20, 0), new Dropped(DropReason.UDP_MALFORMED)));
        cases.add(v4("IPv4, UDP length short of the payload, checksum as sent", 100, f -> udpLength(f, IP + 20, 8 + 10),
                new Dropped(DropReason.UDP_BAD_CHECKSUM)));
        cases.add(v4Resummed("IPv4, UDP length short of the payload, checksum redone", 100,
                f -> udpLength(f, IP + 20, 8 + 10), new Echoed(10)));
        // IPv6: payload length and UDP length
        cases.add(v6("IPv6 payload length beyond the frame", 100, f -> payloadLength(f, 8 + 100 + 1),
                new Dropped(DropReason.IPV6_MALFORMED)));
        cases.add(v6("IPv6 payload length that leaves no UDP header", 100, f -> payloadLength(f, 4),
                new Dropped(DropReason.UDP_MALFORMED)));
        cases.add(v6("IPv6 payload length that cuts the UDP datagram", 100, f -> payloadLength(f, 8 + 10),
                new Dropped(DropReason.UDP_MALFORMED)));
        cases.add(v6("IPv6 payload length 0", 100, f -> payloadLength(f, 0), new Dropped(DropReason.UDP_MALFORMED)));
        cases.add(v6("IPv6, UDP length beyond the payload", 100, f -> udpLength(f, IP + 40, 8 + 100 + 1),
                new Dropped(DropReason.UDP_MALFORMED)));
        cases.add(v6("IPv6, UDP length 7", 100, f -> udpLength(f, IP + 40, 7), new Dropped(DropReason.UDP_MALFORMED)));
        // headers cut short: what reaches the socket claims more than it has, the rest the program passes on
        cases.add(cut("IPv4 cut after the UDP header", false, 100, 14 + 20 + 8,
                new Dropped(DropReason.IPV4_MALFORMED)));
        cases.add(cut("IPv4 cut inside the UDP header", false, 100, 14 + 20 + 5, new NotRedirected()));
        cases.add(cut("IPv4 cut inside its header", false, 100, 14 + 12, new NotRedirected()));
        cases.add(cut("IPv6 cut after the UDP header", true, 100, 14 + 40 + 8,
                new Dropped(DropReason.IPV6_MALFORMED)));
        cases.add(cut("IPv6 cut inside the UDP header", true, 100, 14 + 40 + 3, new NotRedirected()));
        cases.add(cut("IPv6 cut inside its header", true, 100, 14 + 30, new NotRedirected()));
        cases.add(cut("Ethernet header only", false, 100, 14, new NotRedirected()));
        // sizes: the largest frame a UMEM frame takes, one byte more, and up to the MTU
        int largestPayload = LARGEST_RECEIVED_FRAME - UdpFrameWriter.IPV4_HEADERS_LENGTH;
        cases.add(v4("IPv4 frame of " + LARGEST_RECEIVED_FRAME + " bytes, as much as a UMEM frame takes",
                largestPayload, f -> { }, new Echoed(largestPayload)));
        cases.add(v6("IPv6 frame of " + LARGEST_RECEIVED_FRAME + " bytes", largestPayload - 20, f -> { },
                new Echoed(largestPayload - 20)));
        cases.add(v4("IPv4 frame one byte over", largestPayload + 1, f -> { }, new KernelDropped()));
        cases.add(v6("IPv6 frame one byte over", largestPayload - 19, f -> { }, new KernelDropped()));
        cases.add(v4("IPv4 frame of " + FRAME_SIZE + " bytes", FRAME_SIZE - UdpFrameWriter.IPV4_HEADERS_LENGTH,
                f -> { }, new KernelDropped()));
        cases.add(v4("IPv4 frame of the MTU", MTU + 14 - UdpFrameWriter.IPV4_HEADERS_LENGTH, f -> { },
                new KernelDropped()));
        cases.add(v4("IPv4 frame over the UMEM frame, its lengths saying it is small", FRAME_SIZE, f -> {
            totalLength(f, 20 + 8 + 10);
            udpLength(f, IP + 20, 8 + 10);
        }, new KernelDropped()));

        // the echo answers before anything hostile arrives
        assertEchoes(v4, fixture.net().appIpv4(), "before");
        assertEchoes(v6, fixture.net().appIpv6(), "before");
        Map<DropReason, Long> expectedDrops = new EnumMap<>(DropReason.class);
        long expectedKernelDrops = 0;
        for (Case c : cases) {
            SocketState before = socket();
            DatagramChannel channel = c.ipv6() ? v6 : v4;
            InetAddress app = c.ipv6() ? fixture.net().appIpv6() : fixture.net().appIpv4();
            if (c.outcome() instanceof Echoed echoed) {
                raw.send(c.frame());
                assertThat(receive(channel, c.name())).as(c.name()).hasSize(echoed.payloadLength());
                assertThat(socket().rxPackets()).as(c.name()).isEqualTo(before.rxPackets() + 1);
                continue;
            }
            raw.send(c.frame());
            // a frame sent after it on the same link arrives after it: once its echo is back, the hostile one
            // is counted
            assertEchoes(channel, app, c.name());
            SocketState after = socket();
            boolean parsed = c.outcome() instanceof Dropped;
            assertThat(after.rxPackets() - before.rxPackets()).as("%s: received by the datapath", c.name())
                    .isEqualTo(parsed ? 2 : 1);
            if (c.outcome() instanceof Dropped dropped) {
                expectedDrops.merge(dropped.reason(), 1L, Long::sum);
            }
            if (c.outcome() instanceof KernelDropped) {
                expectedKernelDrops++;
            }
            assertThat(after.drops()).as(c.name()).isEqualTo(plus(before.drops(), c.outcome()));
            assertThat(after.kernel().rxDropped() - before.kernel().rxDropped())
                    .as("%s: dropped by the XSK", c.name()).isEqualTo(c.outcome() instanceof KernelDropped ? 1 : 0);
        }
        assertEchoes(v4, fixture.net().appIpv4(), "after");
        assertEchoes(v6, fixture.net().appIpv6(), "after");
        SocketState end = socket();
        Map<DropReason, Long> counted = new EnumMap<>(end.drops());
        counted.values().removeIf(count -> count == 0);
        assertThat(counted).as("every drop, by reason").isEqualTo(expectedDrops);
        assertThat(end.kernel().rxDropped()).as("frames too large for a UMEM frame").isEqualTo(expectedKernelDrops);
        assertThat(end.receiveFrames().held()).as("frames held").isZero();
        assertThat(end.receiveFrames().balanced()).as("frame accounting %s", end.receiveFrames()).isTrue();
    }

    private Case v4(String name, int payloadLength, Consumer<byte[]> lie, Outcome outcome) {
        byte[] frame = frame(false, payloadLength);
        lie.accept(frame);
        fixIpv4HeaderChecksum(frame);
        return new Case(name, false, frame, outcome);
    }

    /** As {@link #v4}, and with the UDP checksum computed again over what the lengths now say. */
    private Case v4Resummed(String name, int payloadLength, Consumer<byte[]> lie, Outcome outcome) {
        byte[] frame = frame(false, payloadLength);
        lie.accept(frame);
        fixIpv4HeaderChecksum(frame);
        ByteBuffer b = ByteBuffer.wrap(frame);
        int udpLength = b.getShort(IP + 20 + 4) & 0xFFFF;
        b.putShort(IP + 20 + 6, (short) 0);
        b.putShort(IP + 20 + 6, (short) Checksums.udpIpv4Checksum(b, IP, IP + 20, udpLength));
        return new Case(name, false, frame, outcome);
    }

    private Case v6(String name, int payloadLength, Consumer<byte[]> lie, Outcome outcome) {
        byte[] frame = frame(true, payloadLength);
        lie.accept(frame);
        return new Case(name, true, frame, outcome);
    }

    private Case cut(String name, boolean ipv6, int payloadLength, int length, Outcome outcome) {
        byte[] frame = frame(ipv6, payloadLength);
        byte[] cut = new byte[length];
        System.arraycopy(frame, 0, cut, 0, length);
        return new Case(name, ipv6, cut, outcome);
    }

    /** A valid datagram of {@code payloadLength} bytes from the peer to the echo port, as the writer makes it. */
    private byte[] frame(boolean ipv6, int payloadLength) {
        try {
            return writeFrame(ipv6, payloadLength);
        }
        catch (IOException ex) {
            throw new UncheckedIOException(ex);
        }
    }

    private byte[] writeFrame(boolean ipv6, int payloadLength) throws IOException {
        byte[] payload = "hostile ".repeat(payloadLength / 8 + 1).substring(0, payloadLength)
                .getBytes(StandardCharsets.US_ASCII);
        ByteBuffer frame = ByteBuffer.allocate(payloadLength + UdpFrameWriter.IPV6_HEADERS_LENGTH);
        ByteBuffer body = ByteBuffer.wrap(payload);
        int length;
        if (ipv6) {
            ByteBuffer source = ByteBuffer.wrap(fixture.net().peerIpv6().getAddress());
            ByteBuffer destination = ByteBuffer.wrap(fixture.net().appIpv6().getAddress());
            length = UdpFrameWriter.writeIpv6(frame, 0, raw.appMac(), raw.peerMac(), source.getLong(0),
                    source.getLong(8), destination.getLong(0), destination.getLong(8),
                    ((InetSocketAddress) v6.getLocalAddress()).getPort(), PORT, body, 0,
                    payloadLength);
        }
        else {
            length = UdpFrameWriter.writeIpv4(frame, 0, raw.appMac(), raw.peerMac(),
                    ByteBuffer.wrap(fixture.net().peerIpv4().getAddress()).getInt(),
                    ByteBuffer.wrap(fixture.net().appIpv4().getAddress()).getInt(),
                    ((InetSocketAddress) v4.getLocalAddress()).getPort(), PORT, body, 0,
                    payloadLength);
        }
        byte[] bytes = new byte[length];
        frame.get(0, bytes);
        return bytes;
    }

    private static int totalLength(byte[] frame) {
        return ByteBuffer.wrap(frame).getShort(IP + 2) & 0xFFFF;
    }

    private static void totalLength(byte[] frame, int length) {
        ByteBuffer.wrap(frame).putShort(IP + 2, (short) length);
    }

    private static void payloadLength(byte[] frame, int length) {
        ByteBuffer.wrap(frame).putShort(IP + 4, (short) length);
    }

    private static void udpLength(byte[] frame, int udpOffset, int length) {
        ByteBuffer.wrap(frame).putShort(udpOffset + 4, (short) length);
    }

    /** The header checksum of whatever the header now says, so that only the lie is wrong. */
    private static void fixIpv4HeaderChecksum(byte[] frame) {
        int headerLength = Math.min((frame[IP] & 0x0F) * 4, frame.length - IP);
        if (headerLength < 20) {
            return;
        }
        ByteBuffer b = ByteBuffer.wrap(frame);
        b.putShort(IP + 10, (short) 0);
        b.putShort(IP + 10, (short) Checksums.ipv4HeaderChecksum(b, IP, headerLength));
    }

    private static Map<DropReason, Long> plus(Map<DropReason, Long> drops, Outcome outcome) {
        Map<DropReason, Long> expected = new EnumMap<>(drops);
        if (outcome instanceof Dropped dropped) {
            expected.merge(dropped.reason(), 1L, Long::sum);
        }
        return expected;
    }

    private SocketState socket() {
        return datapath.state().sockets().get(0);
    }

    private DatagramChannel peerChannel(InetAddress address) throws Exception {
        return fixture.net().inPeer(() -> {
            DatagramChannel channel = DatagramChannel.open();
            channel.bind(new InetSocketAddress(address, 0));
            channel.socket().setSoTimeout(5000);
            return channel;
        });
    }

    private void assertEchoes(DatagramChannel channel, InetAddress app, String when) throws Exception {
        byte[] text = ("echo " + when).getBytes(StandardCharsets.US_ASCII);
        fixture.net().inPeer(() -> channel.send(ByteBuffer.wrap(text), new InetSocketAddress(app, PORT)));
        assertThat(receive(channel, when)).as("the echo %s", when).isEqualTo(text);
    }

    private byte[] receive(DatagramChannel channel, String when) throws Exception {
        return fixture.net().inPeer(() -> {
            DatagramSocket socket = channel.socket();
            DatagramPacket packet = new DatagramPacket(new byte[4096], 4096);
            socket.receive(packet);
            byte[] bytes = new byte[packet.getLength()];
            System.arraycopy(packet.getData(), 0, bytes, 0, bytes.length);
            return bytes;
        });
    }
}
