package io.quicxdp.datapath.internal.packet;

import io.quicxdp.datapath.config.UdpChecksumPolicy;
import io.quicxdp.datapath.state.DropReason;
import java.nio.ByteBuffer;

/**
 * Validates a received Ethernet frame as UDP over IPv4 or IPv6 and finds its parts, without allocating
 * and without throwing, whatever the frame's bytes or the range's bounds.
 *
 * <p>What is accepted:
 * <ul>
 *   <li>Untagged Ethernet II only; a VLAN-tagged frame is {@link DropReason#VLAN_TAGGED}, because
 *       replies are written untagged and would go out on the wrong VLAN.</li>
 *   <li>IPv4 with or without options, correct header checksum, not a fragment. A UDP checksum of 0
 *       means none was sent and is accepted; any other value must be correct.</li>
 *   <li>IPv6 with UDP after the fixed header or after hop-by-hop (first only), routing and destination
 *       options headers. A fragment header is {@link DropReason#FRAGMENTED}; any other next header is
 *       {@link DropReason#NOT_UDP}. The UDP checksum must be present and correct. A routing header
 *       with segments left is not acted on: its packet is addressed to another node, and the
 *       checksum is verified against the destination address as it stands.</li>
 *   <li>What "correct" means for a UDP checksum is the caller's {@link UdpChecksumPolicy}: it may also
 *       accept a local sender's partial checksum, or not verify UDP checksums at all.</li>
 * </ul>
 * The IP total or payload length, not the frame length, bounds the packet (Ethernet pads short frames),
 * and the UDP length bounds the payload (bytes after it inside the IP packet are ignored).
 */
public final class UdpFrameParser {

    private UdpFrameParser() {
    }

    /**
     * Parses the frame of {@code length} bytes at index {@code offset} of {@code frame}. Reads only;
     * the buffer's position and limit are not used or changed.
     *
     * @param checksums which UDP checksums to accept
     * @param into filled with the frame's layout on success; unspecified after a drop
     * @return {@code null} if the frame is a valid UDP datagram, otherwise why it must be dropped. A
     *     range not inside the buffer's limit is {@link DropReason#FRAME_TOO_SHORT}: none of it can be read.
     */
    public static DropReason parse(
            ByteBuffer frame, int offset, int length, UdpChecksumPolicy checksums, ParsedUdpFrame into) {
        if (offset < 0 || length < EthernetHeader.LENGTH || offset > frame.limit() - length) {
            return DropReason.FRAME_TOO_SHORT;
        }
        int ipOffset = offset + EthernetHeader.LENGTH;
        int ipRoom = length - EthernetHeader.LENGTH;
        switch (EthernetHeader.etherType(frame, offset)) {
            case EthernetHeader.ETHER_TYPE_IPV4:
                return parseIpv4(frame, offset, length, ipOffset, ipRoom, checksums, into);
            case EthernetHeader.ETHER_TYPE_IPV6:
                return parseIpv6(frame, offset, length, ipOffset, ipRoom, checksums, into);
            case EthernetHeader.ETHER_TYPE_VLAN:
            case EthernetHeader.ETHER_TYPE_SERVICE_VLAN:
                return DropReason.VLAN_TAGGED;
            default:
                return DropReason.NOT_IP;
        }
    }

    private static DropReason parseIpv4(ByteBuffer frame, int offset, int length, int ipOffset, int ipRoom,
            UdpChecksumPolicy checksums, ParsedUdpFrame into) {
        if (ipRoom < Ipv4Header.LENGTH) {
            return DropReason.IPV4_MALFORMED;
        }
        int headerLength = Ipv4Header.headerLength(frame, ipOffset);
        int totalLength = Ipv4Header.totalLength(frame, ipOffset);
        if (Ipv4Header.version(frame, ipOffset) != Ipv4Header.VERSION
                || headerLength < Ipv4Header.LENGTH
                || totalLength < headerLength
                || totalLength > ipRoom) {
            return DropReason.IPV4_MALFORMED;
        }
        if (!Checksums.isIpv4HeaderChecksumValid(frame, ipOffset, headerLength)) {
            return DropReason.IPV4_BAD_CHECKSUM;
        }
        int fragmentBits = Ipv4Header.FLAG_MORE_FRAGMENTS | Ipv4Header.FRAGMENT_OFFSET_MASK;
        if ((Ipv4Header.flagsFragmentOffset(frame, ipOffset) & fragmentBits) != 0) {
            return DropReason.FRAGMENTED;
        }
        if (Ipv4Header.protocol(frame, ipOffset) != UdpHeader.IP_PROTOCOL_NUMBER) {
            return DropReason.NOT_UDP;
        }
        int udpOffset = ipOffset + headerLength;
        int udpLength = udpLength(frame, udpOffset, totalLength - headerLength);
        if (udpLength < 0) {
            return DropReason.UDP_MALFORMED;
        }
        boolean partial = false;
        // Zero means the sender computed no checksum, which IPv4 allows.
        if (checksums != UdpChecksumPolicy.SKIP && UdpHeader.checksum(frame, udpOffset) != 0
                && !Checksums.isUdpIpv4ChecksumValid(frame, ipOffset, udpOffset, udpLength)) {
            partial = checksums == UdpChecksumPolicy.ACCEPT_PARTIAL
                    && Checksums.isUdpIpv4ChecksumPartial(frame, ipOffset, udpOffset, udpLength);
            if (!partial) {
                return DropReason.UDP_BAD_CHECKSUM;
            }
        }
        into.set(frame, offset, length, ipOffset, Ipv4Header.VERSION, udpOffset, udpLength, partial);
        return null;
    }

