package io.quicxdp.netty;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Named.named;
import static org.junit.jupiter.params.provider.Arguments.arguments;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.netty.handler.codec.quic.QuicChannel;
import io.netty.util.LeakPresenceDetector;
import io.quicxdp.datapath.internal.packet.Checksums;
import io.quicxdp.datapath.internal.packet.UdpFrameWriter;
import io.quicxdp.datapath.state.DropReason;
import io.quicxdp.datapath.state.SocketState;
import io.quicxdp.datapath.testing.PeerFrameSocket;
import io.quicxdp.datapath.testing.TestPorts;
import io.quicxdp.datapath.testing.XskMapFixture;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Jazzer on the transport's whole read path, kernel included: each input becomes a frame that the peer's raw
 * socket sends to the app end of a veth pair, where the reference XDP program redirects it into the XSK, the
 * event loop's queue takes it off the RX ring and parses it, and the {@link XdpDatagramChannel} fires it as a
 * {@link FramePacket} through the {@link io.quicxdp.netty.quic.XdpQuicDispatcher} into Netty's QUIC server codec.
 * After each frame: the datapath counted it, nothing was thrown out of the channel into the queue
 * ({@link DropReason#HANDLER_FAILED} stays 0), and the frame came back (none held). At the end, a real client still gets its echo and every frame is accounted for.
 *
 * <p>An input is a flags byte, then the IP packet. So that every frame reaches the socket, the fields the XDP
 * program matches on are set: version, protocol or next header UDP, no fragment, the header length where the
 * frame has room for it, the destination port; and the addresses, so that any answer stays on the veth pair.
 * The flags make the lengths agree (bit 1) and the checksums right (bit 2), so that the fuzzer gets past the
 * parser into the codec. The seeds are a real client's Initial, as captured, and frames the datapath's writer
 * makes of QUIC-shaped payloads.
 *
 * <p>{@code mvn verify} runs the seeds and fuzzes for the annotation's duration; docs/reliability.md has the
 * command for a longer run.
 */
class XdpReadPathFuzzTests {

    private static final int PORT = TestPorts.ECHO;

    private static final int IP = 14;

    /** veth's default MTU: the largest IP packet the peer's raw socket may send. */
    private static final int MTU = 1500;

    private static final int LENGTHS_AGREE = 2;

    private static final int CHECKSUMS_RIGHT = 4;

    private static XskMapFixture fixture;

    private static QuicEchoOverXdp server;

    private static PeerFrameSocket raw;

    private static byte[] initial;

    private static long received;

    private final byte[] frame = new byte[IP + MTU];

    @BeforeAll
    static void start() throws Exception {
        fixture = XskMapFixture.create(1, Set.of(PORT));
        server = QuicEchoOverXdp.start(fixture, PORT);
        raw = PeerFrameSocket.open(fixture.net());
        initial = server.clientInitial(fixture.net().peerIpv4());
        received = server.socket().rxPackets();
    }

    @AfterAll
    static void stop() throws Exception {
        try {
            if (server != null) {
                // the loop still serves a real client, and every frame is back
                QuicChannel connection = server.connect(new InetSocketAddress(fixture.net().peerIpv4(), 0),
                        new InetSocketAddress(fixture.net().appIpv4(), PORT));
                assertThat(QuicEchoOverXdp.echo(connection, new byte[] {1, 2, 3})).containsExactly(1, 2, 3);
                connection.close().sync();
                connection.parent().close().sync();
                awaitNoFrameHeld("after the client");
                assertThat(server.socket().receiveFrames().balanced()).isTrue();
                assertThat(server.socket().drops().get(DropReason.HANDLER_FAILED)).isZero();
            }
        }
        finally {
            if (raw != null) {
                raw.close();
            }
            if (server != null) {
                server.close();
            }
            if (fixture != null) {
                fixture.close();
            }
        }
        // every buffer Netty allocated, the QUIC codec's included, was released
        LeakPresenceDetector.check();
    }

    @MethodSource("realPackets")
    @FuzzTest(maxDuration = "20s")
    void anyFrameThroughTheReadPathIsCountedAndGivenBack(byte[] input) throws Exception {
        if (input.length < 1) {
            return;
        }
        int flags = input[0];
        boolean ipv6 = (flags & 1) != 0;
        int length = ipv6 ? ipv6Frame(input, flags) : ipv4Frame(input, flags);
        raw.send(frame, length);
        received++;
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(3);
        SocketState socket = server.socket();
        while (socket.rxPackets() < received && System.nanoTime() < deadline) {
            Thread.onSpinWait();
            socket = server.socket();
        }
        assertThat(socket.rxPackets()).as("received: %s", HexFormat.of().formatHex(frame, 0, length))
                .isEqualTo(received);
        awaitNoFrameHeld(HexFormat.of().formatHex(frame, 0, length));
        assertThat(server.socket().drops().get(DropReason.HANDLER_FAILED)).as("thrown out of the channel's read")
                .isZero();
    }

    private static void awaitNoFrameHeld(String what) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(3);
        SocketState socket = server.socket();
        while (socket.receiveFrames().held() > 0 && System.nanoTime() < deadline) {
            Thread.onSpinWait();
            socket = server.socket();
        }
        assertThat(socket.receiveFrames().held()).as("frames held after %s", what).isZero();
    }

    /** The input's IPv4 packet in {@link #frame}, made to reach the socket; returns the frame's length. */
    private int ipv4Frame(byte[] input, int flags) {
        int length = Math.max(Math.min(input.length - 1, MTU), 20 + 8);
        ethernet(0x0800, input, length);
        int headerLength = (frame[IP] & 0x0F) * 4;
        if (headerLength < 20 || headerLength + 8 > length) {
            headerLength = 20;
        }
        frame[IP] = (byte) (0x40 | headerLength / 4);
        ByteBuffer b = ByteBuffer.wrap(frame);
        // don't-fragment may stay; more-fragments and an offset would make the program pass the frame on
        b.putShort(IP + 6, (short) (b.getShort(IP + 6) & 0x4000));
        frame[IP + 9] = 17;
        b.put(IP + 12, fixture.net().peerIpv4().getAddress()).put(IP + 16, fixture.net().appIpv4().getAddress());
        int udp = IP + headerLength;
        b.putShort(udp + 2, (short) PORT);
        if ((flags & LENGTHS_AGREE) != 0) {
            b.putShort(IP + 2, (short) length);
            b.putShort(udp + 4, (short) (length - headerLength));
        }
        if ((flags & CHECKSUMS_RIGHT) != 0) {
            b.putShort(IP + 10, (short) 0);
            b.putShort(IP + 10, (short) Checksums.ipv4HeaderChecksum(b, IP, headerLength));
            int totalLength = b.getShort(IP + 2) & 0xFFFF;
            int udpLength = b.getShort(udp + 4) & 0xFFFF;
            if (totalLength <= length && udpLength >= 8 && udpLength <= totalLength - headerLength) {
                b.putShort(udp + 6, (short) 0);
                b.putShort(udp + 6, (short) Checksums.udpIpv4Checksum(b, IP, udp, udpLength));
            }
        }
        return IP + length;
    }

    /** The input's IPv6 packet in {@link #frame}, made to reach the socket; returns the frame's length. */
    private int ipv6Frame(byte[] input, int flags) {
        int length = Math.max(Math.min(input.length - 1, MTU), 40 + 8);
        ethernet(0x86DD, input, length);
        frame[IP] = (byte) (0x60 | frame[IP] & 0x0F);
        frame[IP + 6] = 17;
        ByteBuffer b = ByteBuffer.wrap(frame);
        b.put(IP + 8, fixture.net().peerIpv6().getAddress()).put(IP + 24, fixture.net().appIpv6().getAddress());
        int udp = IP + 40;
        b.putShort(udp + 2, (short) PORT);
        if ((flags & LENGTHS_AGREE) != 0) {
            b.putShort(IP + 4, (short) (length - 40));
            b.putShort(udp + 4, (short) (length - 40));
        }
        if ((flags & CHECKSUMS_RIGHT) != 0) {
            int payloadLength = b.getShort(IP + 4) & 0xFFFF;
            int udpLength = b.getShort(udp + 4) & 0xFFFF;
            if (payloadLength <= length - 40 && udpLength >= 8 && udpLength <= payloadLength) {
                b.putShort(udp + 6, (short) 0);
                b.putShort(udp + 6, (short) Checksums.udpIpv6Checksum(b, IP, udp, udpLength));
            }
        }
        return IP + length;
    }

    /** The Ethernet header, then the input's IP bytes and zeros up to {@code length}. */
    private void ethernet(int etherType, byte[] input, int length) {
        ByteBuffer b = ByteBuffer.wrap(frame);
        b.putShort(0, (short) (raw.appMac() >>> 32)).putInt(2, (int) raw.appMac());
        b.putShort(6, (short) (raw.peerMac() >>> 32)).putInt(8, (int) raw.peerMac());
        b.putShort(12, (short) etherType);
        int given = Math.min(input.length - 1, length);
        System.arraycopy(input, 1, frame, IP, given);
        Arrays.fill(frame, IP + given, IP + length, (byte) 0);
    }

    static Stream<Arguments> realPackets() throws Exception {
        List<Arguments> seeds = new ArrayList<>();
        int agreeAndRight = LENGTHS_AGREE | CHECKSUMS_RIGHT;
        seeds.add(seed("a real client's Initial, IPv4", agreeAndRight, false, initial));
        seeds.add(seed("a real client's Initial, IPv6", agreeAndRight | 1, true, initial));
        seeds.add(seed("its Initial, lengths as they are", 0, false, initial));
        byte[] probe = new byte[1200];
        probe[0] = (byte) 0xc0;
        probe[1] = probe[2] = probe[3] = probe[4] = 0x0a;
        probe[5] = 8;
        probe[14] = 8;
        seeds.add(seed("a version-negotiation probe", agreeAndRight, false, probe));
        byte[] shortHeader = new byte[40];
        new Random(3).nextBytes(shortHeader);
        shortHeader[0] = 0x40;
        seeds.add(seed("a short-header packet", agreeAndRight, false, shortHeader));
        byte[] ours = server.routing().connectionIds().newConnectionId(0);
        byte[] shortHeaderOfOurs = shortHeader.clone();
        System.arraycopy(ours, 0, shortHeaderOfOurs, 1, ours.length);
        seeds.add(seed("a short-header packet with one of the server's connection ids", agreeAndRight, false,
                shortHeaderOfOurs));
        seeds.add(seed("an empty datagram", agreeAndRight | 1, true, new byte[0]));
        return seeds.stream();
    }

    /** A seed: the flags, then the IP packet that the datapath's writer makes of {@code payload}. */
    private static Arguments seed(String name, int flags, boolean ipv6, byte[] payload) throws Exception {
        ByteBuffer frame = ByteBuffer.allocate(IP + MTU + 100);
        InetAddress peer = ipv6 ? fixture.net().peerIpv6() : fixture.net().peerIpv4();
        InetAddress app = ipv6 ? fixture.net().appIpv6() : fixture.net().appIpv4();
        int length;
        if (ipv6) {
            ByteBuffer source = ByteBuffer.wrap(peer.getAddress());
            ByteBuffer destination = ByteBuffer.wrap(app.getAddress());
            length = UdpFrameWriter.writeIpv6(frame, 0, raw.appMac(), raw.peerMac(), source.getLong(0),
                    source.getLong(8), destination.getLong(0), destination.getLong(8), 40000, PORT,
                    ByteBuffer.wrap(payload), 0, payload.length);
        }
        else {
            length = UdpFrameWriter.writeIpv4(frame, 0, raw.appMac(), raw.peerMac(),
                    ByteBuffer.wrap(peer.getAddress()).getInt(), ByteBuffer.wrap(app.getAddress()).getInt(), 40000,
                    PORT, ByteBuffer.wrap(payload), 0, payload.length);
        }
        byte[] input = new byte[1 + length - IP];
        input[0] = (byte) flags;
        frame.get(IP, input, 1, length - IP);
        return arguments(named(name, input));
    }
}
