package io.quicxdp.bench.load;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.channel.socket.DatagramPacket;
import io.netty.handler.codec.quic.InsecureQuicTokenHandler;
import io.netty.handler.codec.quic.QuicServerCodecBuilder;
import io.netty.handler.codec.quic.QuicSslContext;
import io.netty.handler.codec.quic.QuicSslContextBuilder;
import io.netty.handler.codec.quic.QuicTokenHandler;
import io.netty.pkitesting.CertificateBuilder;
import io.netty.pkitesting.X509Bundle;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The flood's datagrams: the Initial protection against RFC 9001's own example (Appendix A), and what Netty's QUIC
 * server codec (quiche) does with each kind: a handshake answered to the Initial, addressed to the Source
 * Connection ID that names it, nothing to the others; with Retry, a Retry to every Initial-looking one.
 */
class InitialPacketsTests {

    private static final HexFormat HEX = HexFormat.of();

    @Test
    void protectsTheClientInitialOfRfc9001AppendixA() throws Exception {
        InitialProtection protection = new InitialProtection();
        byte[] dcid = HEX.parseHex("8394c8f03e515708");
        protection.deriveClientKeys(dcid, 0, dcid.length);
        assertThat(HEX.formatHex(protection.key())).isEqualTo("1f369613dd76d5467730efcbe3b1a22d");
        assertThat(HEX.formatHex(protection.iv())).isEqualTo("fa044b2f42a3fd3b46fb255c");
        assertThat(HEX.formatHex(protection.hp())).isEqualTo("9f50449e04a0e810283a1e9933adedd2");

        byte[] header = HEX.parseHex("c300000001088394c8f03e5157080000449e00000002");
        byte[] payload = HEX.parseHex("060040f1010000ed0303ebf8fa56f12939b9584a3896472ec40bb863cfd3e868"
                + "04fe3a47f06a2b69484c00000413011302010000c000000010000e00000b6578"
                + "616d706c652e636f6dff01000100000a00080006001d00170018001000070005"
                + "04616c706e000500050100000000003300260024001d00209370b2c9caa47fba"
                + "baf4559fedba753de171fa71f50f1ce15d43e994ec74d748002b000302030400"
                + "0d0010000e0403050306030203080408050806002d00020101001c0002400100"
                + "3900320408ffffffffffffffff05048000ffff07048000ffff08011001048000"
                + "75300901100f088394c8f03e51570806048000ffff");
        byte[] packet = new byte[1200 + 16];
        System.arraycopy(header, 0, packet, 0, header.length);
        System.arraycopy(payload, 0, packet, header.length, payload.length);
        int length = protection.protect(packet, 18, 4, 2, 1162);

        assertThat(length).isEqualTo(1200);
        String hex = HEX.formatHex(packet, 0, length);
        assertThat(hex).startsWith("c000000001088394c8f03e5157080000449e7b9aec34d1b1c98dd7689fb8ec11")
            .endsWith("7e78bfe706ca4cf5e9c5453e9f7cfd2b8b4c8d169a44e55c88d4a9a7f9474241e221af44860018ab0856972e194cd934");
    }

    @Test
    void quicheAnswersTheInitialWithAHandshakeToItsSourceConnectionIdAndNothingElse() throws Exception {
        InitialPackets packets = new InitialPackets(42);
        assertThat(answers(null, packets, InitialPackets.Kind.UNDECRYPTABLE, 1)).isEmpty();
        assertThat(answers(null, packets, InitialPackets.Kind.GARBAGE, 2)).isEmpty();
        List<byte[]> answered = answers(null, packets, InitialPackets.Kind.INITIAL, 3);
        assertThat(answered).isNotEmpty();
        byte[] first = answered.get(0);
        assertThat(first[0] & 0xb0).as("a long header Initial").isEqualTo(0x80);
        assertThat(first[5]).as("the destination ID: our 8-byte source ID").isEqualTo((byte) 8);
        assertThat(InitialPackets.sequenceOf(first, 6, 8)).isEqualTo(3);
        assertThat(answered.stream().mapToInt((datagram) -> datagram.length).sum())
            .as("within 3 times the 1200 bytes received").isBetween(1, 3600);
    }

