package io.quicxdp.datapath.internal.packet;

import java.nio.ByteBuffer;
import java.util.Objects;

/**
 * Writes complete untagged Ethernet frames carrying one UDP datagram over IPv4 or IPv6, checksums
 * included, without allocating and without touching any buffer's position or limit.
 *
 * <p>IPv4 headers have no options, DSCP/ECN 0, don't-fragment set, identification 0 (RFC 6864 lets
 * atomic datagrams use any value, and a constant keeps the writer stateless and thread-safe) and TTL 64.
 * IPv6 headers have traffic class 0, flow label 0 and hop limit 64. The UDP checksum is always computed.
 */
public final class UdpFrameWriter {

    /** Ethernet, IPv4 and UDP headers: the frame length of an empty IPv4 datagram. */
    public static final int IPV4_HEADERS_LENGTH = EthernetHeader.LENGTH + Ipv4Header.LENGTH + UdpHeader.LENGTH;
    /** Ethernet, IPv6 and UDP headers: the frame length of an empty IPv6 datagram. */
    public static final int IPV6_HEADERS_LENGTH = EthernetHeader.LENGTH + Ipv6Header.LENGTH + UdpHeader.LENGTH;
    /** The largest UDP payload the IPv4 total length field allows. */
    public static final int MAX_IPV4_PAYLOAD_LENGTH = 0xFFFF - Ipv4Header.LENGTH - UdpHeader.LENGTH;
    /** The largest UDP payload the UDP length field allows (IPv6 jumbograms are not written). */
    public static final int MAX_IPV6_PAYLOAD_LENGTH = 0xFFFF - UdpHeader.LENGTH;

    private static final int DEFAULT_HOP_LIMIT = 64;

    private UdpFrameWriter() {
    }

    /**
     * Writes an IPv4 UDP frame at index {@code offset} of {@code frame}.
     *
     * <p>Addresses are in network order ({@code 192.0.2.1} is {@code 0xC000_0201}), MACs in the low 48
     * bits, ports in the low 16 bits. The payload is copied from {@code payloadLength} bytes at index
     * {@code payloadOffset} of {@code payload}, which may be {@code frame} itself, even with the payload
     * already in place at {@code offset + IPV4_HEADERS_LENGTH}.
     *
     * @return the frame's length, {@code IPV4_HEADERS_LENGTH + payloadLength}
     * @throws IllegalArgumentException if {@code payloadLength} is negative or above {@link #MAX_IPV4_PAYLOAD_LENGTH}
     * @throws IndexOutOfBoundsException if the frame or payload range is not within its buffer's limit;
     *     nothing is written then
     */
    public static int writeIpv4(
            ByteBuffer frame,
            int offset,
            long destinationMac,
            long sourceMac,
            int sourceAddress,
            int destinationAddress,
            int sourcePort,
            int destinationPort,
            ByteBuffer payload,
            int payloadOffset,
            int payloadLength) {
        int frameLength = checkRanges(
                frame, offset, IPV4_HEADERS_LENGTH, payload, payloadOffset, payloadLength, MAX_IPV4_PAYLOAD_LENGTH);
        // The payload goes first: both checksums are computed over bytes already in place.
        frame.put(offset + IPV4_HEADERS_LENGTH, payload, payloadOffset, payloadLength);
        writeIpv4Headers(frame, offset, destinationMac, sourceMac, sourceAddress, destinationAddress, sourcePort,
                destinationPort, payloadLength, false);
        return frameLength;
    }

    /**
     * Writes the headers of an IPv4 UDP frame at index {@code offset} of {@code frame} whose {@code payloadLength}
     * bytes of payload are already in place at {@code offset + IPV4_HEADERS_LENGTH}, as {@link #writeIpv4} does
     * after copying the payload. The caller checks the ranges. With {@code partialChecksum} the UDP checksum field
     * gets only the folded pseudo-header sum, for the kernel or the device to finish (TX checksum offload).
     */
    public static void writeIpv4Headers(
            ByteBuffer frame,
            int offset,
            long destinationMac,
            long sourceMac,
            int sourceAddress,
            int destinationAddress,
            int sourcePort,
            int destinationPort,
            int payloadLength,
            boolean partialChecksum) {
        int ipOffset = offset + EthernetHeader.LENGTH;
        int udpOffset = ipOffset + Ipv4Header.LENGTH;
        int udpLength = UdpHeader.LENGTH + payloadLength;

        writeEthernet(frame, offset, destinationMac, sourceMac, EthernetHeader.ETHER_TYPE_IPV4);

        Ipv4Header.versionIhl(frame, ipOffset, (Ipv4Header.VERSION << 4) | (Ipv4Header.LENGTH / 4));
        Ipv4Header.typeOfService(frame, ipOffset, 0);
        Ipv4Header.totalLength(frame, ipOffset, Ipv4Header.LENGTH + udpLength);
        Ipv4Header.identification(frame, ipOffset, 0);
        Ipv4Header.flagsFragmentOffset(frame, ipOffset, Ipv4Header.FLAG_DONT_FRAGMENT);
        Ipv4Header.timeToLive(frame, ipOffset, DEFAULT_HOP_LIMIT);
        Ipv4Header.protocol(frame, ipOffset, UdpHeader.IP_PROTOCOL_NUMBER);
        Ipv4Header.sourceAddress(frame, ipOffset, sourceAddress);
        Ipv4Header.destinationAddress(frame, ipOffset, destinationAddress);
        Ipv4Header.headerChecksum(frame, ipOffset, Checksums.ipv4HeaderChecksum(frame, ipOffset, Ipv4Header.LENGTH));

        writeUdpHeader(frame, udpOffset, sourcePort, destinationPort, udpLength);
        UdpHeader.checksum(frame, udpOffset, partialChecksum
                ? Checksums.ipv4PseudoHeaderSum(frame, ipOffset, udpLength)
                : Checksums.udpIpv4Checksum(frame, ipOffset, udpOffset, udpLength));
    }

