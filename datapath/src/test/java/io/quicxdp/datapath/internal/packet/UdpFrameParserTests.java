package io.quicxdp.datapath.internal.packet;

import static io.quicxdp.datapath.internal.packet.TestFrames.DESTINATION_MAC;
import static io.quicxdp.datapath.internal.packet.TestFrames.DESTINATION_PORT;
import static io.quicxdp.datapath.internal.packet.TestFrames.IPV4_DESTINATION;
import static io.quicxdp.datapath.internal.packet.TestFrames.IPV4_SOURCE;
import static io.quicxdp.datapath.internal.packet.TestFrames.IPV6_DESTINATION;
import static io.quicxdp.datapath.internal.packet.TestFrames.IPV6_SOURCE;
import static io.quicxdp.datapath.internal.packet.TestFrames.IP_OFFSET;
import static io.quicxdp.datapath.internal.packet.TestFrames.SOURCE_MAC;
import static io.quicxdp.datapath.internal.packet.TestFrames.SOURCE_PORT;
import static org.assertj.core.api.Assertions.assertThat;

import io.quicxdp.datapath.config.UdpChecksumPolicy;
import io.quicxdp.datapath.internal.packet.TestFrames.Extension;
import io.quicxdp.datapath.state.DropReason;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;
import java.util.function.Consumer;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;

class UdpFrameParserTests {

    /** Where {@link #parse} puts frames in its buffer: odd, so nothing relies on alignment. */
    private static final int FRAME_OFFSET = 37;

    private static final byte[] PAYLOAD = "hello, datapath".getBytes(StandardCharsets.US_ASCII);

    private final ParsedUdpFrame parsed = new ParsedUdpFrame();

    @Test
    void acceptsIpv4AndFindsEveryPart() {
        byte[] frame = TestFrames.ipv4(PAYLOAD);

        assertThat(parse(frame, parsed)).isNull();

        assertThat(parsed.frameOffset()).isEqualTo(FRAME_OFFSET);
        assertThat(parsed.frameLength()).isEqualTo(frame.length);
        assertThat(parsed.destinationMac()).isEqualTo(DESTINATION_MAC);
        assertThat(parsed.sourceMac()).isEqualTo(SOURCE_MAC);
        assertThat(parsed.ipVersion()).isEqualTo(4);
        assertThat(parsed.addressLength()).isEqualTo(4);
        assertThat(parsed.sourceAddressOffset()).isEqualTo(FRAME_OFFSET + IP_OFFSET + 12);
        assertThat(parsed.destinationAddressOffset()).isEqualTo(FRAME_OFFSET + IP_OFFSET + 16);
        assertThat(parsed.ipv4SourceAddress()).isEqualTo(0xC000_0201);
        assertThat(parsed.ipv4DestinationAddress()).isEqualTo(0xC633_6402);
        assertThat(parsed.sourcePort()).isEqualTo(SOURCE_PORT);
        assertThat(parsed.destinationPort()).isEqualTo(DESTINATION_PORT);
        assertThat(parsed.payloadOffset()).isEqualTo(FRAME_OFFSET + IP_OFFSET + 20 + 8);
        assertThat(payload(parsed)).isEqualTo(PAYLOAD);
    }

    @Test
    void comparesAndCopiesAddressesWithoutTheCallerKnowingOffsets() {
        assertThat(parse(TestFrames.ipv4(PAYLOAD), parsed)).isNull();

        assertThat(parsed.destinationAddressEquals(IPV4_DESTINATION)).isTrue();
        assertThat(parsed.destinationAddressEquals(IPV4_SOURCE)).isFalse();
        assertThat(parsed.sourceAddressEquals(IPV4_SOURCE)).isTrue();
        assertThat(parsed.destinationAddressEquals(Arrays.copyOf(IPV4_DESTINATION, 16)))
                .as("an IPv6 address never equals an IPv4 one").isFalse();
        byte[] into = new byte[16];
        assertThat(parsed.copySourceAddress(into)).isEqualTo(4);
        assertThat(Arrays.copyOf(into, 4)).isEqualTo(IPV4_SOURCE);
        assertThat(parsed.copyDestinationAddress(into)).isEqualTo(4);
        assertThat(Arrays.copyOf(into, 4)).isEqualTo(IPV4_DESTINATION);
    }

