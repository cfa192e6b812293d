package io.quicxdp.datapath.internal.packet;

import java.nio.ByteBuffer;
import java.util.Arrays;

/**
 * Hand-built test frames. They are laid out with a plain big-endian heap buffer and checksummed with
 * {@link ReferenceChecksum}, independently of the flyweights and {@link Checksums} under test.
 */
final class TestFrames {

    static final long DESTINATION_MAC = 0x0200_0000_0002L;
    static final long SOURCE_MAC = 0x0200_0000_0001L;
    static final byte[] IPV4_SOURCE = {(byte) 192, 0, 2, 1};
    static final byte[] IPV4_DESTINATION = {(byte) 198, 51, 100, 2};
    static final byte[] IPV6_SOURCE = {0x20, 0x01, 0x0d, (byte) 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
    static final byte[] IPV6_DESTINATION = {0x20, 0x01, 0x0d, (byte) 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2};
    static final int SOURCE_PORT = 12345;
    static final int DESTINATION_PORT = 443;

    /**
     * A small IPv4 UDP datagram built by hand, checksums included: 192.0.2.1:12345 to
     * 198.51.100.2:443, payload "hi". The checksums were worked out outside this code base.
     */
    static final String IPV4_HI_FRAME = "020000000002" + "020000000001" + "0800"
            + "4500001e" + "00004000" + "4011" + "4e98" + "c0000201" + "c6336402"
            + "303901bb" + "000a" + "7945" + "6869";

    /** [2001:db8::1]:12345 to [2001:db8::2]:443, payload "hi!", by hand like {@link #IPV4_HI_FRAME}. */
    static final String IPV6_HI_FRAME = "020000000002" + "020000000001" + "86dd"
            + "60000000" + "000b" + "11" + "40"
            + "20010db8000000000000000000000001" + "20010db8000000000000000000000002"
            + "303901bb" + "000b" + "e905" + "686921";

    /**
     * A frame as a veth delivered it, read off the receiving end, after a process in the other end's
     * namespace sent "hello partial v4" from 198.19.255.2:43686 to 198.19.255.1:4433 with that end's TX
     * checksum offload on (its default). The UDP checksum field, 8a55, is the folded pseudo-header sum,
     * not complemented: the kernel left the rest of the sum to a NIC that veth does not have.
     */
    static final String IPV4_PARTIAL_FRAME = "eee0404e26f6" + "fe198ea7f2b7" + "0800"
            + "4500002c" + "2c694000" + "4011" + "842c" + "c613ff02" + "c613ff01"
            + "aaa61151" + "0018" + "8a55" + "68656c6c6f207061727469616c207634";

    /** The same over IPv6: "hello partial v6!" from [fd00:198:18:ffff::2]:39578 to [fd00:198:18:ffff::1]:4433. */
    static final String IPV6_PARTIAL_FRAME = "eee0404e26f6" + "fe198ea7f2b7" + "86dd"
            + "60084642" + "0019" + "11" + "40"
            + "fd0001980018ffff0000000000000002" + "fd0001980018ffff0000000000000001"
            + "9a9a1151" + "0019" + "fd8e" + "68656c6c6f207061727469616c20763621";

    /** Where an IPv4 or IPv6 header starts in these frames. */
    static final int IP_OFFSET = 14;

    /** What an Ethernet frame's padding is filled with: not zero, so counting it in would break checksums. */
    static final byte PADDING = (byte) 0xA5;

    private TestFrames() {
    }

    /** An IPv6 extension header of a type, {@code 8 * (1 + extraUnits)} bytes long. */
    record Extension(int type, int extraUnits) {

        static Extension of(int type) {
            return new Extension(type, 0);
        }

        int length() {
            return 8 * (1 + extraUnits);
        }
    }

    /**
     * A valid UDP-over-IPv4 frame with the given IP options (a multiple of 4 bytes), payload and
     * Ethernet padding after the IP packet.
     */
    static byte[] ipv4(byte[] options, byte[] payload, int padding) {
        int headerLength = 20 + options.length;
        int udpLength = 8 + payload.length;
        byte[] frame = new byte[IP_OFFSET + headerLength + udpLength + padding];
        Arrays.fill(frame, IP_OFFSET + headerLength + udpLength, frame.length, PADDING);
        ByteBuffer b = ByteBuffer.wrap(frame);
        ethernet(b, 0x0800);
        b.put(IP_OFFSET, (byte) (0x40 | headerLength / 4));
        b.putShort(IP_OFFSET + 2, (short) (headerLength + udpLength));
        b.putShort(IP_OFFSET + 6, (short) 0x4000);
        b.put(IP_OFFSET + 8, (byte) 64);
        b.put(IP_OFFSET + 9, (byte) 17);
        b.put(IP_OFFSET + 12, IPV4_SOURCE);
        b.put(IP_OFFSET + 16, IPV4_DESTINATION);
        b.put(IP_OFFSET + 20, options);
        udp(b, IP_OFFSET + headerLength, payload);
        fixIpv4HeaderChecksum(frame);
        fixIpv4UdpChecksum(frame);
        return frame;
    }

    /** A valid UDP-over-IPv4 frame without options or padding. */
    static byte[] ipv4(byte[] payload) {
        return ipv4(new byte[0], payload, 0);
    }

    /** A valid UDP-over-IPv6 frame with the given extension headers, in order, before UDP. */
    static byte[] ipv6(byte[] payload, Extension... extensions) {
        int extensionsLength = 0;
        for (Extension extension : extensions) {
            extensionsLength += extension.length();
        }
        int udpLength = 8 + payload.length;
        byte[] frame = new byte[IP_OFFSET + 40 + extensionsLength + udpLength];
        ByteBuffer b = ByteBuffer.wrap(frame);
        ethernet(b, 0x86DD);
        b.putInt(IP_OFFSET, 0x6000_0000);
        b.putShort(IP_OFFSET + 4, (short) (extensionsLength + udpLength));
        b.put(IP_OFFSET + 7, (byte) 64);
        b.put(IP_OFFSET + 8, IPV6_SOURCE);
        b.put(IP_OFFSET + 24, IPV6_DESTINATION);
        int nextHeaderIndex = IP_OFFSET + 6;
        int at = IP_OFFSET + 40;
        for (Extension extension : extensions) {
            b.put(nextHeaderIndex, (byte) extension.type());
            b.put(at + 1, (byte) extension.extraUnits());
            if (extension.type() == 0 || extension.type() == 60) {
                // One PadN option fills the options area, as RFC 8200 requires it be filled.
                b.put(at + 2, (byte) 1);
                b.put(at + 3, (byte) (extension.length() - 4));
            }
            nextHeaderIndex = at;
            at += extension.length();
        }
        b.put(nextHeaderIndex, (byte) 17);
        udp(b, at, payload);
        fixIpv6UdpChecksum(frame, at);
        return frame;
    }

    /** Recomputes the IPv4 header checksum after a test changed the header. */
    static void fixIpv4HeaderChecksum(byte[] frame) {
        ByteBuffer b = ByteBuffer.wrap(frame);
        int headerLength = (frame[IP_OFFSET] & 0x0F) * 4;
        b.putShort(IP_OFFSET + 10, (short) 0);
        b.putShort(IP_OFFSET + 10, (short) ReferenceChecksum.checksum(frame, IP_OFFSET, headerLength));
    }

    /** Recomputes the UDP checksum of an IPv4 frame, over the length its UDP header states. */
    static void fixIpv4UdpChecksum(byte[] frame) {
        int udpOffset = ipv4UdpOffset(frame);
        fixUdpChecksum(frame, udpOffset, udpLength(frame, udpOffset), ipv4PseudoHeader(frame, udpOffset));
    }

    /** Recomputes the UDP checksum of an IPv6 frame whose UDP header is at {@code udpOffset}. */
    static void fixIpv6UdpChecksum(byte[] frame, int udpOffset) {
        fixUdpChecksum(frame, udpOffset, udpLength(frame, udpOffset), ipv6PseudoHeader(frame, udpOffset));
    }

    /**
     * Makes the UDP checksum of an IPv4 frame partial, as Linux leaves it for TX checksum offload
     * ({@code ~csum_tcpudp_magic(...)}): the folded sum of the pseudo-header only, not complemented.
     */
    static void partialIpv4UdpChecksum(byte[] frame) {
        int udpOffset = ipv4UdpOffset(frame);
        partialUdpChecksum(frame, udpOffset, ipv4PseudoHeader(frame, udpOffset));
    }

    /** Makes the UDP checksum of an IPv6 frame partial ({@code ~csum_ipv6_magic(...)}). */
    static void partialIpv6UdpChecksum(byte[] frame, int udpOffset) {
        partialUdpChecksum(frame, udpOffset, ipv6PseudoHeader(frame, udpOffset));
    }

    private static int ipv4UdpOffset(byte[] frame) {
        return IP_OFFSET + (frame[IP_OFFSET] & 0x0F) * 4;
    }

    private static byte[] ipv4PseudoHeader(byte[] frame, int udpOffset) {
        int udpLength = udpLength(frame, udpOffset);
        return ReferenceChecksum.concat(
                Arrays.copyOfRange(frame, IP_OFFSET + 12, IP_OFFSET + 20),
                new byte[] {0, 17, (byte) (udpLength >>> 8), (byte) udpLength});
    }

    private static byte[] ipv6PseudoHeader(byte[] frame, int udpOffset) {
        int udpLength = udpLength(frame, udpOffset);
        return ReferenceChecksum.concat(
                Arrays.copyOfRange(frame, IP_OFFSET + 8, IP_OFFSET + 40),
                new byte[] {0, 0, (byte) (udpLength >>> 8), (byte) udpLength, 0, 0, 0, 17});
    }

    private static void partialUdpChecksum(byte[] frame, int udpOffset, byte[] pseudoHeader) {
        ByteBuffer.wrap(frame).putShort(udpOffset + 6, (short) ~ReferenceChecksum.checksum(pseudoHeader));
    }

    private static void ethernet(ByteBuffer b, int etherType) {
        b.putShort(0, (short) (DESTINATION_MAC >>> 32));
        b.putInt(2, (int) DESTINATION_MAC);
        b.putShort(6, (short) (SOURCE_MAC >>> 32));
        b.putInt(8, (int) SOURCE_MAC);
        b.putShort(12, (short) etherType);
    }

    private static void udp(ByteBuffer b, int udpOffset, byte[] payload) {
        b.putShort(udpOffset, (short) SOURCE_PORT);
        b.putShort(udpOffset + 2, (short) DESTINATION_PORT);
        b.putShort(udpOffset + 4, (short) (8 + payload.length));
        b.put(udpOffset + 8, payload);
    }

    private static int udpLength(byte[] frame, int udpOffset) {
        return ByteBuffer.wrap(frame).getShort(udpOffset + 4) & 0xFFFF;
    }

    private static void fixUdpChecksum(byte[] frame, int udpOffset, int udpLength, byte[] pseudoHeader) {
        ByteBuffer b = ByteBuffer.wrap(frame);
        b.putShort(udpOffset + 6, (short) 0);
        byte[] covered = ReferenceChecksum.concat(pseudoHeader, Arrays.copyOfRange(frame, udpOffset, udpOffset + udpLength));
        int checksum = ReferenceChecksum.checksum(covered);
        b.putShort(udpOffset + 6, (short) (checksum == 0 ? 0xFFFF : checksum));
    }
}
