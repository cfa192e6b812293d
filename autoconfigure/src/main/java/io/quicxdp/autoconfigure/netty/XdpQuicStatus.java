package io.quicxdp.autoconfigure.netty;

/**
 * Where the actuator reads the QUIC connection IDs' {@link QuicRoutingState}. A type of its own, free of Netty's
 * QUIC codec and of quic-xdp-netty, so that the endpoint and meters load where they are absent.
 */
@FunctionalInterface
public interface XdpQuicStatus {

    /** The connection IDs' format and the hand-over's counters now. */
    QuicRoutingState state();
}
