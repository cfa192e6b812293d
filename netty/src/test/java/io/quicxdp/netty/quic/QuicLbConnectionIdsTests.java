package io.quicxdp.netty.quic;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.handler.codec.quic.QuicConnectionIdGenerator;
import io.quicxdp.datapath.config.InvalidSettingException;
import java.nio.ByteBuffer;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The QUIC-LB plaintext connection IDs: their layout, decoding what is not ours, the rules, the generator. */
class QuicLbConnectionIdsTests {

    private static final HexFormat HEX = HexFormat.of();

    private final QuicLbConnectionIds ids = QuicLbConnectionIds.builder().configRotation(5)
            .serverId(HEX.parseHex("0a1b")).connectionIdLength(12).build();

    @Test
    void anIdIsTheRotationTheServerIdTheLoopAndRandomOctets() {
        byte[] id = ids.newConnectionId(200);
        assertThat(id).hasSize(12);
        assertThat((id[0] & 0xFF) >>> 5).as("config rotation").isEqualTo(5);
        assertThat(HEX.formatHex(id, 1, 3)).as("server id").isEqualTo("0a1b");
        assertThat(id[3] & 0xFF).as("loop").isEqualTo(200);
        assertThat(ids.randomOctets()).isEqualTo(8);
        assertThat(ids.loopOf(id)).isEqualTo(200);
    }

    @Test
    void everyLoopDecodesFromItsIds() {
        for (int loop = 0; loop < QuicLbConnectionIds.MAX_LOOPS; loop++) {
            assertThat(ids.loopOf(ids.newConnectionId(loop))).isEqualTo(loop);
        }
    }

    @Test
    void theRandomPartsDiffer() {
        Set<String> seen = new HashSet<>();
        Set<Integer> firstOctetBits = new HashSet<>();
        for (int i = 0; i < 1000; i++) {
            byte[] id = ids.newConnectionId(1);
            seen.add(HEX.formatHex(id));
            firstOctetBits.add(id[0] & 0x1F);
        }
        assertThat(seen).hasSize(1000);
        assertThat(firstOctetBits).as("the first octet's five low bits are random").hasSizeGreaterThan(16);
    }

    @Test
    void aSelfDescribedLengthIsInTheFirstOctetAsQuicLbSays() {
        // the layout of the draft's first unencrypted test vector (07 c4605e 4504cc4f), one random octet longer:
        // this format keeps 4 random octets besides the loop's
        QuicLbConnectionIds described = QuicLbConnectionIds.builder().configRotation(0)
                .serverId(HEX.parseHex("c4605e")).connectionIdLength(9).lengthSelfDescription(true).build();
        byte[] id = described.newConnectionId(0x45);
        assertThat(id[0]).isEqualTo((byte) 0x08);
        assertThat(HEX.formatHex(id, 0, 5)).isEqualTo("08c4605e45");
        assertThat(described.loopOf(id)).isEqualTo(0x45);
        // the draft's vector itself has 8 octets: not one of ours
        assertThat(described.loopOf(HEX.parseHex("07c4605e4504cc4f"))).isEqualTo(QuicLbConnectionIds.NOT_OURS);
        id[0] = 0x07;
        assertThat(described.loopOf(id)).as("a self-described length that disagrees")
                .isEqualTo(QuicLbConnectionIds.NOT_OURS);
    }

    @Test
    void idsOfAnotherLengthRotationOrServerAreNotOurs() {
        byte[] id = ids.newConnectionId(3);
        assertThat(ids.loopOf(java.util.Arrays.copyOf(id, 11))).isEqualTo(QuicLbConnectionIds.NOT_OURS);
        assertThat(ids.loopOf(java.util.Arrays.copyOf(id, 13))).isEqualTo(QuicLbConnectionIds.NOT_OURS);
        for (int rotation = 0; rotation < 8; rotation++) {
            byte[] other = id.clone();
            other[0] = (byte) (rotation << 5 | other[0] & 0x1F);
            assertThat(ids.loopOf(other)).as("rotation %d", rotation)
                    .isEqualTo(rotation == 5 ? 3 : QuicLbConnectionIds.NOT_OURS);
        }
        byte[] otherServer = id.clone();
        otherServer[2] ^= 1;
        assertThat(ids.loopOf(otherServer)).isEqualTo(QuicLbConnectionIds.NOT_OURS);
    }

    @Test
    void aRangeOutsideTheBufferIsNotOursAndThrowsNothing() {
        ByteBuf buffer = Unpooled.wrappedBuffer(ids.newConnectionId(0));
        assertThat(ids.loopOf(buffer, 0, 12)).isZero();
        assertThat(ids.loopOf(buffer, 1, 12)).isEqualTo(QuicLbConnectionIds.NOT_OURS);
        assertThat(ids.loopOf(buffer, -1, 12)).isEqualTo(QuicLbConnectionIds.NOT_OURS);
        assertThat(ids.loopOf(buffer, Integer.MAX_VALUE, 12)).isEqualTo(QuicLbConnectionIds.NOT_OURS);
        assertThat(ids.loopOf(buffer, 0, -1)).isEqualTo(QuicLbConnectionIds.NOT_OURS);
    }

