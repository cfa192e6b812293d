package io.quicxdp.datapath.internal.packet;

import io.quicxdp.datapath.config.UdpChecksumPolicy;
import io.quicxdp.datapath.state.DropReason;
import java.nio.ByteBuffer;

/**
 * Where the parts of a UDP-over-IP Ethernet frame lie, as found by {@link UdpFrameParser}.
 *
 * <p>Mutable and meant to be reused by the one thread that parses into it, so parsing allocates nothing.
 * Nothing is copied out of the frame: offsets are absolute indexes into {@link #buffer()}, and the
 * accessors that return MACs and addresses read them from the frame, so they are only meaningful while
 * the frame's bytes are unchanged. After a parse that returned a {@link DropReason} the contents are
 * unspecified.
 */
public final class ParsedUdpFrame {

    private ByteBuffer buffer;
    private int frameOffset;
    private int frameLength;
    private int ipOffset;
    private int ipVersion;
    private int sourcePort;
    private int destinationPort;
    private int payloadOffset;
    private int payloadLength;
    private boolean partialChecksum;

    /** Creates an empty holder, to be filled by {@link UdpFrameParser#parse}. */
    public ParsedUdpFrame() {
    }

    void set(
            ByteBuffer buffer,
            int frameOffset,
            int frameLength,
            int ipOffset,
            int ipVersion,
            int udpOffset,
            int udpLength,
            boolean partialChecksum) {
        this.buffer = buffer;
        this.frameOffset = frameOffset;
        this.frameLength = frameLength;
        this.ipOffset = ipOffset;
        this.ipVersion = ipVersion;
        this.sourcePort = UdpHeader.sourcePort(buffer, udpOffset);
        this.destinationPort = UdpHeader.destinationPort(buffer, udpOffset);
        this.payloadOffset = udpOffset + UdpHeader.LENGTH;
        this.payloadLength = udpLength - UdpHeader.LENGTH;
        this.partialChecksum = partialChecksum;
    }

    /** The buffer holding the frame. */
    public ByteBuffer buffer() {
        return buffer;
    }

    /** The index of the frame's first byte in {@link #buffer()}. */
    public int frameOffset() {
        return frameOffset;
    }

    /** The frame's length as received, Ethernet padding included. */
    public int frameLength() {
        return frameLength;
    }

    /** The frame's destination MAC address, in the low 48 bits. */
    public long destinationMac() {
        return EthernetHeader.destinationMac(buffer, frameOffset);
    }

    /** The frame's source MAC address, in the low 48 bits. */
    public long sourceMac() {
        return EthernetHeader.sourceMac(buffer, frameOffset);
    }

    /** 4 or 6. */
    public int ipVersion() {
        return ipVersion;
    }

    /** The length of each address: 4 for IPv4, 16 for IPv6. */
    public int addressLength() {
        return ipVersion == Ipv4Header.VERSION ? Ipv4Header.ADDRESS_LENGTH : Ipv6Header.ADDRESS_LENGTH;
    }

    /** The index in {@link #buffer()} of the source address's first byte. */
    public int sourceAddressOffset() {
        return ipOffset + (ipVersion == Ipv4Header.VERSION
                ? Ipv4Header.SOURCE_ADDRESS_OFFSET
                : Ipv6Header.SOURCE_ADDRESS_OFFSET);
    }

    /** The index in {@link #buffer()} of the destination address's first byte. */
    public int destinationAddressOffset() {
        return ipOffset + (ipVersion == Ipv4Header.VERSION
                ? Ipv4Header.DESTINATION_ADDRESS_OFFSET
                : Ipv6Header.DESTINATION_ADDRESS_OFFSET);
    }

    /** The IPv4 source address in network order; only meaningful when {@link #ipVersion()} is 4. */
    public int ipv4SourceAddress() {
        return Ipv4Header.sourceAddress(buffer, ipOffset);
    }

    /** The IPv4 destination address in network order; only meaningful when {@link #ipVersion()} is 4. */
    public int ipv4DestinationAddress() {
        return Ipv4Header.destinationAddress(buffer, ipOffset);
    }

    /** The high 64 bits of the IPv6 source address; only meaningful when {@link #ipVersion()} is 6. */
    public long ipv6SourceAddressHigh() {
        return Ipv6Header.sourceAddressHigh(buffer, ipOffset);
    }

    /** The low 64 bits of the IPv6 source address; only meaningful when {@link #ipVersion()} is 6. */
    public long ipv6SourceAddressLow() {
        return Ipv6Header.sourceAddressLow(buffer, ipOffset);
    }

    /** The high 64 bits of the IPv6 destination address; only meaningful when {@link #ipVersion()} is 6. */
    public long ipv6DestinationAddressHigh() {
        return Ipv6Header.destinationAddressHigh(buffer, ipOffset);
    }

    /** The low 64 bits of the IPv6 destination address; only meaningful when {@link #ipVersion()} is 6. */
    public long ipv6DestinationAddressLow() {
        return Ipv6Header.destinationAddressLow(buffer, ipOffset);
    }

    /** Whether the source address equals {@code address} (4 or 16 bytes); a different length never matches. */
    public boolean sourceAddressEquals(byte[] address) {
        return addressEquals(sourceAddressOffset(), address);
    }

    /** Whether the destination address equals {@code address} (4 or 16 bytes); a different length never matches. */
    public boolean destinationAddressEquals(byte[] address) {
        return addressEquals(destinationAddressOffset(), address);
    }

    /**
     * Copies the source address into the start of {@code into}.
     *
     * @return the number of bytes copied, {@link #addressLength()}
     * @throws IndexOutOfBoundsException if {@code into} is shorter than the address
     */
    public int copySourceAddress(byte[] into) {
        buffer.get(sourceAddressOffset(), into, 0, addressLength());
        return addressLength();
    }

    /**
     * Copies the destination address into the start of {@code into}.
     *
     * @return the number of bytes copied, {@link #addressLength()}
     * @throws IndexOutOfBoundsException if {@code into} is shorter than the address
     */
    public int copyDestinationAddress(byte[] into) {
        buffer.get(destinationAddressOffset(), into, 0, addressLength());
        return addressLength();
    }

    /** The UDP source port. */
    public int sourcePort() {
        return sourcePort;
    }

    /** The UDP destination port. */
    public int destinationPort() {
        return destinationPort;
    }

    /** The index in {@link #buffer()} of the UDP payload's first byte. */
    public int payloadOffset() {
        return payloadOffset;
    }

    /** The UDP payload's length, from the UDP length field (Ethernet padding excluded). */
    public int payloadLength() {
        return payloadLength;
    }

    /**
     * Whether the datagram was accepted with a partial UDP checksum: the field did not verify but held the
     * folded pseudo-header sum that a sender on this host leaves for TX checksum offload to finish. Only
     * ever true under {@link UdpChecksumPolicy#ACCEPT_PARTIAL}.
     */
    public boolean partialChecksum() {
        return partialChecksum;
    }

    private boolean addressEquals(int offset, byte[] address) {
        int length = addressLength();
        if (address.length != length) {
            return false;
        }
        for (int i = 0; i < length; i++) {
            if (buffer.get(offset + i) != address[i]) {
                return false;
            }
        }
        return true;
    }
}