    /**
     * Writes an IPv6 UDP frame at index {@code offset} of {@code frame}.
     *
     * <p>Each address is two big-endian halves ({@code 2001:db8::1} is high {@code 0x2001_0DB8_0000_0000L},
     * low {@code 1L}), MACs in the low 48 bits, ports in the low 16 bits. The payload is copied as for
     * {@link #writeIpv4}, and may already be in place at {@code offset + IPV6_HEADERS_LENGTH}.
     *
     * @return the frame's length, {@code IPV6_HEADERS_LENGTH + payloadLength}
     * @throws IllegalArgumentException if {@code payloadLength} is negative or above {@link #MAX_IPV6_PAYLOAD_LENGTH}
     * @throws IndexOutOfBoundsException if the frame or payload range is not within its buffer's limit;
     *     nothing is written then
     */
    public static int writeIpv6(
            ByteBuffer frame,
            int offset,
            long destinationMac,
            long sourceMac,
            long sourceHigh,
            long sourceLow,
            long destinationHigh,
            long destinationLow,
            int sourcePort,
            int destinationPort,
            ByteBuffer payload,
            int payloadOffset,
            int payloadLength) {
        int frameLength = checkRanges(
                frame, offset, IPV6_HEADERS_LENGTH, payload, payloadOffset, payloadLength, MAX_IPV6_PAYLOAD_LENGTH);
        frame.put(offset + IPV6_HEADERS_LENGTH, payload, payloadOffset, payloadLength);
        writeIpv6Headers(frame, offset, destinationMac, sourceMac, sourceHigh, sourceLow, destinationHigh,
                destinationLow, sourcePort, destinationPort, payloadLength, false);
        return frameLength;
    }

    /**
     * Writes the headers of an IPv6 UDP frame at index {@code offset} of {@code frame} whose {@code payloadLength}
     * bytes of payload are already in place at {@code offset + IPV6_HEADERS_LENGTH}, as {@link #writeIpv6} does
     * after copying the payload. The caller checks the ranges. With {@code partialChecksum} the UDP checksum field
     * gets only the folded pseudo-header sum, for the kernel or the device to finish (TX checksum offload).
     */
    public static void writeIpv6Headers(
            ByteBuffer frame,
            int offset,
            long destinationMac,
            long sourceMac,
            long sourceHigh,
            long sourceLow,
            long destinationHigh,
            long destinationLow,
            int sourcePort,
            int destinationPort,
            int payloadLength,
            boolean partialChecksum) {
        int ipOffset = offset + EthernetHeader.LENGTH;
        int udpOffset = ipOffset + Ipv6Header.LENGTH;
        int udpLength = UdpHeader.LENGTH + payloadLength;

        writeEthernet(frame, offset, destinationMac, sourceMac, EthernetHeader.ETHER_TYPE_IPV6);

        Ipv6Header.versionClassFlow(frame, ipOffset, Ipv6Header.VERSION << 28);
        Ipv6Header.payloadLength(frame, ipOffset, udpLength);
        Ipv6Header.nextHeader(frame, ipOffset, UdpHeader.IP_PROTOCOL_NUMBER);
        Ipv6Header.hopLimit(frame, ipOffset, DEFAULT_HOP_LIMIT);
        Ipv6Header.sourceAddress(frame, ipOffset, sourceHigh, sourceLow);
        Ipv6Header.destinationAddress(frame, ipOffset, destinationHigh, destinationLow);

        writeUdpHeader(frame, udpOffset, sourcePort, destinationPort, udpLength);
        UdpHeader.checksum(frame, udpOffset, partialChecksum
                ? Checksums.ipv6PseudoHeaderSum(frame, ipOffset, udpLength)
                : Checksums.udpIpv6Checksum(frame, ipOffset, udpOffset, udpLength));
    }

    /** Checks everything before the first write, so a bad call leaves the frame untouched; returns the frame length. */
    private static int checkRanges(
            ByteBuffer frame,
            int offset,
            int headersLength,
            ByteBuffer payload,
            int payloadOffset,
            int payloadLength,
            int maxPayloadLength) {
        if (payloadLength < 0 || payloadLength > maxPayloadLength) {
            throw new IllegalArgumentException(
                    "payload length " + payloadLength + " is outside 0.." + maxPayloadLength);
        }
        int frameLength = headersLength + payloadLength;
        Objects.checkFromIndexSize(offset, frameLength, frame.limit());
        Objects.checkFromIndexSize(payloadOffset, payloadLength, payload.limit());
        return frameLength;
    }

    private static void writeEthernet(ByteBuffer frame, int offset, long destinationMac, long sourceMac, int etherType) {
        EthernetHeader.destinationMac(frame, offset, destinationMac);
        EthernetHeader.sourceMac(frame, offset, sourceMac);
        EthernetHeader.etherType(frame, offset, etherType);
    }

    private static void writeUdpHeader(
            ByteBuffer frame, int udpOffset, int sourcePort, int destinationPort, int udpLength) {
        UdpHeader.sourcePort(frame, udpOffset, sourcePort);
        UdpHeader.destinationPort(frame, udpOffset, destinationPort);
        UdpHeader.datagramLength(frame, udpOffset, udpLength);
    }
}