    @Test
    void withoutAServerIdEachFormatHasARandomOneOfTheLengthAsked() {
        QuicLbConnectionIds first = QuicLbConnectionIds.builder().build();
        assertThat(first.serverId()).hasSize(2);
        assertThat(first.connectionIdLength()).isEqualTo(20);
        assertThat(first.configRotation()).isZero();
        Set<String> serverIds = new HashSet<>();
        for (int i = 0; i < 20; i++) {
            serverIds.add(QuicLbConnectionIds.builder().serverIdLength(4).build().serverIdHex());
        }
        assertThat(serverIds).hasSizeGreaterThan(1).allSatisfy((id) -> assertThat(id).hasSize(8));
    }

    @Test
    void theReservedRotationAndLengthsThatLeaveTooLittleRandomnessAreRefused() {
        assertRefused(QuicLbConnectionIds.builder().configRotation(7), "configRotation", "0b111");
        assertRefused(QuicLbConnectionIds.builder().configRotation(-1), "configRotation", "from 0 to 6");
        assertRefused(QuicLbConnectionIds.builder().configRotation(8), "configRotation", "from 0 to 6");
        assertRefused(QuicLbConnectionIds.builder().connectionIdLength(21), "connectionIdLength", "at most 20");
        assertRefused(QuicLbConnectionIds.builder().serverIdLength(0), "serverIdLength", "from 1 to 14");
        assertRefused(QuicLbConnectionIds.builder().serverIdLength(15), "serverIdLength", "from 1 to 14");
        assertRefused(QuicLbConnectionIds.builder().serverId(new byte[15]), "serverId", "from 1 to 14");
        assertRefused(QuicLbConnectionIds.builder().serverIdLength(4).connectionIdLength(9), "connectionIdLength",
                "at least 10");
        assertRefused(QuicLbConnectionIds.builder().serverId(new byte[3]).serverIdLength(2), "serverIdLength",
                "has 3 octets");
        assertThat(QuicLbConnectionIds.builder().serverIdLength(14).build().randomOctets()).isEqualTo(4);
        assertThat(QuicLbConnectionIds.builder().configRotation(6).build().configRotation()).isEqualTo(6);
    }

    private static void assertRefused(QuicLbConnectionIds.Builder builder, String setting, String rule) {
        assertThatThrownBy(builder::build).isInstanceOfSatisfying(InvalidSettingException.class, (ex) -> {
            assertThat(ex.setting()).isEqualTo(setting);
            assertThat(ex.rule()).contains(rule);
        });
    }

    @Test
    void theFirstIdOfAConnectionFollowsTheClientsIdAndTheFurtherOnesAreFresh() {
        QuicConnectionIdGenerator generator = ids.generator(7);
        ByteBuffer scid = ByteBuffer.wrap(HEX.parseHex("0102030405060708"));
        ByteBuffer dcid = ByteBuffer.wrap(HEX.parseHex("1112131415161718191a"));
        ByteBuffer first = generator.newId(scid, dcid, 12);
        assertThat(dcid.position()).as("the client's id is read, not consumed").isZero();
        assertThat(generator.newId(scid, dcid, 12)).as("the same client id, the same first id").isEqualTo(first);
        assertThat(generator.newId(ByteBuffer.wrap(new byte[] {9}), dcid, 12)).isEqualTo(first);
        assertThat(generator.newId(scid, ByteBuffer.wrap(HEX.parseHex("2122232425262728")), 12)).isNotEqualTo(first);
        assertThat(ids.loopOf(bytes(first))).isEqualTo(7);
        // Netty asks for each further id with the connection's current one: each must be new
        ByteBuffer spare = generator.newId(first.duplicate(), 12);
        assertThat(generator.newId(first.duplicate(), 12)).isNotEqualTo(spare).isNotEqualTo(first);
        assertThat(ids.loopOf(bytes(spare))).isEqualTo(7);
        assertThat(ids.loopOf(bytes(generator.newId(12)))).isEqualTo(7);
        assertThat(generator.isIdempotent()).isFalse();
        assertThat(generator.maxConnectionIdLength()).isEqualTo(12);
        // another process (another key) derives another id from the same client id
        QuicLbConnectionIds again = QuicLbConnectionIds.builder().configRotation(5).serverId(HEX.parseHex("0a1b"))
                .connectionIdLength(12).build();
        assertThat(again.generator(7).newId(scid, dcid, 12)).isNotEqualTo(first);
    }

    @Test
    void aGeneratorMakesIdsOfItsLengthOnlyAndLoopsAreOneOctet() {
        QuicConnectionIdGenerator generator = ids.generator(0);
        assertThatThrownBy(() -> generator.newId(20)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("localConnectionIdLength(12)");
        assertThatThrownBy(() -> generator.newId(ByteBuffer.allocate(4), 8)).isInstanceOf(
                IllegalArgumentException.class);
        assertThatThrownBy(() -> ids.generator(256)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("from 0 to 255");
        assertThatThrownBy(() -> ids.newConnectionId(-1)).isInstanceOf(IllegalArgumentException.class);
    }

    private static byte[] bytes(ByteBuffer buffer) {
        byte[] bytes = new byte[buffer.remaining()];
        buffer.duplicate().get(bytes);
        return bytes;
    }
}