    @Test
    void acceptsIpv4WithOptionsAndFindsUdpAfterThem() {
        byte[] options = {(byte) 0x94, 4, 0, 0, 1, 1, 1, 0}; // router alert, two NOPs, end of list
        byte[] frame = TestFrames.ipv4(options, PAYLOAD, 0);

        assertThat(parse(frame, parsed)).isNull();

        assertThat(parsed.sourcePort()).isEqualTo(SOURCE_PORT);
        assertThat(parsed.payloadOffset()).isEqualTo(FRAME_OFFSET + IP_OFFSET + 28 + 8);
        assertThat(payload(parsed)).isEqualTo(PAYLOAD);
        assertThat(parsed.destinationAddressEquals(IPV4_DESTINATION)).isTrue();
    }

    @Test
    void ignoresEthernetPaddingOfAShortFrame() {
        // 14 + 20 + 8 + 1 = 43 bytes, padded to Ethernet's 60-byte minimum.
        byte[] frame = TestFrames.ipv4(new byte[0], new byte[] {42}, 17);
        assertThat(frame).hasSize(60);

        assertThat(parse(frame, parsed)).isNull();

        assertThat(parsed.frameLength()).isEqualTo(60);
        assertThat(payload(parsed)).containsExactly(42);
    }

    @Test
    void acceptsIpv4WithoutAUdpChecksum() {
        byte[] frame = change(TestFrames.ipv4(PAYLOAD), b -> b.putShort(IP_OFFSET + 26, (short) 0));

        assertThat(parse(frame, parsed)).isNull();
        assertThat(payload(parsed)).isEqualTo(PAYLOAD);
    }

    @Test
    void payloadEndsWhereTheUdpLengthSaysEvenIfTheIpPacketGoesOn() {
        byte[] frame = change(TestFrames.ipv4(PAYLOAD), b -> b.putShort(IP_OFFSET + 24, (short) (8 + 5)));
        TestFrames.fixIpv4UdpChecksum(frame);

        assertThat(parse(frame, parsed)).isNull();
        assertThat(payload(parsed)).isEqualTo(Arrays.copyOf(PAYLOAD, 5));
    }

    @Test
    void acceptsIpv6AndFindsEveryPart() {
        byte[] frame = TestFrames.ipv6(PAYLOAD);

        assertThat(parse(frame, parsed)).isNull();

        assertThat(parsed.ipVersion()).isEqualTo(6);
        assertThat(parsed.addressLength()).isEqualTo(16);
        assertThat(parsed.destinationMac()).isEqualTo(DESTINATION_MAC);
        assertThat(parsed.sourceMac()).isEqualTo(SOURCE_MAC);
        assertThat(parsed.sourceAddressOffset()).isEqualTo(FRAME_OFFSET + IP_OFFSET + 8);
        assertThat(parsed.destinationAddressOffset()).isEqualTo(FRAME_OFFSET + IP_OFFSET + 24);
        assertThat(parsed.sourceAddressEquals(IPV6_SOURCE)).isTrue();
        assertThat(parsed.destinationAddressEquals(IPV6_DESTINATION)).isTrue();
        assertThat(parsed.destinationAddressEquals(IPV6_SOURCE)).isFalse();
        assertThat(parsed.ipv6SourceAddressHigh()).isEqualTo(0x2001_0DB8_0000_0000L);
        assertThat(parsed.ipv6SourceAddressLow()).isEqualTo(1L);
        assertThat(parsed.ipv6DestinationAddressHigh()).isEqualTo(0x2001_0DB8_0000_0000L);
        assertThat(parsed.ipv6DestinationAddressLow()).isEqualTo(2L);
        byte[] into = new byte[16];
        assertThat(parsed.copyDestinationAddress(into)).isEqualTo(16);
        assertThat(into).isEqualTo(IPV6_DESTINATION);
        assertThat(parsed.sourcePort()).isEqualTo(SOURCE_PORT);
        assertThat(parsed.destinationPort()).isEqualTo(DESTINATION_PORT);
        assertThat(parsed.payloadOffset()).isEqualTo(FRAME_OFFSET + IP_OFFSET + 40 + 8);
        assertThat(payload(parsed)).isEqualTo(PAYLOAD);
    }

