package io.quicxdp.datapath.internal.packet;

import io.quicxdp.datapath.config.UdpChecksumPolicy;
import java.nio.ByteBuffer;
import java.util.Objects;

/**
 * The internet checksum (RFC 1071) over absolute ranges of a buffer, and the IPv4 header and UDP
 * checksums built on it. Nothing here allocates or moves a buffer's position or limit.
 *
 * <p>Values are 16-bit and returned in the low bits of an {@code int}.
 */
public final class Checksums {

    /**
     * From this length on, the sum runs four accumulators over 32 bytes a step; below it their set-up
     * costs more than it saves (measured in the benchmarks module's ChecksumBenchmarks).
     */
    private static final int WIDE_LOOP_MIN_LENGTH = 128;

    /** What the full one's-complement sum of correctly checksummed data folds to. */
    private static final int VALID_SUM = 0xFFFF;

    private Checksums() {
    }

    /**
     * The one's-complement sum of {@code length} bytes at {@code offset}, taken as big-endian 16-bit
     * words (an odd last byte is padded with zero), folded to 16 bits but not complemented.
     *
     * @throws IndexOutOfBoundsException if the range is not within the buffer's limit
     */
    public static int sum(ByteBuffer buffer, int offset, int length) {
        Objects.checkFromIndexSize(offset, length, buffer.limit());
        int index = offset;
        int end = offset + length;
        // Whole 32-bit halves go into a 64-bit accumulator; their carries pile up in the upper bits
        // and are folded back once at the end, which RFC 1071 permits because 2^16 ≡ 1 (mod 2^16 - 1).
        long sum = 0;
        if (length >= WIDE_LOOP_MIN_LENGTH) {
            // four independent sums, so that the additions of a long payload need not wait on each other
            long a = 0;
            long b = 0;
            long c = 0;
            long d = 0;
            for (; end - index >= 32; index += 32) {
                long w0 = NetworkOrder.int64(buffer, index);
                long w1 = NetworkOrder.int64(buffer, index + 8);
                long w2 = NetworkOrder.int64(buffer, index + 16);
                long w3 = NetworkOrder.int64(buffer, index + 24);
                a += (w0 >>> 32) + (w0 & 0xFFFF_FFFFL);
                b += (w1 >>> 32) + (w1 & 0xFFFF_FFFFL);
                c += (w2 >>> 32) + (w2 & 0xFFFF_FFFFL);
                d += (w3 >>> 32) + (w3 & 0xFFFF_FFFFL);
            }
            // each grew by less than 2^33 per 32 bytes: a buffer of 2^31 bytes keeps the total below 2^63
            sum = a + b + c + d;
        }
        for (; end - index >= 8; index += 8) {
            long word = NetworkOrder.int64(buffer, index);
            sum += (word >>> 32) + (word & 0xFFFF_FFFFL);
        }
        if (end - index >= 4) {
            sum += NetworkOrder.int32(buffer, index) & 0xFFFF_FFFFL;
            index += 4;
        }
        if (end - index >= 2) {
            sum += NetworkOrder.uint16(buffer, index);
            index += 2;
        }
        if (index < end) {
            sum += NetworkOrder.uint8(buffer, index) << 8;
        }
        return fold(sum);
    }

    /** The RFC 1071 internet checksum (complemented one's-complement sum) of {@code length} bytes at {@code offset}. */
    public static int internetChecksum(ByteBuffer buffer, int offset, int length) {
        return ~sum(buffer, offset, length) & 0xFFFF;
    }

    /**
     * The header checksum to store in the IPv4 header at {@code ipOffset}, computed as if its checksum
     * field were zero.
     *
     * @param headerLength the header's length in bytes, options included
     */
    public static int ipv4HeaderChecksum(ByteBuffer frame, int ipOffset, int headerLength) {
        int beforeField = sum(frame, ipOffset, Ipv4Header.HEADER_CHECKSUM_OFFSET);
        int afterStart = Ipv4Header.HEADER_CHECKSUM_OFFSET + 2;
        int afterField = sum(frame, ipOffset + afterStart, headerLength - afterStart);
        return ~fold(beforeField + afterField) & 0xFFFF;
    }

    /** Whether the checksum stored in the IPv4 header at {@code ipOffset} is correct. */
    public static boolean isIpv4HeaderChecksumValid(ByteBuffer frame, int ipOffset, int headerLength) {
        return sum(frame, ipOffset, headerLength) == VALID_SUM;
    }

    /**
     * The checksum to store in the UDP header at {@code udpOffset} of an IPv4 packet whose header is at
     * {@code ipOffset}, computed as if the field were zero. Never 0: a computed 0 is returned as
     * {@code 0xFFFF}, because 0 on the wire means "no checksum".
     *
     * @param udpLength the UDP datagram length, header included
     */
    public static int udpIpv4Checksum(ByteBuffer frame, int ipOffset, int udpOffset, int udpLength) {
        return udpChecksum(frame, ipv4PseudoHeaderSum(frame, ipOffset, udpLength), udpOffset, udpLength);
    }

