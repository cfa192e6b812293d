package io.quicxdp.datapath.internal.netlink;

/**
 * A network interface as the kernel describes it, read through {@link RouteNetlinkSocket#link(String)}.
 *
 * @param index the interface index
 * @param name the interface name
 * @param mac the hardware address in the low 48 bits, first byte most significant; 0 when the link has
 *        no 6-byte address (for example a tunnel)
 * @param mtu the MTU in bytes
 * @param numRxQueues the receive queues the device was created with ({@code IFLA_NUM_RX_QUEUES}); the
 *        driver may use fewer
 * @param numTxQueues the transmit queues the device was created with ({@code IFLA_NUM_TX_QUEUES})
 * @param up whether the interface is administratively up ({@code IFF_UP})
 * @param running whether it is up and has carrier ({@code IFF_RUNNING})
 * @param bindableRxQueues the receive queues in use, so the queue ids 0 to this minus 1 that an AF_XDP
 *        socket can bind to and receive on: from the driver's ethtool channel counts when it reports
 *        them, else {@code numRxQueues}
 * @param transmitQueues the transmit queues in use, likewise; copy mode sends a socket's frames on the
 *        transmit queue with its queue id, and skips a socket whose id has none
 * @param xdpProgramId the id of the XDP program attached to the interface ({@code IFLA_XDP}), 0 when none is
 */
public record LinkInfo(int index, String name, long mac, int mtu, int numRxQueues, int numTxQueues, boolean up,
        boolean running, int bindableRxQueues, int transmitQueues, int xdpProgramId) {

    /** Shows the MAC in its usual text form. */
    @Override
    public String toString() {
        return "LinkInfo[index=" + index + ", name=" + name + ", mac=" + Netlink.macToString(mac) + ", mtu=" + mtu
                + ", numRxQueues=" + numRxQueues + ", numTxQueues=" + numTxQueues + ", up=" + up + ", running="
                + running + ", bindableRxQueues=" + bindableRxQueues + ", transmitQueues=" + transmitQueues
                + ", xdpProgramId=" + xdpProgramId + "]";
    }
}