    @Test
    void acceptsIpv6AfterADestinationOptionsHeader() {
        byte[] frame = TestFrames.ipv6(PAYLOAD, new Extension(Ipv6Header.NEXT_HEADER_DESTINATION_OPTIONS, 1));

        assertThat(parse(frame, parsed)).isNull();

        assertThat(parsed.payloadOffset()).isEqualTo(FRAME_OFFSET + IP_OFFSET + 40 + 16 + 8);
        assertThat(payload(parsed)).isEqualTo(PAYLOAD);
        assertThat(parsed.destinationAddressEquals(IPV6_DESTINATION)).isTrue();
    }

    @Test
    void acceptsIpv6AfterHopByHopRoutingAndDestinationOptionsHeaders() {
        byte[] frame = TestFrames.ipv6(PAYLOAD,
                Extension.of(Ipv6Header.NEXT_HEADER_HOP_BY_HOP),
                new Extension(Ipv6Header.NEXT_HEADER_ROUTING, 2),
                Extension.of(Ipv6Header.NEXT_HEADER_DESTINATION_OPTIONS));

        assertThat(parse(frame, parsed)).isNull();

        assertThat(parsed.payloadOffset()).isEqualTo(FRAME_OFFSET + IP_OFFSET + 40 + 8 + 24 + 8 + 8);
        assertThat(payload(parsed)).isEqualTo(PAYLOAD);
    }

    @Test
    void readsInPlaceWithoutMovingTheBufferWhateverItsByteOrder() {
        byte[] frame = TestFrames.ipv4(PAYLOAD);
        ByteBuffer umem = ByteBuffer.allocateDirect(4096).order(ByteOrder.LITTLE_ENDIAN);
        umem.put(2048, frame).position(100).limit(3000);

        assertThat(UdpFrameParser.parse(umem, 2048, frame.length, UdpChecksumPolicy.STRICT, parsed)).isNull();

        assertThat(umem.position()).isEqualTo(100);
        assertThat(umem.limit()).isEqualTo(3000);
        assertThat(parsed.buffer()).isSameAs(umem);
        assertThat(parsed.sourcePort()).isEqualTo(SOURCE_PORT);
        assertThat(parsed.ipv4DestinationAddress()).isEqualTo(0xC633_6402);
        assertThat(payload(parsed)).isEqualTo(PAYLOAD);
    }

