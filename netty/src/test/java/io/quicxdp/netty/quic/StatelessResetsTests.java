package io.quicxdp.netty.quic;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.buffer.UnpooledByteBufAllocator;
import io.netty.handler.codec.quic.QuicResetTokenGenerator;
import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

/**
 * The stateless reset as RFC 9000 (10.3) shapes it: a short header with the fixed bit, unpredictable bits, and the
 * token of the packet's destination connection ID last; smaller than the packet that caused it, never below 21
 * octets; no more than so many a second.
 */
class StatelessResetsTests {

    /** A token that is a digest of the ID, as a keyed generator's would be. */
    private static final QuicResetTokenGenerator TOKENS = (id) -> {
        try {
            return ByteBuffer.wrap(Arrays.copyOf(MessageDigest.getInstance("SHA-256").digest(bytes(id)), 16));
        }
        catch (Exception ex) {
            throw new IllegalStateException(ex);
        }
    };

    private final QuicLbConnectionIds ids = QuicLbConnectionIds.builder().serverId(new byte[] {0x0a, 0x02}).build();

    private final byte[] id = ids.newConnectionId(0);

    @Test
    void theResetEndsInTheTokenOfThePacketsConnectionIdAfterAShortHeaderAndUnpredictableBits() {
        StatelessResets resets = StatelessResets.create(TOKENS, 100);
        byte[] octets = octets(resets.resetFor(packet(200), id.length, UnpooledByteBufAllocator.DEFAULT));
        assertThat(octets).hasSize(StatelessResets.MAX_LENGTH);
        assertThat(octets[0] & 0xc0).as("header form 0, fixed bit 1").isEqualTo(0x40);
        assertThat(Arrays.copyOfRange(octets, octets.length - 16, octets.length))
            .isEqualTo(bytes(TOKENS.newResetToken(ByteBuffer.wrap(id))));
        byte[] again = octets(resets.resetFor(packet(200), id.length, UnpooledByteBufAllocator.DEFAULT));
        assertThat(Arrays.copyOfRange(again, 1, again.length - 16)).as("unpredictable")
            .isNotEqualTo(Arrays.copyOfRange(octets, 1, octets.length - 16));
    }

    @Test
    void theResetIsSmallerThanThePacketThatCausedItAndNoneBelowTwentyOneOctets() {
        StatelessResets resets = StatelessResets.create(TOKENS, 100);
        assertThat(octets(resets.resetFor(packet(40), id.length, UnpooledByteBufAllocator.DEFAULT))).hasSize(39);
        assertThat(octets(resets.resetFor(packet(22), 1, UnpooledByteBufAllocator.DEFAULT))).hasSize(21);
        assertThat(resets.resetFor(packet(21), 1, UnpooledByteBufAllocator.DEFAULT)).as("cannot be smaller").isNull();
    }

    @Test
    void noMoreThanTheBudgetInOneSecond() {
        StatelessResets resets = StatelessResets.create(TOKENS, 3);
        int made = 0;
        for (int i = 0; i < 10; i++) {
            ByteBuf reset = resets.resetFor(packet(100), id.length, UnpooledByteBufAllocator.DEFAULT);
            if (reset != null) {
                reset.release();
                made++;
            }
        }
        // ten calls straddle at most one change of second
        assertThat(made).isBetween(3, 6);
    }

    @Test
    void aBudgetThatIsNotPositiveIsRefused() {
        assertThatIllegalArgumentException().isThrownBy(() -> StatelessResets.create(TOKENS, 0))
            .withMessageContaining("positive");
    }

    /** A short-header packet of {@code length} octets with the ID, as far as it fits. */
    private ByteBuf packet(int length) {
        byte[] packet = new byte[length];
        packet[0] = 0x41;
        System.arraycopy(id, 0, packet, 1, Math.min(id.length, length - 1));
        return Unpooled.wrappedBuffer(packet);
    }

    /** The reset's octets; it is released. */
    private static byte[] octets(ByteBuf reset) {
        try {
            return ByteBufUtil.getBytes(reset);
        }
        finally {
            reset.release();
        }
    }

    private static byte[] bytes(ByteBuffer buffer) {
        byte[] bytes = new byte[buffer.remaining()];
        buffer.duplicate().get(bytes);
        return bytes;
    }
}
