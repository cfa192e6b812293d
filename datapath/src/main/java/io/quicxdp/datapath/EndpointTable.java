package io.quicxdp.datapath;

import io.quicxdp.datapath.internal.packet.ParsedUdpFrame;
import io.quicxdp.datapath.internal.queue.Queue;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.concurrent.atomic.AtomicReferenceArray;

/**
 * The bound endpoints, indexed by local port, for the receive path's lookup.
 *
 * <p>Binding copies a port's small array (copy on write); lookups read it without locks or allocation.
 * The most specific binding wins: connected (local and remote match), then bound to the datagram's
 * destination address, then bound to the wildcard address.
 */
final class EndpointTable {

    private static final Binding[] NONE = new Binding[0];

    private final AtomicReferenceArray<Binding[]> byPort = new AtomicReferenceArray<>(65536);

    /** @throws IllegalStateException when a binding already serves the same addresses on the same queues */
    synchronized void add(Binding binding) {
        Binding[] current = bindings(binding.port);
        for (Binding existing : current) {
            if (existing.conflictsWith(binding)) {
                throw new IllegalStateException("UDP " + binding.localAddress() + " is already bound by " + existing);
            }
        }
        Binding[] updated = Arrays.copyOf(current, current.length + 1);
        updated[current.length] = binding;
        byPort.set(binding.port, updated);
    }

    /** Takes {@code binding} out and releases its port reservation. Idempotent. */
    synchronized void close(Binding binding) {
        if (binding.closed) {
            return;
        }
        binding.closed = true;
        Binding[] current = bindings(binding.port);
        Binding[] updated = Arrays.stream(current).filter(b -> b != binding).toArray(Binding[]::new);
        byPort.set(binding.port, updated.length == 0 ? null : updated);
        if (binding.reservation != null) {
            binding.reservation.close();
        }
        if (binding.kernelSocket != null) {
            binding.kernelSocket.close();
        }
    }

    /** Closes every binding, as the datapath closes. */
    synchronized void closeAll() {
        for (int port = 0; port < byPort.length(); port++) {
            Binding[] bindings = byPort.get(port);
            if (bindings != null) {
                Arrays.stream(bindings).forEach(this::close);
            }
        }
    }

    /** The binding for a parsed datagram received on {@code receivedOn}, or {@code null}. */
    Binding find(ByteBuffer frame, ParsedUdpFrame datagram, Queue receivedOn) {
        Binding[] candidates = byPort.get(datagram.destinationPort());
        if (candidates == null) {
            return null;
        }
        Binding best = null;
        int bestScore = 0;
        for (Binding candidate : candidates) {
            int score = candidate.matchScore(frame, datagram, receivedOn);
            if (score > bestScore) {
                best = candidate;
                bestScore = score;
            }
        }
        return best;
    }

    private Binding[] bindings(int port) {
        Binding[] bindings = byPort.get(port);
        return bindings == null ? NONE : bindings;
    }
}
