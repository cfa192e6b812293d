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
 * @param amplificationDropped datagrams to clients whose address was not validated yet held back in front of the
 *     QUIC codec, as they would have taken what the server sent those clients past three times what it received
 *     from them (RFC 9000's anti-amplification limit)
 * @param amplificationBytesDropped the bytes of the {@code amplificationDropped} datagrams
 */
public record QuicLimitsState(int maxConnections, int maxHandshakes, int handshakesInProgress, long connectionsRefused,
        long initialsShed, long handshakesTimedOut, long amplificationDropped, long amplificationBytesDropped) {

    /** The limits and counts of {@code limit} now. */
    public static QuicLimitsState of(QuicConnectionLimit limit) {
        return new QuicLimitsState(limit.maxConnections(), limit.maxHandshakes(), limit.handshaking(), limit.refused(),
                limit.initialsShed(), limit.handshakesTimedOut(), limit.amplificationDropped(),
                limit.amplificationBytesDropped());
    }
}
