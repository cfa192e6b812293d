package io.quicxdp.datapath;

import io.quicxdp.datapath.internal.packet.ParsedUdpFrame;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.concurrent.atomic.AtomicReferenceArray;

/**
 * The bound UDP endpoints, indexed by local port, for the receive path's lookup.
 *
 * <p>Binding copies a port's small array (copy on write); lookups read it without locks or allocation.
 * The most specific endpoint wins: connected (local and remote match), then bound to the datagram's
 * destination address, then bound to the wildcard address.
 */
final class EndpointTable {

    private static final UdpEndpoint[] NONE = new UdpEndpoint[0];

    private final AtomicReferenceArray<UdpEndpoint[]> byPort = new AtomicReferenceArray<>(65536);

    synchronized void add(UdpEndpoint endpoint) {
        UdpEndpoint[] current = endpoints(endpoint.port);
        for (UdpEndpoint existing : current) {
            if (existing.conflictsWith(endpoint)) {
                throw new IllegalStateException("UDP " + endpoint.localAddress() + " is already bound by "
                        + existing);
            }
        }
        UdpEndpoint[] updated = Arrays.copyOf(current, current.length + 1);
        updated[current.length] = endpoint;
        byPort.set(endpoint.port, updated);
    }

    synchronized void remove(UdpEndpoint endpoint) {
        UdpEndpoint[] current = endpoints(endpoint.port);
        UdpEndpoint[] updated = Arrays.stream(current).filter(e -> e != endpoint).toArray(UdpEndpoint[]::new);
        byPort.set(endpoint.port, updated.length == 0 ? null : updated);
    }

    /** The endpoint for a parsed datagram, or {@code null}. */
    UdpEndpoint find(ByteBuffer frame, ParsedUdpFrame datagram, QueueWorker receivedOn) {
        UdpEndpoint[] candidates = byPort.get(datagram.destinationPort());
        if (candidates == null) {
            return null;
        }
        UdpEndpoint best = null;
        int bestScore = 0;
        for (UdpEndpoint candidate : candidates) {
            int score = candidate.matchScore(frame, datagram, receivedOn);
            if (score > bestScore) {
                best = candidate;
                bestScore = score;
            }
        }
        return best;
    }

    private UdpEndpoint[] endpoints(int port) {
        UdpEndpoint[] endpoints = byPort.get(port);
        return endpoints == null ? NONE : endpoints;
    }
}
