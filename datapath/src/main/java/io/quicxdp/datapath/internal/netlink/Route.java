package io.quicxdp.datapath.internal.netlink;

import java.net.InetAddress;

/**
 * The kernel's route to one destination, as {@code ip route get} shows it.
 *
 * @param destination the address looked up
 * @param interfaceIndex the outgoing interface
 * @param gateway the router to send through, or null when the destination is on the link; may be of the
 *        other address family (an IPv4 route through an IPv6 router)
 * @param preferredSource the source address the kernel would choose, or null when it has none
 */
public record Route(InetAddress destination, int interfaceIndex, InetAddress gateway, InetAddress preferredSource) {

    /** The address whose link-layer address frames are sent to: the gateway, else the destination. */
    public InetAddress nextHop() {
        return gateway != null ? gateway : destination;
    }
}
