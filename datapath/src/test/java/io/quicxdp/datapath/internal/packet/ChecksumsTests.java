package io.quicxdp.datapath.internal.packet;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.HexFormat;
import java.util.Random;
import org.junit.jupiter.api.Test;

class ChecksumsTests {

    @Test
    void rfc1071ExampleSumsAndChecksums() {
        // RFC 1071 section 3: these eight bytes sum to ddf2, so the checksum is its complement.
        ByteBuffer buffer = direct("ffff" + "0001f203f4f5f6f7" + "ffff");

        assertThat(Checksums.sum(buffer, 2, 8)).isEqualTo(0xDDF2);
        assertThat(Checksums.internetChecksum(buffer, 2, 8)).isEqualTo(0x220D);
        assertThat(buffer.position()).isZero();
        assertThat(buffer.limit()).isEqualTo(12);
    }

    @Test
    void oddLengthPadsTheLastByteWithZero() {
        ByteBuffer buffer = direct("0001f203f4f5f6f7ab");

        assertThat(Checksums.internetChecksum(buffer, 0, 9))
                .isEqualTo(ReferenceChecksum.checksum(hex("0001f203f4f5f6f7ab00")));
    }

    @Test
    void emptyRangeHasChecksumFfff() {
        assertThat(Checksums.internetChecksum(direct("1234"), 1, 0)).isEqualTo(0xFFFF);
    }

    @Test
    void matchesTheReferenceForFrameAndJumboLengths() {
        Random random = new Random(791);
        for (int size : new int[] {1208, 1500, 4096, 9000}) {
            byte[] data = new byte[size + 3];
            for (int round = 0; round < 2; round++) {
                if (round == 0) {
                    java.util.Arrays.fill(data, (byte) 0xFF);
                }
                else {
                    random.nextBytes(data);
                }
                ByteBuffer buffer = ByteBuffer.allocateDirect(data.length).put(0, data);
                for (int offset = 0; offset < 4; offset++) {
                    assertThat(Checksums.internetChecksum(buffer, offset, size))
                            .as("offset %d length %d", offset, size)
                            .isEqualTo(ReferenceChecksum.checksum(data, offset, size));
                }
            }
        }
    }

    @Test
    void matchesTheReferenceForEveryLengthAndAlignment() {
        Random random = new Random(1071);
        byte[] data = new byte[300];
        for (int round = 0; round < 20; round++) {
            random.nextBytes(data);
            if (round == 0) {
                // All ones makes every 32-bit half carry, the worst case for the accumulator.
                java.util.Arrays.fill(data, (byte) 0xFF);
            }
            ByteBuffer buffer = ByteBuffer.allocateDirect(data.length).put(0, data);
            for (int offset = 0; offset < 9; offset++) {
                for (int length = 0; length <= data.length - offset; length++) {
                    assertThat(Checksums.internetChecksum(buffer, offset, length))
                            .as("offset %d length %d", offset, length)
                            .isEqualTo(ReferenceChecksum.checksum(data, offset, length));
                }
            }
        }
    }

    @Test
    void readsNetworkOrderWhateverTheBufferOrder() {
        ByteBuffer littleEndian = direct("0001f203f4f5f6f7").order(ByteOrder.LITTLE_ENDIAN);

        assertThat(Checksums.internetChecksum(littleEndian, 0, 8)).isEqualTo(0x220D);
    }

    @Test
    void rangeBeyondTheLimitThrows() {
        ByteBuffer buffer = direct("0001f203f4f5f6f7").limit(6);

        assertThatExceptionOfType(IndexOutOfBoundsException.class).isThrownBy(() -> Checksums.sum(buffer, 0, 8));
        assertThatExceptionOfType(IndexOutOfBoundsException.class).isThrownBy(() -> Checksums.sum(buffer, 2, -1));
    }

    @Test
    void ipv4HeaderChecksumOfAWellKnownHeader() {
        // The usual textbook header, whose checksum is b861; the stored field is ignored when computing.
        ByteBuffer header = direct("450000730000400040110000c0a80001c0a800c7");

        assertThat(Checksums.ipv4HeaderChecksum(header, 0, 20)).isEqualTo(0xB861);
        assertThat(Checksums.isIpv4HeaderChecksumValid(header, 0, 20)).isFalse();
        header.putShort(10, (short) 0xB861);
        assertThat(Checksums.ipv4HeaderChecksum(header, 0, 20)).isEqualTo(0xB861);
        assertThat(Checksums.isIpv4HeaderChecksumValid(header, 0, 20)).isTrue();
    }

    @Test
    void ipv4HeaderChecksumCoversOptions() {
        ByteBuffer frame = ByteBuffer.allocateDirect(100)
                .put(0, TestFrames.ipv4(new byte[] {1, 1, 1, 0}, new byte[] {7}, 0));
        int stored = frame.getShort(TestFrames.IP_OFFSET + 10) & 0xFFFF;

        assertThat(Checksums.ipv4HeaderChecksum(frame, TestFrames.IP_OFFSET, 24)).isEqualTo(stored);
        assertThat(Checksums.isIpv4HeaderChecksumValid(frame, TestFrames.IP_OFFSET, 24)).isTrue();
        frame.put(TestFrames.IP_OFFSET + 22, (byte) 2);
        assertThat(Checksums.isIpv4HeaderChecksumValid(frame, TestFrames.IP_OFFSET, 24)).isFalse();
    }

