package io.quicxdp.datapath.config;

/**
 * How batches of datagrams leave ({@code UdpEndpoint.send(peer, batch, from)}, which Netty's QUIC codec uses
 * through the XDP channel's segmented writes): single datagrams always go through the AF_XDP socket.
 */
public enum TxPath {

    /** {@link #KERNEL_GSO} on sockets the driver runs in copy mode, {@link #XDP} on zero-copy ones. */
    AUTO,

    /** Through the AF_XDP socket's TX ring, one frame per datagram. */
    XDP,

    /**
     * Through a kernel UDP socket on the served port, a batch of equal-sized datagrams as one {@code sendmsg(2)}
     * with {@code UDP_SEGMENT} (GSO), from the address the peer sent to: the kernel builds one packet buffer per
     * batch, where copy-mode AF_XDP builds one per datagram. The datagrams then take the host's routing, qdisc and
     * egress hooks like any the kernel sends. Receiving stays on AF_XDP.
     */
    KERNEL_GSO
}