    private static DropReason parseIpv6(ByteBuffer frame, int offset, int length, int ipOffset, int ipRoom,
            UdpChecksumPolicy checksums, ParsedUdpFrame into) {
        if (ipRoom < Ipv6Header.LENGTH
                || Ipv6Header.version(frame, ipOffset) != Ipv6Header.VERSION
                || Ipv6Header.payloadLength(frame, ipOffset) > ipRoom - Ipv6Header.LENGTH) {
            return DropReason.IPV6_MALFORMED;
        }
        int firstHeaderOffset = ipOffset + Ipv6Header.LENGTH;
        int end = firstHeaderOffset + Ipv6Header.payloadLength(frame, ipOffset);
        int nextHeader = Ipv6Header.nextHeader(frame, ipOffset);
        int cursor = firstHeaderOffset;
        // Each extension header is at least 8 bytes and must end within the payload, so this ends.
        while (nextHeader != UdpHeader.IP_PROTOCOL_NUMBER) {
            if (nextHeader == Ipv6Header.NEXT_HEADER_FRAGMENT) {
                return DropReason.FRAGMENTED;
            }
            if (nextHeader != Ipv6Header.NEXT_HEADER_ROUTING
                    && nextHeader != Ipv6Header.NEXT_HEADER_DESTINATION_OPTIONS
                    && nextHeader != Ipv6Header.NEXT_HEADER_HOP_BY_HOP) {
                return DropReason.NOT_UDP;
            }
            // RFC 8200 allows hop-by-hop only directly after the fixed header.
            if (nextHeader == Ipv6Header.NEXT_HEADER_HOP_BY_HOP && cursor != firstHeaderOffset) {
                return DropReason.IPV6_MALFORMED;
            }
            if (end - cursor < 2) {
                return DropReason.IPV6_MALFORMED;
            }
            int extensionLength = Ipv6Header.extensionHeaderLength(frame, cursor);
            if (extensionLength > end - cursor) {
                return DropReason.IPV6_MALFORMED;
            }
            nextHeader = Ipv6Header.extensionNextHeader(frame, cursor);
            cursor += extensionLength;
        }
        int udpLength = udpLength(frame, cursor, end - cursor);
        if (udpLength < 0) {
            return DropReason.UDP_MALFORMED;
        }
        boolean partial = false;
        // IPv6 makes the UDP checksum mandatory, so zero is as wrong as any other bad value (and is never
        // partial: a folded pseudo-header sum is not zero).
        if (checksums != UdpChecksumPolicy.SKIP && (UdpHeader.checksum(frame, cursor) == 0
                || !Checksums.isUdpIpv6ChecksumValid(frame, ipOffset, cursor, udpLength))) {
            partial = checksums == UdpChecksumPolicy.ACCEPT_PARTIAL
                    && Checksums.isUdpIpv6ChecksumPartial(frame, ipOffset, cursor, udpLength);
            if (!partial) {
                return DropReason.UDP_BAD_CHECKSUM;
            }
        }
        into.set(frame, offset, length, ipOffset, Ipv6Header.VERSION, cursor, udpLength, partial);
        return null;
    }

    /** The UDP length field if the datagram fits in {@code room} bytes of IP payload, otherwise -1. */
    private static int udpLength(ByteBuffer frame, int udpOffset, int room) {
        if (room < UdpHeader.LENGTH) {
            return -1;
        }
        int udpLength = UdpHeader.datagramLength(frame, udpOffset);
        return udpLength < UdpHeader.LENGTH || udpLength > room ? -1 : udpLength;
    }
}
