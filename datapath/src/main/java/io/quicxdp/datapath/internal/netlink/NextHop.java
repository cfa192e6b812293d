package io.quicxdp.datapath.internal.netlink;

import java.net.InetAddress;

/**
 * Everything needed to send a raw Ethernet frame to a destination: where it leaves, which source address
 * to put in it, and whose MAC address to put in it.
 *
 * @param route the route to the destination
 * @param mac the next hop's hardware address in the low 48 bits, first byte most significant
 */
public record NextHop(Route route, long mac) {

    /** The outgoing interface index. */
    public int interfaceIndex() {
        return route.interfaceIndex();
    }

    /** The router frames go through, or null when the destination is on the link. */
    public InetAddress gateway() {
        return route.gateway();
    }

    /** The source address the kernel would choose for this destination, or null when it has none. */
    public InetAddress source() {
        return route.preferredSource();
    }

    /** Shows the MAC in its usual text form. */
    @Override
    public String toString() {
        return "NextHop[route=" + route + ", mac=" + Netlink.macToString(mac) + "]";
    }
}
