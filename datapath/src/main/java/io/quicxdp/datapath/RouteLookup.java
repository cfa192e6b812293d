package io.quicxdp.datapath;

import io.quicxdp.datapath.internal.netlink.NextHop;
import io.quicxdp.datapath.internal.queue.Transmitter;
import java.net.InetAddress;

/**
 * One lookup of a peer's route, asked by the peer's sending thread and answered by the routing thread. The
 * answer is written before {@link #answered()} turns true, and read only after.
 */
final class RouteLookup {

    final InetAddress destination;

    final boolean wildcard;

    final int hash;

    /** The routing generation when the lookup was asked: the answer is no newer than that. */
    final long generation;

    final long askedAt;

    long mac;

    /** The transmitter to send on; null when there is no route or the next hop is still being resolved. */
    Transmitter transmitter;

    boolean hasSource;

    long localHigh;

    long localLow;

    /** Why there is no route; null when there is one or the next hop is still being resolved. */
    String failure;

    private volatile boolean answered;

    RouteLookup(InetAddress destination, boolean wildcard, int hash, long generation, long askedAt) {
        this.destination = destination;
        this.wildcard = wildcard;
        this.hash = hash;
        this.generation = generation;
        this.askedAt = askedAt;
    }

    boolean answered() {
        return answered;
    }

    void found(NextHop hop, Transmitter via) {
        InetAddress source = hop.source();
        mac = hop.mac();
        transmitter = via;
        hasSource = source != null;
        if (hasSource) {
            localHigh = IpAddresses.high(source);
            localLow = IpAddresses.low(source);
        }
        answered = true;
    }

    void resolving() {
        answered = true;
    }

    void failed(String reason) {
        failure = reason;
        answered = true;
    }
}
