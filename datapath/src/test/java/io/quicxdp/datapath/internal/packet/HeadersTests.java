package io.quicxdp.datapath.internal.packet;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.HexFormat;
import org.junit.jupiter.api.Test;

class HeadersTests {

    @Test
    void ethernetFieldsAreReadAndWrittenInNetworkOrderAtAnOffset() {
        ByteBuffer buffer = ByteBuffer.allocateDirect(3 + EthernetHeader.LENGTH);

        EthernetHeader.destinationMac(buffer, 3, 0xFFFF_0200_0000_0002L);
        EthernetHeader.sourceMac(buffer, 3, 0x0A0B_0C0D_0E0FL);
        EthernetHeader.etherType(buffer, 3, EthernetHeader.ETHER_TYPE_IPV6);

        assertThat(hex(buffer)).isEqualTo("000000" + "020000000002" + "0a0b0c0d0e0f" + "86dd");
        assertThat(EthernetHeader.destinationMac(buffer, 3)).as("only the low 48 bits are a MAC")
                .isEqualTo(0x0200_0000_0002L);
        assertThat(EthernetHeader.sourceMac(buffer, 3)).isEqualTo(0x0A0B_0C0D_0E0FL);
        assertThat(EthernetHeader.etherType(buffer, 3)).isEqualTo(0x86DD);
        assertThat(buffer.position()).isZero();
    }

    @Test
    void macWithTheTopBitSetReadsBackUnsigned() {
        ByteBuffer buffer = ByteBuffer.allocateDirect(EthernetHeader.LENGTH);

        EthernetHeader.sourceMac(buffer, 0, 0xFFFF_FFFF_FFFFL);

        assertThat(EthernetHeader.sourceMac(buffer, 0)).isEqualTo(0xFFFF_FFFF_FFFFL);
    }

    @Test
    void headersUseNetworkOrderEvenInALittleEndianBuffer() {
        ByteBuffer buffer = ByteBuffer.allocateDirect(Ipv6Header.LENGTH).order(ByteOrder.LITTLE_ENDIAN);

        Ipv6Header.versionClassFlow(buffer, 0, 0x6000_0000);
        Ipv6Header.payloadLength(buffer, 0, 0x0102);
        Ipv6Header.sourceAddress(buffer, 0, 0x2001_0DB8_0000_0000L, 1L);

        assertThat(hex(buffer).substring(0, 48)).isEqualTo("60000000" + "0102" + "0000" + "20010db800000000" + "0000000000000001");
        assertThat(Ipv6Header.version(buffer, 0)).isEqualTo(6);
        assertThat(Ipv6Header.payloadLength(buffer, 0)).isEqualTo(0x0102);
        assertThat(Ipv6Header.sourceAddressHigh(buffer, 0)).isEqualTo(0x2001_0DB8_0000_0000L);
    }

    @Test
    void ipv4FieldsOfAHandBuiltHeader() {
        ByteBuffer frame = ByteBuffer.allocateDirect(64).put(0, HexFormat.of().parseHex(TestFrames.IPV4_HI_FRAME));
        int ip = EthernetHeader.LENGTH;

        assertThat(Ipv4Header.version(frame, ip)).isEqualTo(4);
        assertThat(Ipv4Header.headerLength(frame, ip)).isEqualTo(20);
        assertThat(Ipv4Header.totalLength(frame, ip)).isEqualTo(30);
        assertThat(Ipv4Header.flagsFragmentOffset(frame, ip)).isEqualTo(Ipv4Header.FLAG_DONT_FRAGMENT);
        assertThat(Ipv4Header.timeToLive(frame, ip)).isEqualTo(64);
        assertThat(Ipv4Header.protocol(frame, ip)).isEqualTo(UdpHeader.IP_PROTOCOL_NUMBER);
        assertThat(Ipv4Header.headerChecksum(frame, ip)).isEqualTo(0x4E98);
        assertThat(Ipv4Header.sourceAddress(frame, ip)).isEqualTo(0xC000_0201);
        assertThat(Ipv4Header.destinationAddress(frame, ip)).isEqualTo(0xC633_6402);
        assertThat(UdpHeader.sourcePort(frame, ip + 20)).isEqualTo(12345);
        assertThat(UdpHeader.destinationPort(frame, ip + 20)).isEqualTo(443);
        assertThat(UdpHeader.datagramLength(frame, ip + 20)).isEqualTo(10);
        assertThat(UdpHeader.checksum(frame, ip + 20)).isEqualTo(0x7945);
    }

    @Test
    void ipv6ExtensionHeaderLengthCountsEightByteUnitsBeyondTheFirst() {
        ByteBuffer buffer = ByteBuffer.allocateDirect(8);
        buffer.put(0, (byte) UdpHeader.IP_PROTOCOL_NUMBER).put(1, (byte) 2);

        assertThat(Ipv6Header.extensionNextHeader(buffer, 0)).isEqualTo(17);
        assertThat(Ipv6Header.extensionHeaderLength(buffer, 0)).isEqualTo(24);
    }

    private static String hex(ByteBuffer buffer) {
        byte[] bytes = new byte[buffer.limit()];
        buffer.get(0, bytes);
        return HexFormat.of().formatHex(bytes);
    }
}
