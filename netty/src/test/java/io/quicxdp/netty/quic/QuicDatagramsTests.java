package io.quicxdp.netty.quic;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.management.ThreadMXBean;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.lang.management.ManagementFactory;
import java.util.HexFormat;
import org.junit.jupiter.api.Test;

/** Where a datagram goes, from its first packet's header and destination ID. */
class QuicDatagramsTests {

    private static final int LOOPS = 2;

    private final QuicLbConnectionIds ids = QuicLbConnectionIds.builder().serverId(HexFormat.of().parseHex("beef"))
            .connectionIdLength(16).build();

    private final QuicLbConnectionIds otherServer = QuicLbConnectionIds.builder()
            .serverId(HexFormat.of().parseHex("beee")).connectionIdLength(16).build();

    @Test
    void aShortHeaderGoesToTheLoopItsIdNames() {
        assertThat(route(shortHeader(ids.newConnectionId(1)))).isEqualTo(1);
        assertThat(route(shortHeader(ids.newConnectionId(0)))).isEqualTo(0);
    }

    @Test
    void aShortHeaderThatNoCodecHereCanPlaceIsForeign() {
        assertThat(route(shortHeader(otherServer.newConnectionId(1)))).as("another server's")
                .isEqualTo(QuicDatagrams.FOREIGN);
        assertThat(route(shortHeader(ids.newConnectionId(2)))).as("a loop beyond the group")
                .isEqualTo(QuicDatagrams.FOREIGN);
        byte[] truncated = new byte[16];
        System.arraycopy(shortHeader(ids.newConnectionId(1)), 0, truncated, 0, 16);
        assertThat(route(truncated)).as("too short to hold an id").isEqualTo(QuicDatagrams.FOREIGN);
        assertThat(route(new byte[0])).as("empty").isEqualTo(QuicDatagrams.FOREIGN);
    }

    @Test
    void aLongHeaderWithTheClientsOwnIdStaysAndOneWithOursGoesToItsLoop() {
        assertThat(route(longHeader(HexFormat.of().parseHex("0102030405060708")))).isEqualTo(QuicDatagrams.LOCAL);
        assertThat(route(longHeader(new byte[16]))).as("16 octets, but not ours").isEqualTo(QuicDatagrams.LOCAL);
        assertThat(route(longHeader(otherServer.newConnectionId(1)))).isEqualTo(QuicDatagrams.LOCAL);
        assertThat(route(longHeader(ids.newConnectionId(1)))).isEqualTo(1);
        assertThat(route(longHeader(ids.newConnectionId(7)))).as("a loop beyond the group")
                .isEqualTo(QuicDatagrams.LOCAL);
        byte[] header = longHeader(ids.newConnectionId(1));
        for (int length = 1; length < 6 + 16; length++) {
            assertThat(route(java.util.Arrays.copyOf(header, length))).as("cut at %d", length)
                    .isEqualTo(QuicDatagrams.LOCAL);
        }
    }

    @Test
    void theClientsOwnIdHasOneHashInEveryLongHeaderAndNothingElseHasOne() {
        byte[] id = {1, 2, 3, 4, 5, 6, 7, 8};
        byte[] handshake = longHeader(id);
        byte[] initial = longHeader(id);
        initial[0] = (byte) 0xc0;
        int hash = QuicDatagrams.clientIdHash(Unpooled.wrappedBuffer(handshake));
        assertThat(hash).isNotZero();
        assertThat(QuicDatagrams.clientIdHash(Unpooled.wrappedBuffer(initial))).isEqualTo(hash);
        assertThat(QuicDatagrams.clientIdHash(Unpooled.wrappedBuffer(longHeader(new byte[] {1, 2, 3, 4, 5, 6, 7, 9}))))
                .as("another ID").isNotEqualTo(hash);
        assertThat(QuicDatagrams.clientIdHash(Unpooled.wrappedBuffer(shortHeader(id)))).as("a short header").isZero();
        assertThat(QuicDatagrams.clientIdHash(Unpooled.wrappedBuffer(longHeader(new byte[0])))).as("no ID").isZero();
        assertThat(QuicDatagrams.clientIdHash(Unpooled.wrappedBuffer(longHeader(new byte[21])))).as("21 octets")
                .isZero();
        for (int length = 0; length < 6 + id.length; length++) {
            assertThat(QuicDatagrams.clientIdHash(Unpooled.wrappedBuffer(handshake, 0, length))).as("cut at %d", length)
                    .isZero();
        }
    }

    @Test
    void onlyTheReadableBytesAreRead() {
        byte[] datagram = shortHeader(ids.newConnectionId(1));
        ByteBuf buffer = Unpooled.buffer(100).writeZero(5).writeBytes(datagram);
        buffer.readerIndex(5);
        assertThat(QuicDatagrams.route(buffer, ids, LOOPS)).isEqualTo(1);
        buffer.writerIndex(5 + 16);
        assertThat(QuicDatagrams.route(buffer, ids, LOOPS)).isEqualTo(QuicDatagrams.FOREIGN);
    }

    @Test
    void routingAllocatesNothing() {
        ByteBuf[] datagrams = {Unpooled.wrappedBuffer(shortHeader(ids.newConnectionId(1))),
                Unpooled.wrappedBuffer(shortHeader(otherServer.newConnectionId(1))),
                Unpooled.wrappedBuffer(longHeader(ids.newConnectionId(0))),
                Unpooled.wrappedBuffer(longHeader(new byte[8]))};
        ThreadMXBean threads = (ThreadMXBean) ManagementFactory.getThreadMXBean();
        long fewest = Long.MAX_VALUE;
        int sum = 0;
        // a per-datagram allocation shows in every window; a one-off (a class loaded, code compiled) in one
        for (int window = 0; window < 5; window++) {
            long before = threads.getCurrentThreadAllocatedBytes();
            for (int i = 0; i < 100_000; i++) {
                sum += QuicDatagrams.route(datagrams[i & 3], ids, LOOPS);
            }
            fewest = Math.min(fewest, threads.getCurrentThreadAllocatedBytes() - before);
        }
        assertThat(sum).isNotZero();
        assertThat(fewest).as("bytes allocated routing 100000 datagrams").isLessThan(1000);
    }

    private int route(byte[] datagram) {
        return QuicDatagrams.route(Unpooled.wrappedBuffer(datagram), ids, LOOPS);
    }

    /** A 1-RTT packet: first octet, the destination id, a packet number and a payload. */
    static byte[] shortHeader(byte[] dcid) {
        byte[] packet = new byte[1 + dcid.length + 30];
        packet[0] = 0x41;
        System.arraycopy(dcid, 0, packet, 1, dcid.length);
        return packet;
    }

    /** A version 1 Handshake packet's header with {@code dcid}, an empty source id and some payload. */
    static byte[] longHeader(byte[] dcid) {
        byte[] packet = new byte[6 + dcid.length + 1 + 30];
        packet[0] = (byte) 0xe0;
        packet[4] = 1;
        packet[5] = (byte) dcid.length;
        System.arraycopy(dcid, 0, packet, 6, dcid.length);
        return packet;
    }
}
