package io.quicxdp.autoconfigure.http3;

import io.quicxdp.netty.quic.QuicConnectionLimit;

/**
 * How the HTTP/3 server turns new clients away past what it takes ({@code quic.xdp.http3.max-connections},
 * {@code max-handshakes}, {@code handshake-timeout}), read without stopping it. Counters count from the start.
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
public record Http3Limits(int maxConnections, int maxHandshakes, int handshakesInProgress, long connectionsRefused,
        long initialsShed, long handshakesTimedOut) {

    static Http3Limits of(QuicConnectionLimit limit) {
        return new Http3Limits(limit.maxConnections(), limit.maxHandshakes(), limit.handshaking(), limit.refused(),
                limit.initialsShed(), limit.handshakesTimedOut());
    }
}