    /**
     * Whether the checksum stored in the UDP header of an IPv4 packet is correct. A stored 0 is not
     * treated specially; the caller decides whether "no checksum" is acceptable.
     */
    public static boolean isUdpIpv4ChecksumValid(ByteBuffer frame, int ipOffset, int udpOffset, int udpLength) {
        return fold(ipv4PseudoHeaderSum(frame, ipOffset, udpLength) + sum(frame, udpOffset, udpLength)) == VALID_SUM;
    }

    /**
     * The checksum to store in the UDP header at {@code udpOffset} of an IPv6 packet whose fixed header
     * is at {@code ipOffset}, computed as if the field were zero. Never 0: a computed 0 is returned as
     * {@code 0xFFFF}.
     *
     * <p>The pseudo-header takes the destination from the fixed header, which is the final destination
     * once any routing header has no segments left.
     */
    public static int udpIpv6Checksum(ByteBuffer frame, int ipOffset, int udpOffset, int udpLength) {
        return udpChecksum(frame, ipv6PseudoHeaderSum(frame, ipOffset, udpLength), udpOffset, udpLength);
    }

    /** Whether the checksum stored in the UDP header of an IPv6 packet is correct. A stored 0 is not treated specially. */
    public static boolean isUdpIpv6ChecksumValid(ByteBuffer frame, int ipOffset, int udpOffset, int udpLength) {
        return fold(ipv6PseudoHeaderSum(frame, ipOffset, udpLength) + sum(frame, udpOffset, udpLength)) == VALID_SUM;
    }

    /**
     * Whether the UDP header of an IPv4 packet holds, instead of a checksum, the folded pseudo-header sum
     * (source, destination, protocol 17, UDP length) not complemented: what a sender with TX checksum
     * offload leaves for the NIC to finish ({@link UdpChecksumPolicy#ACCEPT_PARTIAL}).
     */
    public static boolean isUdpIpv4ChecksumPartial(ByteBuffer frame, int ipOffset, int udpOffset, int udpLength) {
        return UdpHeader.checksum(frame, udpOffset) == ipv4PseudoHeaderSum(frame, ipOffset, udpLength);
    }

    /**
     * Whether the UDP header of an IPv6 packet holds the folded pseudo-header sum (source, destination, UDP
     * length, next header 17) not complemented, as {@link #isUdpIpv4ChecksumPartial} does for IPv4.
     */
    public static boolean isUdpIpv6ChecksumPartial(ByteBuffer frame, int ipOffset, int udpOffset, int udpLength) {
        return UdpHeader.checksum(frame, udpOffset) == ipv6PseudoHeaderSum(frame, ipOffset, udpLength);
    }

    /**
     * The folded (not complemented) sum of the IPv4 pseudo-header of a UDP datagram of {@code udpLength} bytes:
     * what a UDP checksum field holds for the kernel or a device to finish.
     */
    public static int ipv4PseudoHeaderSum(ByteBuffer frame, int ipOffset, int udpLength) {
        // source and destination addresses are adjacent, so one range covers both
        int addresses = sum(frame, ipOffset + Ipv4Header.SOURCE_ADDRESS_OFFSET, 2 * Ipv4Header.ADDRESS_LENGTH);
        return fold(addresses + UdpHeader.IP_PROTOCOL_NUMBER + udpLength);
    }

    /** As {@link #ipv4PseudoHeaderSum}, for IPv6. */
    public static int ipv6PseudoHeaderSum(ByteBuffer frame, int ipOffset, int udpLength) {
        int addresses = sum(frame, ipOffset + Ipv6Header.SOURCE_ADDRESS_OFFSET, 2 * Ipv6Header.ADDRESS_LENGTH);
        return fold(addresses + UdpHeader.IP_PROTOCOL_NUMBER + udpLength);
    }

    // Skips the checksum field rather than requiring the caller to zero it first.
    private static int udpChecksum(ByteBuffer frame, int pseudoHeaderSum, int udpOffset, int udpLength) {
        int header = sum(frame, udpOffset, UdpHeader.CHECKSUM_OFFSET);
        int payload = sum(frame, udpOffset + UdpHeader.LENGTH, udpLength - UdpHeader.LENGTH);
        int checksum = ~fold(pseudoHeaderSum + header + payload) & 0xFFFF;
        return checksum == 0 ? 0xFFFF : checksum;
    }

    private static int fold(long sum) {
        while ((sum >>> 16) != 0) {
            sum = (sum & 0xFFFF) + (sum >>> 16);
        }
        return (int) sum;
    }
}