    @Test
    void ipv4HeaderWithChecksumFfffForAZeroResultIsValid() {
        // One's complement has two zeros: a sender may store ffff where 0000 was computed.
        ByteBuffer header = direct("450000730000400040110000c0a80001c0a800c7");
        // The other words sum to ~b861; an identification of b861 brings that to ffff, computing as 0.
        header.putShort(4, (short) 0xB861);
        assertThat(Checksums.ipv4HeaderChecksum(header, 0, 20)).isZero();

        header.putShort(10, (short) 0xFFFF);
        assertThat(Checksums.isIpv4HeaderChecksumValid(header, 0, 20)).isTrue();
    }

    @Test
    void udpOverIpv4ChecksumOfAHandBuiltDatagram() {
        ByteBuffer frame = direct(TestFrames.IPV4_HI_FRAME);

        assertThat(Checksums.ipv4HeaderChecksum(frame, 14, 20)).isEqualTo(0x4E98);
        assertThat(Checksums.udpIpv4Checksum(frame, 14, 34, 10)).isEqualTo(0x7945);
        assertThat(Checksums.isUdpIpv4ChecksumValid(frame, 14, 34, 10)).isTrue();
        frame.put(43, (byte) 'o');
        assertThat(Checksums.isUdpIpv4ChecksumValid(frame, 14, 34, 10)).isFalse();
    }

    @Test
    void udpOverIpv6ChecksumOfAHandBuiltDatagram() {
        ByteBuffer frame = direct(TestFrames.IPV6_HI_FRAME);

        assertThat(Checksums.udpIpv6Checksum(frame, 14, 54, 11)).isEqualTo(0xE905);
        assertThat(Checksums.isUdpIpv6ChecksumValid(frame, 14, 54, 11)).isTrue();
        frame.put(14 + 39, (byte) 3);
        assertThat(Checksums.isUdpIpv6ChecksumValid(frame, 14, 54, 11)).isFalse();
    }

    @Test
    void udpChecksumsMatchTheReferenceForOddAndEvenPayloads() {
        for (int length : new int[] {0, 1, 2, 3, 17, 1472}) {
            byte[] payload = new byte[length];
            new Random(length).nextBytes(payload);
            byte[] v4 = TestFrames.ipv4(payload);
            byte[] v6 = TestFrames.ipv6(payload);
            ByteBuffer v4Buffer = ByteBuffer.allocateDirect(v4.length).put(0, v4);
            ByteBuffer v6Buffer = ByteBuffer.allocateDirect(v6.length).put(0, v6);

            assertThat(Checksums.udpIpv4Checksum(v4Buffer, 14, 34, 8 + length))
                    .as("IPv4, payload %d", length).isEqualTo(v4Buffer.getShort(40) & 0xFFFF);
            assertThat(Checksums.udpIpv6Checksum(v6Buffer, 14, 54, 8 + length))
                    .as("IPv6, payload %d", length).isEqualTo(v6Buffer.getShort(60) & 0xFFFF);
        }
    }

    @Test
    void udpChecksumThatComputesToZeroIsFfff() {
        ByteBuffer frame = direct(TestFrames.IPV4_HI_FRAME);
        // With a zero payload the checksum is the complement of everything else's sum; using that
        // value as the payload brings the sum to ffff, whose complement is 0.
        frame.putShort(42, (short) 0);
        int withZeroPayload = Checksums.udpIpv4Checksum(frame, 14, 34, 10);
        frame.putShort(42, (short) withZeroPayload);

        assertThat(Checksums.udpIpv4Checksum(frame, 14, 34, 10)).isEqualTo(0xFFFF);
        frame.putShort(40, (short) 0xFFFF);
        assertThat(Checksums.isUdpIpv4ChecksumValid(frame, 14, 34, 10)).isTrue();
    }

    @Test
    void aPartialUdpChecksumIsTheFoldedPseudoHeaderSumAsAVethDeliveredIt() {
        ByteBuffer v4 = direct(TestFrames.IPV4_PARTIAL_FRAME);
        ByteBuffer v6 = direct(TestFrames.IPV6_PARTIAL_FRAME);

        assertThat(Checksums.isUdpIpv4ChecksumValid(v4, 14, 34, 24)).isFalse();
        assertThat(Checksums.isUdpIpv4ChecksumPartial(v4, 14, 34, 24)).isTrue();
        assertThat(Checksums.isUdpIpv6ChecksumValid(v6, 14, 54, 25)).isFalse();
        assertThat(Checksums.isUdpIpv6ChecksumPartial(v6, 14, 54, 25)).isTrue();

        // what the NIC would have done: the complemented sum over the datagram too
        v4.putShort(40, (short) Checksums.udpIpv4Checksum(v4, 14, 34, 24));
        v6.putShort(60, (short) Checksums.udpIpv6Checksum(v6, 14, 54, 25));
        assertThat(Checksums.isUdpIpv4ChecksumValid(v4, 14, 34, 24)).isTrue();
        assertThat(Checksums.isUdpIpv4ChecksumPartial(v4, 14, 34, 24)).isFalse();
        assertThat(Checksums.isUdpIpv6ChecksumValid(v6, 14, 54, 25)).isTrue();
        assertThat(Checksums.isUdpIpv6ChecksumPartial(v6, 14, 54, 25)).isFalse();
    }

    static byte[] hex(String hex) {
        return HexFormat.of().parseHex(hex);
    }

    static ByteBuffer direct(String hex) {
        byte[] bytes = hex(hex);
        return ByteBuffer.allocateDirect(bytes.length).put(0, bytes);
    }
}