    @Test
    void rangeNotInsideTheBufferIsFrameTooShort() {
        byte[] frame = TestFrames.ipv4(PAYLOAD);
        ByteBuffer buffer = ByteBuffer.allocateDirect(256).put(0, frame).limit(frame.length - 1);

        UdpChecksumPolicy policy = UdpChecksumPolicy.ACCEPT_PARTIAL;
        assertThat(UdpFrameParser.parse(buffer, 0, frame.length, policy, parsed))
                .as("the buffer's limit bounds the frame").isEqualTo(DropReason.FRAME_TOO_SHORT);
        assertThat(UdpFrameParser.parse(buffer, -1, 20, policy, parsed)).isEqualTo(DropReason.FRAME_TOO_SHORT);
        assertThat(UdpFrameParser.parse(buffer, 0, -1, policy, parsed)).isEqualTo(DropReason.FRAME_TOO_SHORT);
        assertThat(UdpFrameParser.parse(buffer, 10, Integer.MAX_VALUE, policy, parsed))
                .isEqualTo(DropReason.FRAME_TOO_SHORT);
        assertThat(UdpFrameParser.parse(buffer, Integer.MAX_VALUE, 20, policy, parsed))
                .isEqualTo(DropReason.FRAME_TOO_SHORT);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("droppedFrames")
    void dropsWithTheReasonUnderEveryChecksumPolicy(String description, byte[] frame, DropReason reason) {
        assertThat(parse(frame, UdpChecksumPolicy.STRICT, parsed)).isEqualTo(reason);
        assertThat(parse(frame, UdpChecksumPolicy.ACCEPT_PARTIAL, parsed)).isEqualTo(reason);
        if (reason == DropReason.UDP_BAD_CHECKSUM) {
            assertThat(parse(frame, UdpChecksumPolicy.SKIP, parsed)).as("UDP checksums not verified").isNull();
        }
        else {
            assertThat(parse(frame, UdpChecksumPolicy.SKIP, parsed)).isEqualTo(reason);
        }
    }

    @Test
    void framesAVethDeliveredWithPartialChecksumsAreAcceptedAndFlaggedByDefault() {
        byte[] v4 = HexFormat.of().parseHex(TestFrames.IPV4_PARTIAL_FRAME);
        byte[] v6 = HexFormat.of().parseHex(TestFrames.IPV6_PARTIAL_FRAME);

        assertThat(parse(v4, UdpChecksumPolicy.ACCEPT_PARTIAL, parsed)).isNull();
        assertThat(parsed.partialChecksum()).isTrue();
        assertThat(parsed.sourcePort()).isEqualTo(43686);
        assertThat(parsed.destinationPort()).isEqualTo(4433);
        assertThat(new String(payload(parsed), StandardCharsets.US_ASCII)).isEqualTo("hello partial v4");

        assertThat(parse(v6, UdpChecksumPolicy.ACCEPT_PARTIAL, parsed)).isNull();
        assertThat(parsed.partialChecksum()).isTrue();
        assertThat(parsed.ipVersion()).isEqualTo(6);
        assertThat(new String(payload(parsed), StandardCharsets.US_ASCII)).isEqualTo("hello partial v6!");

        assertThat(parse(TestFrames.ipv4(PAYLOAD), UdpChecksumPolicy.ACCEPT_PARTIAL, parsed)).isNull();
        assertThat(parsed.partialChecksum()).as("a complete checksum, parsed into the same holder").isFalse();
    }

    @Test
    void partialChecksumsAreFoundBehindIpv4OptionsAndIpv6ExtensionHeaders() {
        byte[] v4 = TestFrames.ipv4(new byte[] {1, 1, 1, 0}, PAYLOAD, 17);
        TestFrames.partialIpv4UdpChecksum(v4);
        byte[] v6 = TestFrames.ipv6(PAYLOAD, Extension.of(Ipv6Header.NEXT_HEADER_HOP_BY_HOP),
                new Extension(Ipv6Header.NEXT_HEADER_DESTINATION_OPTIONS, 1));
        TestFrames.partialIpv6UdpChecksum(v6, IP_OFFSET + 40 + 8 + 16);

        for (byte[] frame : List.of(v4, v6)) {
            assertThat(parse(frame, UdpChecksumPolicy.ACCEPT_PARTIAL, parsed)).isNull();
            assertThat(parsed.partialChecksum()).isTrue();
            assertThat(payload(parsed)).isEqualTo(PAYLOAD);
            assertThat(parse(frame, UdpChecksumPolicy.STRICT, parsed)).isEqualTo(DropReason.UDP_BAD_CHECKSUM);
        }
    }

    @Test
    void strictDropsPartialChecksumsAsBad() {
        assertThat(parse(HexFormat.of().parseHex(TestFrames.IPV4_PARTIAL_FRAME), UdpChecksumPolicy.STRICT, parsed))
                .isEqualTo(DropReason.UDP_BAD_CHECKSUM);
        assertThat(parse(HexFormat.of().parseHex(TestFrames.IPV6_PARTIAL_FRAME), UdpChecksumPolicy.STRICT, parsed))
                .isEqualTo(DropReason.UDP_BAD_CHECKSUM);
    }

    @Test
    void onlyTheExactPseudoHeaderSumCountsAsPartial() {
        byte[] v4 = HexFormat.of().parseHex(TestFrames.IPV4_PARTIAL_FRAME);
        byte[] v6 = HexFormat.of().parseHex(TestFrames.IPV6_PARTIAL_FRAME);
        int v4Udp = IP_OFFSET + 20;
        int v6Udp = IP_OFFSET + 40;
        UdpChecksumPolicy policy = UdpChecksumPolicy.ACCEPT_PARTIAL;

        assertThat(parse(change(v4, b -> b.putShort(v4Udp + 6, (short) 0x75AA)), policy, parsed))
                .as("the pseudo-header sum complemented").isEqualTo(DropReason.UDP_BAD_CHECKSUM);
        assertThat(parse(fixedIpv4Header(change(v4, b -> b.put(IP_OFFSET + 19, (byte) 9))), policy, parsed))
                .as("another IPv4 destination").isEqualTo(DropReason.UDP_BAD_CHECKSUM);
        assertThat(parse(change(v6, b -> b.put(IP_OFFSET + 23, (byte) 9)), policy, parsed))
                .as("another IPv6 source").isEqualTo(DropReason.UDP_BAD_CHECKSUM);
        byte[] shorter = change(v6, b -> b.putShort(v6Udp + 4, (short) 24));
        assertThat(parse(shorter, policy, parsed)).as("another UDP length").isEqualTo(DropReason.UDP_BAD_CHECKSUM);
        TestFrames.partialIpv6UdpChecksum(shorter, v6Udp);
        assertThat(parse(shorter, policy, parsed)).as("the same, its partial sum redone").isNull();
        assertThat(parsed.partialChecksum()).isTrue();
        assertThat(parse(change(v6, b -> b.putShort(v6Udp + 6, (short) 0)), policy, parsed))
                .as("no checksum over IPv6").isEqualTo(DropReason.UDP_BAD_CHECKSUM);
    }

    @Test
    void skipAcceptsAnyUdpChecksumAndFlagsNone() {
        byte[] corrupted = change(TestFrames.ipv4(PAYLOAD), b -> b.put(IP_OFFSET + 20 + 8, (byte) 'H'));
        byte[] v6WithoutChecksum = change(TestFrames.ipv6(PAYLOAD), b -> b.putShort(IP_OFFSET + 40 + 6, (short) 0));
        for (byte[] frame : List.of(HexFormat.of().parseHex(TestFrames.IPV4_PARTIAL_FRAME),
                HexFormat.of().parseHex(TestFrames.IPV6_PARTIAL_FRAME), corrupted, v6WithoutChecksum)) {
            assertThat(parse(frame, UdpChecksumPolicy.SKIP, parsed)).isNull();
            assertThat(parsed.partialChecksum()).isFalse();
        }
        assertThat(payload(parsed)).isEqualTo(PAYLOAD);
    }

    @ParameterizedTest
    @EnumSource(UdpChecksumPolicy.class)
    void completeAndAbsentIpv4ChecksumsAreAcceptedUnflaggedUnderEveryPolicy(UdpChecksumPolicy policy) {
        byte[] withoutChecksum = change(TestFrames.ipv4(PAYLOAD), b -> b.putShort(IP_OFFSET + 26, (short) 0));
        for (byte[] frame : List.of(TestFrames.ipv4(PAYLOAD), TestFrames.ipv6(PAYLOAD), withoutChecksum)) {
            assertThat(parse(frame, policy, parsed)).isNull();
            assertThat(parsed.partialChecksum()).isFalse();
            assertThat(payload(parsed)).isEqualTo(PAYLOAD);
        }
    }

    @Test
    void everyReasonTheParserCanGiveHasADroppedFrame() {
        Set<DropReason> covered = droppedFrames().map(a -> (DropReason) a.get()[2]).collect(Collectors.toSet());

        assertThat(covered).isEqualTo(
                EnumSet.complementOf(EnumSet.of(DropReason.NO_ENDPOINT, DropReason.HANDLER_FAILED)));
    }

    static Stream<Arguments> droppedFrames() {
        byte[] v4 = TestFrames.ipv4(PAYLOAD);
        byte[] v6 = TestFrames.ipv6(PAYLOAD);
        byte[] v6WithOptions = TestFrames.ipv6(PAYLOAD, Extension.of(Ipv6Header.NEXT_HEADER_DESTINATION_OPTIONS));
        int v4Udp = IP_OFFSET + 20;
        int v6Udp = IP_OFFSET + 40;
        return Stream.of(
                drop(DropReason.FRAME_TOO_SHORT, "13 bytes", Arrays.copyOf(v4, 13)),

                drop(DropReason.NOT_IP, "ARP", change(v4, b -> b.putShort(12, (short) 0x0806))),

                drop(DropReason.VLAN_TAGGED, "IPv4 in an 802.1Q VLAN tag", vlanTagged(v4, 0x8100)),
                drop(DropReason.VLAN_TAGGED, "IPv6 in an 802.1ad VLAN tag", vlanTagged(v6, 0x88A8)),
                drop(DropReason.VLAN_TAGGED, "Q-in-Q: 802.1ad outside 802.1Q",
                        vlanTagged(vlanTagged(v4, 0x8100), 0x88A8)),

                drop(DropReason.IPV4_MALFORMED, "IPv4 header cut short", Arrays.copyOf(v4, IP_OFFSET + 19)),
                drop(DropReason.IPV4_MALFORMED, "version 6 under the IPv4 ethertype",
                        fixedIpv4Header(change(v4, b -> b.put(IP_OFFSET, (byte) 0x65)))),
                drop(DropReason.IPV4_MALFORMED, "header length 16", change(v4, b -> b.put(IP_OFFSET, (byte) 0x44))),
                drop(DropReason.IPV4_MALFORMED, "header length 60 beyond the frame",
                        change(TestFrames.ipv4(new byte[0]), b -> b.put(IP_OFFSET, (byte) 0x4F))),
                drop(DropReason.IPV4_MALFORMED, "total length shorter than the header",
                        fixedIpv4Header(change(v4, b -> b.putShort(IP_OFFSET + 2, (short) 19)))),
                drop(DropReason.IPV4_MALFORMED, "total length beyond the frame",
                        fixedIpv4Header(change(v4, b -> b.putShort(IP_OFFSET + 2, (short) (v4.length - IP_OFFSET + 1))))),

                drop(DropReason.IPV4_BAD_CHECKSUM, "TTL changed, checksum not",
                        change(v4, b -> b.put(IP_OFFSET + 8, (byte) 63))),

                drop(DropReason.FRAGMENTED, "IPv4 first fragment (more fragments)",
                        fixedIpv4Header(change(v4, b -> b.putShort(IP_OFFSET + 6, (short) Ipv4Header.FLAG_MORE_FRAGMENTS)))),
                drop(DropReason.FRAGMENTED, "IPv4 last fragment (offset 8)",
                        fixedIpv4Header(change(v4, b -> b.putShort(IP_OFFSET + 6, (short) 1)))),
                drop(DropReason.FRAGMENTED, "IPv6 fragment header",
                        TestFrames.ipv6(PAYLOAD, Extension.of(Ipv6Header.NEXT_HEADER_FRAGMENT))),
                drop(DropReason.FRAGMENTED, "IPv6 fragment header after destination options",
                        TestFrames.ipv6(PAYLOAD,
                                Extension.of(Ipv6Header.NEXT_HEADER_DESTINATION_OPTIONS),
                                Extension.of(Ipv6Header.NEXT_HEADER_FRAGMENT))),

                drop(DropReason.NOT_UDP, "IPv4 TCP", fixedIpv4Header(change(v4, b -> b.put(IP_OFFSET + 9, (byte) 6)))),
                drop(DropReason.NOT_UDP, "IPv6 TCP", change(v6, b -> b.put(IP_OFFSET + 6, (byte) 6))),
                drop(DropReason.NOT_UDP, "IPv6 no next header after destination options",
                        change(v6WithOptions, b -> b.put(IP_OFFSET + 40, (byte) 59))),

                drop(DropReason.IPV6_MALFORMED, "IPv6 header cut short", Arrays.copyOf(v6, IP_OFFSET + 39)),
                drop(DropReason.IPV6_MALFORMED, "version 4 under the IPv6 ethertype",
                        change(v6, b -> b.put(IP_OFFSET, (byte) 0x40))),
                drop(DropReason.IPV6_MALFORMED, "payload length beyond the frame",
                        change(v6, b -> b.putShort(IP_OFFSET + 4, (short) (v6.length - IP_OFFSET - 40 + 1)))),
                drop(DropReason.IPV6_MALFORMED, "extension header longer than the payload",
                        change(v6WithOptions, b -> b.put(IP_OFFSET + 41, (byte) 10))),
                drop(DropReason.IPV6_MALFORMED, "payload ends inside an extension header's first two bytes",
                        change(v6WithOptions, b -> b.putShort(IP_OFFSET + 4, (short) 1))),
                drop(DropReason.IPV6_MALFORMED, "hop-by-hop after destination options",
                        TestFrames.ipv6(PAYLOAD,
                                Extension.of(Ipv6Header.NEXT_HEADER_DESTINATION_OPTIONS),
                                Extension.of(Ipv6Header.NEXT_HEADER_HOP_BY_HOP))),

                drop(DropReason.UDP_MALFORMED, "IPv4 payload shorter than a UDP header",
                        fixedIpv4Header(change(v4, b -> b.putShort(IP_OFFSET + 2, (short) (20 + 7))))),
                drop(DropReason.UDP_MALFORMED, "IPv4 UDP length 7", change(v4, b -> b.putShort(v4Udp + 4, (short) 7))),
                drop(DropReason.UDP_MALFORMED, "IPv4 UDP length beyond the IP payload",
                        change(v4, b -> b.putShort(v4Udp + 4, (short) (8 + PAYLOAD.length + 1)))),
                drop(DropReason.UDP_MALFORMED, "IPv4 UDP length reaching into Ethernet padding",
                        change(TestFrames.ipv4(new byte[0], new byte[] {1}, 17), b -> b.putShort(v4Udp + 4, (short) 10))),
                drop(DropReason.UDP_MALFORMED, "IPv6 payload shorter than a UDP header",
                        change(v6, b -> b.putShort(IP_OFFSET + 4, (short) 4))),
                drop(DropReason.UDP_MALFORMED, "IPv6 UDP length beyond the IP payload",
                        change(v6, b -> b.putShort(v6Udp + 4, (short) (8 + PAYLOAD.length + 1)))),

                drop(DropReason.UDP_BAD_CHECKSUM, "IPv4 payload changed, checksum not",
                        change(v4, b -> b.put(v4Udp + 8, (byte) 'H'))),
                drop(DropReason.UDP_BAD_CHECKSUM, "IPv6 payload changed, checksum not",
                        change(v6, b -> b.put(v6Udp + 8, (byte) 'H'))),
                drop(DropReason.UDP_BAD_CHECKSUM, "IPv6 without a UDP checksum",
                        change(v6, b -> b.putShort(v6Udp + 6, (short) 0))),
                drop(DropReason.UDP_BAD_CHECKSUM, "IPv6 destination changed (pseudo-header)",
                        change(v6, b -> b.put(IP_OFFSET + 39, (byte) 3))));
    }

    private static Arguments drop(DropReason reason, String description, byte[] frame) {
        return Arguments.of(description, frame, reason);
    }

    /** A copy of {@code frame} with a change made through a big-endian view. */
    private static byte[] change(byte[] frame, Consumer<ByteBuffer> change) {
        byte[] copy = frame.clone();
        change.accept(ByteBuffer.wrap(copy));
        return copy;
    }

    private static byte[] fixedIpv4Header(byte[] frame) {
        TestFrames.fixIpv4HeaderChecksum(frame);
        return frame;
    }

    /** {@code frame} with a VLAN tag (VLAN 100) of the given tag protocol before its ethertype. */
    private static byte[] vlanTagged(byte[] frame, int tagProtocol) {
        byte[] tagged = new byte[frame.length + 4];
        System.arraycopy(frame, 0, tagged, 0, 12);
        ByteBuffer.wrap(tagged).putShort(12, (short) tagProtocol).putShort(14, (short) 100);
        System.arraycopy(frame, 12, tagged, 16, frame.length - 12);
        return tagged;
    }

    /** {@link #parse(byte[], UdpChecksumPolicy, ParsedUdpFrame)} under the default policy. */
    private static DropReason parse(byte[] frame, ParsedUdpFrame into) {
        return parse(frame, UdpChecksumPolicy.ACCEPT_PARTIAL, into);
    }

    /**
     * Copies {@code frame} into a fresh direct buffer at {@link #FRAME_OFFSET}, among bytes that are not
     * part of it, and parses it there.
     */
    private static DropReason parse(byte[] frame, UdpChecksumPolicy policy, ParsedUdpFrame into) {
        ByteBuffer buffer = ByteBuffer.allocateDirect(FRAME_OFFSET + frame.length + 64);
        for (int i = 0; i < buffer.capacity(); i++) {
            buffer.put(i, TestFrames.PADDING);
        }
        buffer.put(FRAME_OFFSET, frame);
        return UdpFrameParser.parse(buffer, FRAME_OFFSET, frame.length, policy, into);
    }

    private static byte[] payload(ParsedUdpFrame parsed) {
        byte[] payload = new byte[parsed.payloadLength()];
        parsed.buffer().get(parsed.payloadOffset(), payload);
        return payload;
    }
}
