package io.quicxdp.datapath;

import io.quicxdp.datapath.internal.linux.UdpGsoSocket;
import io.quicxdp.datapath.internal.packet.ParsedUdpFrame;
import io.quicxdp.datapath.internal.queue.Queue;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;

/**
 * One bound endpoint as the receive path sees it: the addresses it matches, its handler, the queue it is
 * limited to and its port reservation. {@link UdpEndpoint} is the application's handle on it.
 */
final class Binding {

    final DatagramHandler handler;

    final boolean wildcard;

    final boolean ipv6;

    final long localHigh;

    final long localLow;

    final int port;

    /** The connected peer, or {@code null}. */
    final UdpPeer remote;

    /** The kernel socket holding the port, or {@code null} without port reservation. */
    final PortReservation reservation;

    /** The one queue this binding serves, or {@code null} for every queue. */
    final Queue queue;

    /** The kernel UDP socket batches leave through with {@code TxPath.KERNEL_GSO} or {@code AUTO}, or {@code null}. */
    final UdpGsoSocket kernelSocket;

    /** Set, under the endpoint table's lock, once the binding left the table. */
    volatile boolean closed;

    Binding(InetAddress localAddress, int port, UdpPeer remote, DatagramHandler handler, PortReservation reservation,
            Queue queue, UdpGsoSocket kernelSocket) {
        this.handler = handler;
        this.wildcard = IpAddresses.isAnyLocal(localAddress);
        this.ipv6 = !wildcard && IpAddresses.isIpv6(localAddress);
        this.localHigh = wildcard ? 0 : IpAddresses.high(localAddress);
        this.localLow = wildcard ? 0 : IpAddresses.low(localAddress);
        this.port = port;
        this.remote = remote;
        this.reservation = reservation;
        this.queue = queue;
        this.kernelSocket = kernelSocket;
    }

    /** The local address and port; the wildcard address when bound to all. */
    InetSocketAddress localAddress() {
        return wildcard ? new InetSocketAddress(port)
                : new InetSocketAddress(IpAddresses.toInetAddress(ipv6, localHigh, localLow), port);
    }

    /** 3: connected and both ends match; 2: bound to the destination address; 1: wildcard; 0: no match. */
    int matchScore(ByteBuffer frame, ParsedUdpFrame datagram, Queue receivedOn) {
        if (queue != null && queue != receivedOn) {
            return 0;
        }
        boolean datagramIpv6 = datagram.ipVersion() == 6;
        if (wildcard) {
            return 1;
        }
        if (datagramIpv6 != ipv6
                || !IpAddresses.equalsAt(frame, datagram.destinationAddressOffset(), ipv6, localHigh, localLow)) {
            return 0;
        }
        if (remote == null) {
            return 2;
        }
        boolean fromRemote = remote.port == datagram.sourcePort()
                && IpAddresses.equalsAt(frame, datagram.sourceAddressOffset(), ipv6, remote.addressHigh,
                        remote.addressLow);
        return fromRemote ? 3 : 0;
    }

    boolean conflictsWith(Binding other) {
        if (queue != null && other.queue != null && queue != other.queue) {
            return false;
        }
        boolean sameLocal = wildcard == other.wildcard
                && (wildcard || (ipv6 == other.ipv6 && localHigh == other.localHigh && localLow == other.localLow));
        if (!sameLocal) {
            return false;
        }
        if (remote == null || other.remote == null) {
            return remote == other.remote;
        }
        return remote.ipv6 == other.remote.ipv6 && remote.addressHigh == other.remote.addressHigh
                && remote.addressLow == other.remote.addressLow && remote.port == other.remote.port;
    }

    @Override
    public String toString() {
        return "UdpEndpoint[" + localAddress() + (remote == null ? "" : " -> " + remote.socketAddress()) + "]";
    }
}
