package io.quicxdp.datapath.state;

import java.util.Locale;

/**
 * Why a received frame was dropped instead of being handed to an application.
 *
 * <p>Parsing a frame gives every value except {@link #NO_ENDPOINT} and {@link #HANDLER_FAILED}, which the
 * datapath reports after a successful parse.
 */
public enum DropReason {

    /** The frame is shorter than an Ethernet header, or its range does not lie within the buffer. */
    FRAME_TOO_SHORT,

    /** The ethertype is neither IPv4 nor IPv6, nor a VLAN tag. */
    NOT_IP,

    /**
     * The frame carries an 802.1Q or 802.1ad VLAN tag. Replies are written untagged and would go out on the
     * wrong VLAN, so tagged frames are dropped; a NIC with {@code rx-vlan-offload} strips the tag before XDP,
     * and its frames arrive untagged.
     */
    VLAN_TAGGED,

    /** Version not 4, header length below 20 bytes, or total length shorter than the header or longer than the frame. */
    IPV4_MALFORMED,

    /** The IPv4 header checksum is wrong. */
    IPV4_BAD_CHECKSUM,

    /** Version not 6, fixed header or payload length beyond the frame, or a truncated extension header. */
    IPV6_MALFORMED,

    /** An IPv4 fragment (more-fragments set or a non-zero offset), or an IPv6 packet with a fragment header. */
    FRAGMENTED,

    /** The IP payload is not UDP (including IPv6 extension headers other than hop-by-hop, routing, destination options). */
    NOT_UDP,

    /** The UDP header does not fit in the IP payload, or the UDP length is below 8 or beyond the IP payload. */
    UDP_MALFORMED,

    /** The UDP checksum is wrong; over IPv6 a zero (absent) checksum is wrong too. */
    UDP_BAD_CHECKSUM,

    /** No endpoint is bound to the destination address and port. */
    NO_ENDPOINT,

    /** The application's handler threw while handling the datagram. */
    HANDLER_FAILED;

    private final String metricName = name().toLowerCase(Locale.ROOT);

    /** The stable lower_snake_case name used in metrics and JSON, for example {@code udp_bad_checksum}. */
    public String metricName() {
        return metricName;
    }
}
