package io.quicxdp.datapath.config;

/**
 * What the datapath does with the UDP checksum of a received datagram.
 *
 * <p>A sender on the same host (a container or test rig on the other end of a veth pair) leaves its UDP
 * checksum to the NIC when TX checksum offload is on, which it is by default; veth has no NIC to finish
 * it and hands the frame over as it is. Its checksum field then holds the folded one's-complement sum of
 * the pseudo-header, not complemented (Linux's {@code CHECKSUM_PARTIAL}: {@code ~csum_tcpudp_magic(...)}
 * over IPv4, {@code ~csum_ipv6_magic(...)} over IPv6), and verification fails although nothing was
 * corrupted. Such a frame never crossed a wire, so there was nothing to protect it from.
 *
 * <p>The IPv4 header checksum and every length are checked under each policy.
 */
public enum UdpChecksumPolicy {

    /**
     * Every UDP checksum must verify: a partial one is dropped as {@code udp_bad_checksum}. A
     * zero checksum over IPv4 means none was sent and is accepted; over IPv6 it is dropped.
     */
    STRICT,

    /**
     * As {@link #STRICT}, except that a checksum which does not verify but holds exactly the folded
     * pseudo-header sum is accepted and counted apart (the socket state's
     * {@code rxPartialChecksum}). A random corruption matches that one value as rarely as it matches the right
     * checksum (1 in 65536), so this at most doubles the corruptions let through. The default.
     */
    ACCEPT_PARTIAL,

    /**
     * UDP checksums are not verified at all, a zero one over IPv6 included, and none is flagged partial.
     * For protocols that authenticate every packet themselves, as QUIC does, where the checksum adds
     * nothing but its cost.
     */
    SKIP
}
