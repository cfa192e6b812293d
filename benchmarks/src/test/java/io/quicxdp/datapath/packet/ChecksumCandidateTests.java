package io.quicxdp.datapath.packet;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The proposed checksum gives the datapath's result for every length and alignment; no timing here. */
class ChecksumCandidateTests {

    @Test
    void agreesWithTheDatapathsSum() {
        Random random = new Random(7);
        ByteBuffer buffer = ByteBuffer.allocateDirect(1600);
        for (int round = 0; round < 20; round++) {
            for (int i = 0; i < buffer.capacity(); i++) {
                buffer.put(i, (byte) random.nextInt());
            }
            for (int offset = 0; offset < 9; offset++) {
                for (int length = 0; length <= 1500; length += 1 + random.nextInt(7)) {
                    assertThat(ChecksumCandidate.sum(buffer, offset, length))
                            .as("offset %d length %d", offset, length)
                            .isEqualTo(Checksums.sum(buffer, offset, length));
                }
            }
        }
        ByteBuffer ones = ByteBuffer.allocateDirect(1500);
        for (int i = 0; i < ones.capacity(); i++) {
            ones.put(i, (byte) 0xFF);
        }
        assertThat(ChecksumCandidate.sum(ones, 0, 1500)).isEqualTo(Checksums.sum(ones, 0, 1500));
    }
}
