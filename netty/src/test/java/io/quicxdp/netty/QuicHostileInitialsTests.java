package io.quicxdp.netty;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.handler.codec.quic.QuicChannel;
import io.netty.util.LeakPresenceDetector;
import io.quicxdp.datapath.state.DropReason;
import io.quicxdp.datapath.state.SocketState;
import io.quicxdp.datapath.testing.TestPorts;
import io.quicxdp.datapath.testing.XskMapFixture;
import io.quicxdp.netty.quic.QuicLbConnectionIds;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Netty's QUIC server codec on the XDP transport, sent QUIC Initials from the peer that are malformed (random
 * bytes after a valid long header, a Length that lies, cut short, connection ids too long) and replayed copies
 * of a real client's Initial, over IPv4 and IPv6. Every datagram is received and counted, none is dropped as
 * one the channel threw on, every frame comes back, and a real client's handshake and echo work afterwards.
 * Short headers whose connection ids this server did not issue are dropped in front of the codec, counted, and
 * hold no frame.
 */
class QuicHostileInitialsTests {

    private static final int PORT = TestPorts.ECHO;

    private XskMapFixture fixture;

    private QuicEchoOverXdp server;

    @BeforeEach
    void start() throws Exception {
        fixture = XskMapFixture.create(1, Set.of(PORT));
        server = QuicEchoOverXdp.start(fixture, PORT);
    }

    @AfterEach
    void stop() throws Exception {
        if (server != null) {
            server.close();
        }
        if (fixture != null) {
            fixture.close();
        }
    }

    @AfterAll
    static void noBufferLeaked() {
        // every buffer Netty allocated in this class, the QUIC codec's included, was released
        LeakPresenceDetector.check();
    }

    @Test
    void malformedAndReplayedInitialsCostNothingAndARealClientConnectsAfterwards() throws Exception {
        for (InetAddress[] pair : new InetAddress[][] {{fixture.net().appIpv4(), fixture.net().peerIpv4()},
                {fixture.net().appIpv6(), fixture.net().peerIpv6()}}) {
            InetAddress app = pair[0];
            InetAddress peer = pair[1];
            byte[] initial = server.clientInitial(peer);
            assertThat(initial[0] & 0xF0).as("a long-header Initial").isEqualTo(0xC0);
            assertThat(initial.length).as("padded as RFC 9000 asks").isGreaterThanOrEqualTo(1200);
            List<byte[]> hostile = hostile(initial, new Random(app.getAddress().length));

            SocketState before = server.socket();
            int sent = 0;
            List<DatagramChannel> senders = new ArrayList<>();
            try {
                for (int i = 0; i < 4; i++) {
                    senders.add(peerChannel(peer));
                }
                for (byte[] datagram : hostile) {
                    send(senders.get(0), datagram, app);
                    sent++;
                }
                // the same Initial again and again, from its own port and from others, as an attacker replays it
                for (int round = 0; round < 25; round++) {
                    for (DatagramChannel sender : senders) {
                        send(sender, initial, app);
                        sent++;
                    }
                }
            }
            finally {
                for (DatagramChannel sender : senders) {
                    sender.close();
                }
            }
            long expected = before.rxPackets() + sent;
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (server.socket().rxPackets() < expected && System.nanoTime() < deadline) {
                Thread.sleep(5);
            }
            SocketState after = server.socket();
            assertThat(after.rxPackets()).as("every datagram received, over %s", app).isEqualTo(expected);
            assertThat(after.drops()).as("valid UDP, none dropped: nothing thrown out of the channel")
                    .isEqualTo(before.drops());
            assertThat(after.drops().get(DropReason.HANDLER_FAILED)).isZero();

            QuicChannel connection = server.connect(new InetSocketAddress(peer, 0), new InetSocketAddress(app, PORT));
            byte[] payload = new byte[4096];
            new Random(5).nextBytes(payload);
            assertThat(QuicEchoOverXdp.echo(connection, payload)).as("a real client's echo over %s", app)
                    .isEqualTo(payload);
            connection.close().sync();
            connection.parent().close().sync();
        }
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (server.socket().receiveFrames().held() > 0 && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        assertThat(server.socket().receiveFrames().held()).as("frames held").isZero();
        assertThat(server.socket().receiveFrames().balanced()).isTrue();
    }

    @Test
    void shortHeadersWithIdsThisServerDidNotIssueAreDroppedAndCountedAndHoldNoFrame() throws Exception {
        QuicLbConnectionIds ours = server.routing().connectionIds();
        QuicLbConnectionIds otherServer = QuicLbConnectionIds.builder().serverId(new byte[] {0x5e, 0x18}).build();
        byte[] otherRotation = ours.newConnectionId(0);
        otherRotation[0] ^= (byte) 0x20;
        byte[] otherLoop = ours.newConnectionId(1);
        List<byte[]> foreign = List.of(shortHeader(otherServer.newConnectionId(0)), shortHeader(otherRotation),
                shortHeader(otherLoop), Arrays.copyOf(shortHeader(ours.newConnectionId(0)), 20), new byte[] {0x40});
        // ours, for the loop there is, but no connection: the codec's to drop
        byte[] unknownConnection = shortHeader(ours.newConnectionId(0));
        long foreignBefore = server.routing().foreignPackets();
        long expected = server.socket().rxPackets() + 10 * (foreign.size() + 1);
        try (DatagramChannel sender = peerChannel(fixture.net().peerIpv4())) {
            for (int round = 0; round < 10; round++) {
                for (byte[] datagram : foreign) {
                    send(sender, datagram, fixture.net().appIpv4());
                }
                send(sender, unknownConnection, fixture.net().appIpv4());
            }
        }
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while ((server.socket().rxPackets() < expected || server.socket().receiveFrames().held() > 0)
                && System.nanoTime() < deadline) {
            Thread.sleep(5);
        }
        assertThat(server.socket().rxPackets()).isEqualTo(expected);
        assertThat(server.routing().foreignPackets() - foreignBefore).as("dropped as foreign")
                .isEqualTo(10L * foreign.size());
        assertThat(server.socket().receiveFrames().held()).as("frames held").isZero();
        assertThat(server.socket().drops().get(DropReason.HANDLER_FAILED)).isZero();
    }

    /** A 1-RTT packet to {@code dcid}: the first octet, the id, then a packet number and a payload of zeros. */
    private static byte[] shortHeader(byte[] dcid) {
        byte[] packet = new byte[1 + dcid.length + 40];
        packet[0] = 0x41;
        System.arraycopy(dcid, 0, packet, 1, dcid.length);
        return packet;
    }

    /** Initials made hostile from a real one: its header kept and the rest random, lengths lying, cut short. */
    private static List<byte[]> hostile(byte[] initial, Random random) {
        int lengthField = lengthFieldOffset(initial);
        int headerEnd = lengthField + varintLength(initial[lengthField]);
        List<byte[]> hostile = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            byte[] randomBody = initial.clone();
            for (int at = headerEnd; at < randomBody.length; at++) {
                randomBody[at] = (byte) random.nextInt(256);
            }
            hostile.add(randomBody);
        }
        // the Length field saying more than the datagram holds, less than a packet number, zero, and the largest
        for (long length : new long[] {initial.length * 2L, 1, 0, (1L << 62) - 1}) {
            hostile.add(withLength(initial, lengthField, headerEnd, length));
        }
        for (int cut : new int[] {1, 5, 6, 7, lengthField, headerEnd, headerEnd + 1, headerEnd + 20,
                initial.length / 2, initial.length - 1}) {
            hostile.add(Arrays.copyOf(initial, cut));
        }
        // a connection id longer than QUIC v1 allows, and one claiming more bytes than follow
        byte[] longId = initial.clone();
        longId[5] = (byte) 255;
        hostile.add(longId);
        hostile.add(Arrays.copyOf(longId, 40));
        // a long header of an unknown version, random after it: answered with version negotiation
        byte[] unknownVersion = initial.clone();
        unknownVersion[1] = unknownVersion[2] = unknownVersion[3] = unknownVersion[4] = 0x1a;
        hostile.add(unknownVersion);
        // the fixed bit clear
        byte[] fixedBitClear = initial.clone();
        fixedBitClear[0] &= (byte) 0xBF;
        hostile.add(fixedBitClear);
        return hostile;
    }

