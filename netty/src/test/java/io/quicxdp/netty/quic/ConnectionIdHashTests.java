package io.quicxdp.netty.quic;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** What the tables of the QUIC handlers rely on in {@link ConnectionIdHash}. */
class ConnectionIdHashTests {

    private static final byte[] ID = {1, 2, 3, 4, 5, 6, 7, 8};

    @Test
    void theSameOctetsFromTheSameSeedHashAlikeWhereverTheyLie() {
        ByteBuf alone = Unpooled.wrappedBuffer(ID);
        ByteBuf within = Unpooled.buffer().writeZero(5).writeBytes(ID).writeZero(5);
        assertThat(ConnectionIdHash.finish(ConnectionIdHash.of(7, within, 5, ID.length)))
                .isEqualTo(ConnectionIdHash.finish(ConnectionIdHash.of(7, alone, 0, ID.length)));
    }

    @Test
    void theSeedAndWhatIsFoldedInChangeTheHash() {
        ByteBuf id = Unpooled.wrappedBuffer(ID);
        int hash = ConnectionIdHash.of(7, id, 0, ID.length);
        assertThat(ConnectionIdHash.finish(ConnectionIdHash.of(8, id, 0, ID.length))).as("another seed")
                .isNotEqualTo(ConnectionIdHash.finish(hash));
        assertThat(ConnectionIdHash.finish(ConnectionIdHash.with(hash, 443))).as("with a port")
                .isNotEqualTo(ConnectionIdHash.finish(hash));
    }

    @Test
    void theFinishedHashIsNeverZeroAndSpreadsItsLowBits() {
        ByteBuf id = Unpooled.buffer(4);
        Set<Integer> places = new HashSet<>();
        for (int n = 0; n < 4096; n++) {
            int hash = ConnectionIdHash.finish(ConnectionIdHash.of(0, id.clear().writeInt(n), 0, 4));
            assertThat(hash).isNotZero();
            places.add(hash & 1023);
        }
        // 4096 sequential IDs into 1024 places: a good spread leaves about 1024 (1 - e^-4) = 1005 taken
        assertThat(places.size()).as("places taken").isGreaterThan(950);
        assertThat(ConnectionIdHash.finish(0)).as("0 itself").isNotZero();
    }
}