    @Test
    void withRetryQuicheAnswersEveryInitialLookingDatagramWithARetryToItsSourceConnectionId() throws Exception {
        InitialPackets packets = new InitialPackets(43);
        for (InitialPackets.Kind kind : List.of(InitialPackets.Kind.UNDECRYPTABLE, InitialPackets.Kind.INITIAL)) {
            List<byte[]> answered = answers(InsecureQuicTokenHandler.INSTANCE, packets, kind, 5);
            assertThat(answered).as(kind.name()).singleElement().satisfies((retry) -> {
                assertThat(retry[0] & 0xf0).as("Retry").isEqualTo(0xf0);
                assertThat(InitialPackets.sequenceOf(retry, 6, 8)).isEqualTo(5);
                assertThat(retry.length).isLessThan(1200);
            });
        }
    }

    @Test
    void garbageIsAsLongAsTheWireAllowsAndTheSourceIdsNameTheirDatagrams() throws Exception {
        InitialPackets packets = new InitialPackets(7);
        byte[] out = new byte[InitialPackets.MAX_GARBAGE];
        for (int i = 0; i < 1000; i++) {
            assertThat(packets.write(InitialPackets.Kind.GARBAGE, i, out)).isBetween(1, InitialPackets.MAX_GARBAGE);
        }
        assertThat(packets.write(InitialPackets.Kind.UNDECRYPTABLE, 0x123456789aL, out)).isEqualTo(1200);
        int dcidLength = out[5];
        assertThat(out[6 + dcidLength]).isEqualTo((byte) 8);
        assertThat(InitialPackets.sequenceOf(out, 7 + dcidLength, 8)).isEqualTo(0x123456789aL);
        assertThat(InitialPackets.sequenceOf(new byte[8], 0, 8)).isEqualTo(-1);
    }

    /** Netty's QUIC server codec offering h3, with Retry when given a token handler. */
    private static ChannelHandler serverCodec(QuicTokenHandler tokens) throws Exception {
        X509Bundle certificate = new CertificateBuilder().subject("CN=localhost").setIsCertificateAuthority(true)
            .buildSelfSigned();
        QuicSslContext tls = QuicSslContextBuilder.forServer(certificate.toKeyManagerFactory(), null)
            .applicationProtocols("h3")
            .build();
        return new QuicServerCodecBuilder().sslContext(tls)
            .tokenHandler(tokens)
            .maxIdleTimeout(5, TimeUnit.SECONDS)
            .initialMaxData(1 << 20)
            .initialMaxStreamsBidirectional(10)
            .handler(new ChannelInboundHandlerAdapter())
            .streamHandler(new ChannelInboundHandlerAdapter())
            .build();
    }

    /**
     * The datagrams a new server (Netty's QUIC server codec, with Retry when given a token handler) writes in
     * answer to one datagram of {@code kind}.
     */
    private static List<byte[]> answers(QuicTokenHandler tokens, InitialPackets packets, InitialPackets.Kind kind,
            long sequence) throws Exception {
        byte[] out = new byte[InitialPackets.MAX_GARBAGE];
        int length = packets.write(kind, sequence, out);
        EmbeddedChannel server = new EmbeddedChannel(serverCodec(tokens));
        List<byte[]> answered = new ArrayList<>();
        try {
            server.writeInbound(new DatagramPacket(Unpooled.wrappedBuffer(Arrays.copyOf(out, length)),
                    new InetSocketAddress("198.18.0.1", 443), new InetSocketAddress("198.18.0.2", 50000)));
            server.runPendingTasks();
            server.flushOutbound();
            for (Object written = server.readOutbound(); written != null; written = server.readOutbound()) {
                DatagramPacket datagram = (DatagramPacket) written;
                byte[] bytes = new byte[datagram.content().readableBytes()];
                datagram.content().readBytes(bytes);
                datagram.release();
                // the codec also writes empty buffers on the embedded channel: nothing a wire would carry
                if (bytes.length > 0) {
                    answered.add(bytes);
                }
            }
        }
        finally {
            server.finishAndReleaseAll();
        }
        return answered;
    }
}
