package io.quicxdp.datapath.internal.packet;

import static io.quicxdp.datapath.internal.packet.TestFrames.DESTINATION_MAC;
import static io.quicxdp.datapath.internal.packet.TestFrames.SOURCE_MAC;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;

import io.quicxdp.datapath.config.UdpChecksumPolicy;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.HexFormat;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class UdpFrameWriterTests {

    private static final int IPV4_SOURCE = 0xC000_0201;
    private static final int IPV4_DESTINATION = 0xC633_6402;
    private static final long IPV6_HIGH = 0x2001_0DB8_0000_0000L;
    private static final long IPV6_SOURCE_LOW = 1L;
    private static final long IPV6_DESTINATION_LOW = 2L;

    /** Where frames are written: inside a larger buffer, at an odd index, as in a UMEM. */
    private static final int OFFSET = 4099;

    /** A buffer in the machine's order, as JNA hands out native memory; the writer must not care. */
    private final ByteBuffer umem = ByteBuffer.allocateDirect(OFFSET + 70_000).order(ByteOrder.nativeOrder());

    private final ParsedUdpFrame parsed = new ParsedUdpFrame();

    @Test
    void headerLengthsAreEthernetPlusIpPlusUdp() {
        assertThat(UdpFrameWriter.IPV4_HEADERS_LENGTH).isEqualTo(42);
        assertThat(UdpFrameWriter.IPV6_HEADERS_LENGTH).isEqualTo(62);
    }

    @Test
    void writesTheHandBuiltIpv4FrameByteForByte() {
        int length = UdpFrameWriter.writeIpv4(umem, OFFSET, DESTINATION_MAC, SOURCE_MAC, IPV4_SOURCE, IPV4_DESTINATION,
                12345, 443, ascii("hi"), 0, 2);

        assertThat(length).isEqualTo(44);
        assertThat(hex(umem, OFFSET, length)).isEqualTo(TestFrames.IPV4_HI_FRAME);
    }

    @Test
    void writesTheHandBuiltIpv6FrameByteForByte() {
        int length = UdpFrameWriter.writeIpv6(umem, OFFSET, DESTINATION_MAC, SOURCE_MAC,
                IPV6_HIGH, IPV6_SOURCE_LOW, IPV6_HIGH, IPV6_DESTINATION_LOW, 12345, 443, ascii("hi!"), 0, 3);

        assertThat(length).isEqualTo(65);
        assertThat(hex(umem, OFFSET, length)).isEqualTo(TestFrames.IPV6_HI_FRAME);
    }

    @ParameterizedTest(name = "payload of {0} bytes")
    @ValueSource(ints = {0, 1, 2, 7, 1472, UdpFrameWriter.MAX_IPV4_PAYLOAD_LENGTH})
    void ipv4FramesParseBackToWhatWasWritten(int payloadLength) {
        ByteBuffer payload = randomPayload(payloadLength);

        int length = UdpFrameWriter.writeIpv4(umem, OFFSET, DESTINATION_MAC, SOURCE_MAC, IPV4_SOURCE, IPV4_DESTINATION,
                40000, 53, payload, 5, payloadLength);

        assertThat(length).isEqualTo(42 + payloadLength);
        assertThat(payload.position()).as("payload position untouched").isEqualTo(3);
        assertThat(UdpFrameParser.parse(umem, OFFSET, length, UdpChecksumPolicy.STRICT, parsed)).isNull();
        assertThat(parsed.destinationMac()).isEqualTo(DESTINATION_MAC);
        assertThat(parsed.sourceMac()).isEqualTo(SOURCE_MAC);
        assertThat(parsed.ipVersion()).isEqualTo(4);
        assertThat(parsed.ipv4SourceAddress()).isEqualTo(IPV4_SOURCE);
        assertThat(parsed.ipv4DestinationAddress()).isEqualTo(IPV4_DESTINATION);
        assertThat(parsed.sourcePort()).isEqualTo(40000);
        assertThat(parsed.destinationPort()).isEqualTo(53);
        assertThat(parsed.payloadOffset()).isEqualTo(OFFSET + 42);
        assertThat(payloadOf(parsed)).isEqualTo(bytes(payload, 5, payloadLength));

        int ip = OFFSET + EthernetHeader.LENGTH;
        assertThat(Ipv4Header.versionIhl(umem, ip)).isEqualTo(0x45);
        assertThat(Ipv4Header.typeOfService(umem, ip)).isZero();
        assertThat(Ipv4Header.identification(umem, ip)).isZero();
        assertThat(Ipv4Header.flagsFragmentOffset(umem, ip)).isEqualTo(Ipv4Header.FLAG_DONT_FRAGMENT);
        assertThat(Ipv4Header.timeToLive(umem, ip)).isEqualTo(64);
        assertThat(UdpHeader.checksum(umem, ip + 20)).as("UDP checksum always sent").isNotZero();
    }

    @ParameterizedTest(name = "payload of {0} bytes")
    @ValueSource(ints = {0, 1, 2, 7, 1472, UdpFrameWriter.MAX_IPV6_PAYLOAD_LENGTH})
    void ipv6FramesParseBackToWhatWasWritten(int payloadLength) {
        ByteBuffer payload = randomPayload(payloadLength);

        int length = UdpFrameWriter.writeIpv6(umem, OFFSET, DESTINATION_MAC, SOURCE_MAC,
                IPV6_HIGH, IPV6_SOURCE_LOW, IPV6_HIGH, IPV6_DESTINATION_LOW, 40000, 53, payload, 5, payloadLength);

        assertThat(length).isEqualTo(62 + payloadLength);
        assertThat(payload.position()).as("payload position untouched").isEqualTo(3);
        assertThat(UdpFrameParser.parse(umem, OFFSET, length, UdpChecksumPolicy.STRICT, parsed)).isNull();
        assertThat(parsed.ipVersion()).isEqualTo(6);
        assertThat(parsed.ipv6SourceAddressHigh()).isEqualTo(IPV6_HIGH);
        assertThat(parsed.ipv6SourceAddressLow()).isEqualTo(IPV6_SOURCE_LOW);
        assertThat(parsed.ipv6DestinationAddressHigh()).isEqualTo(IPV6_HIGH);
        assertThat(parsed.ipv6DestinationAddressLow()).isEqualTo(IPV6_DESTINATION_LOW);
        assertThat(parsed.sourcePort()).isEqualTo(40000);
        assertThat(parsed.destinationPort()).isEqualTo(53);
        assertThat(parsed.payloadOffset()).isEqualTo(OFFSET + 62);
        assertThat(payloadOf(parsed)).isEqualTo(bytes(payload, 5, payloadLength));

        int ip = OFFSET + EthernetHeader.LENGTH;
        assertThat(Ipv6Header.versionClassFlow(umem, ip)).as("traffic class and flow label 0").isEqualTo(0x6000_0000);
        assertThat(Ipv6Header.hopLimit(umem, ip)).isEqualTo(64);
    }

    @Test
    void ipv4ChecksumComputingToZeroIsSentAsFfff() {
        ByteBuffer payload = ByteBuffer.allocateDirect(2);
        UdpFrameWriter.writeIpv4(umem, OFFSET, DESTINATION_MAC, SOURCE_MAC, IPV4_SOURCE, IPV4_DESTINATION,
                1, 2, payload, 0, 2);
        // The checksum over a zero payload, used as the payload, brings the sum to ffff: checksum 0.
        payload.putShort(0, (short) UdpHeader.checksum(umem, OFFSET + 34));

        int length = UdpFrameWriter.writeIpv4(umem, OFFSET, DESTINATION_MAC, SOURCE_MAC, IPV4_SOURCE, IPV4_DESTINATION,
                1, 2, payload, 0, 2);

        assertThat(UdpHeader.checksum(umem, OFFSET + 34)).isEqualTo(0xFFFF);
        assertThat(UdpFrameParser.parse(umem, OFFSET, length, UdpChecksumPolicy.STRICT, parsed)).isNull();
    }

    @Test
    void ipv6ChecksumComputingToZeroIsSentAsFfff() {
        ByteBuffer payload = ByteBuffer.allocateDirect(2);
        UdpFrameWriter.writeIpv6(umem, OFFSET, DESTINATION_MAC, SOURCE_MAC,
                IPV6_HIGH, IPV6_SOURCE_LOW, IPV6_HIGH, IPV6_DESTINATION_LOW, 1, 2, payload, 0, 2);
        payload.putShort(0, (short) UdpHeader.checksum(umem, OFFSET + 54));

        int length = UdpFrameWriter.writeIpv6(umem, OFFSET, DESTINATION_MAC, SOURCE_MAC,
                IPV6_HIGH, IPV6_SOURCE_LOW, IPV6_HIGH, IPV6_DESTINATION_LOW, 1, 2, payload, 0, 2);

        assertThat(UdpHeader.checksum(umem, OFFSET + 54)).isEqualTo(0xFFFF);
        assertThat(UdpFrameParser.parse(umem, OFFSET, length, UdpChecksumPolicy.STRICT, parsed)).isNull();
    }

    @Test
    void payloadAlreadyInPlaceInTheFrameIsKept() {
        byte[] expected = "written straight into the frame".getBytes(StandardCharsets.US_ASCII);
        umem.put(OFFSET + UdpFrameWriter.IPV6_HEADERS_LENGTH, expected);

        int length = UdpFrameWriter.writeIpv6(umem, OFFSET, DESTINATION_MAC, SOURCE_MAC,
                IPV6_HIGH, IPV6_SOURCE_LOW, IPV6_HIGH, IPV6_DESTINATION_LOW, 1, 2,
                umem, OFFSET + UdpFrameWriter.IPV6_HEADERS_LENGTH, expected.length);

        assertThat(UdpFrameParser.parse(umem, OFFSET, length, UdpChecksumPolicy.STRICT, parsed)).isNull();
        assertThat(payloadOf(parsed)).isEqualTo(expected);
    }

    @Test
    void rejectsBadRangesWithoutWritingAnything() {
        ByteBuffer small = ByteBuffer.allocateDirect(100);
        ByteBuffer payload = ByteBuffer.allocateDirect(100);

        assertThatExceptionOfType(IndexOutOfBoundsException.class).as("frame does not fit")
                .isThrownBy(() -> UdpFrameWriter.writeIpv4(small, 50, 1, 2, 3, 4, 5, 6, payload, 0, 9));
        assertThatExceptionOfType(IndexOutOfBoundsException.class).as("payload range beyond its buffer")
                .isThrownBy(() -> UdpFrameWriter.writeIpv6(small, 0, 1, 2, 3, 4, 5, 6, 7, 8, payload, 95, 10));
        assertThatExceptionOfType(IllegalArgumentException.class)
                .isThrownBy(() -> UdpFrameWriter.writeIpv4(umem, 0, 1, 2, 3, 4, 5, 6, payload, 0, -1))
                .withMessage("payload length -1 is outside 0..65507");
        assertThatExceptionOfType(IllegalArgumentException.class)
                .isThrownBy(() -> UdpFrameWriter.writeIpv6(umem, 0, 1, 2, 3, 4, 5, 6, 7, 8, payload, 0, 65528))
                .withMessage("payload length 65528 is outside 0..65527");
        assertThat(hex(small, 0, 100)).isEqualTo("00".repeat(100));
    }

    /** Random bytes at index 5 of a direct buffer whose position (3) and limit are set, to see they are left alone. */
    private static ByteBuffer randomPayload(int length) {
        byte[] bytes = new byte[length];
        new Random(length).nextBytes(bytes);
        ByteBuffer payload = ByteBuffer.allocateDirect(5 + length + 2);
        payload.put(5, bytes).position(3);
        return payload;
    }

    private static ByteBuffer ascii(String text) {
        byte[] bytes = text.getBytes(StandardCharsets.US_ASCII);
        return ByteBuffer.allocateDirect(bytes.length).put(0, bytes);
    }

    private static byte[] bytes(ByteBuffer buffer, int offset, int length) {
        byte[] bytes = new byte[length];
        buffer.get(offset, bytes);
        return bytes;
    }

    private static String hex(ByteBuffer buffer, int offset, int length) {
        return HexFormat.of().formatHex(bytes(buffer, offset, length));
    }

    private static byte[] payloadOf(ParsedUdpFrame parsed) {
        return bytes(parsed.buffer(), parsed.payloadOffset(), parsed.payloadLength());
    }
}
