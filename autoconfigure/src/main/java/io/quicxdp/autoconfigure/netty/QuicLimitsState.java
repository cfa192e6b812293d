package io.quicxdp.autoconfigure.netty;

import io.quicxdp.netty.quic.QuicConnectionLimit;

/**
 * How a QUIC server turns new clients away past what it takes ({@code quic.xdp.http3.max-connections},
 * {@code max-handshakes} and {@code handshake-timeout} for HTTP/3; {@code quic.xdp.quic.*} for the servers bound
 * with {@link XdpChannelBinder#bindQuic}), read without stopping it. Counters count from the start.
 *
 * @param maxConnections connections taken at most, 0 for no limit
 * @param maxHandshakes handshakes under way at most, 0 for no limit
 * @param handshakesInProgress handshakes under way now
 * @param connectionsRefused new connections closed with QUIC's CONNECTION_REFUSED, the server being at
 *     {@code maxConnections}
 * @param initialsShed datagrams beginning with an Initial packet dropped before the QUIC codec, {@code maxHandshakes}
 *     being under way
 * @param handshakesTimedOut connections closed because their handshake did not complete within the handshake timeout
 */
public record QuicLimitsState(int maxConnections, int maxHandshakes, int handshakesInProgress, long connectionsRefused,
        long initialsShed, long handshakesTimedOut) {

    /** The limits and counts of {@code limit} now. */
    public static QuicLimitsState of(QuicConnectionLimit limit) {
        return new QuicLimitsState(limit.maxConnections(), limit.maxHandshakes(), limit.handshaking(), limit.refused(),
                limit.initialsShed(), limit.handshakesTimedOut());
    }
}