    /** Where an Initial's Length varint starts: after the connection ids and the token. */
    private static int lengthFieldOffset(byte[] initial) {
        int at = 5;
        at += 1 + (initial[at] & 0xFF);
        at += 1 + (initial[at] & 0xFF);
        int tokenLengthSize = varintLength(initial[at]);
        long tokenLength = varint(initial, at);
        return at + tokenLengthSize + (int) tokenLength;
    }

    private static int varintLength(byte first) {
        return 1 << ((first & 0xFF) >>> 6);
    }

    private static long varint(byte[] bytes, int at) {
        int size = varintLength(bytes[at]);
        long value = bytes[at] & 0x3F;
        for (int i = 1; i < size; i++) {
            value = value << 8 | bytes[at + i] & 0xFF;
        }
        return value;
    }

    /** The Initial with its Length field re-encoded, as eight bytes, to {@code length}. */
    private static byte[] withLength(byte[] initial, int lengthField, int headerEnd, long length) {
        ByteBuffer out = ByteBuffer.allocate(initial.length - (headerEnd - lengthField) + 8);
        out.put(initial, 0, lengthField);
        out.putLong(0xC000_0000_0000_0000L | length);
        out.put(initial, headerEnd, initial.length - headerEnd);
        return out.array();
    }

    private DatagramChannel peerChannel(InetAddress peer) throws Exception {
        return fixture.net().inPeer(() -> {
            DatagramChannel channel = DatagramChannel.open();
            channel.bind(new InetSocketAddress(peer, 0));
            return channel;
        });
    }

    private void send(DatagramChannel sender, byte[] datagram, InetAddress app) throws Exception {
        fixture.net().inPeer(() -> sender.send(ByteBuffer.wrap(datagram), new InetSocketAddress(app, PORT)));
    }
}
