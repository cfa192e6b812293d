package io.quicxdp.autoconfigure.http3;

import io.quicxdp.autoconfigure.netty.QuicLimitsState;

/**
 * What the HTTP/3 server has done, read without stopping it. Counters count from the start.
 *
 * @param port the UDP port served
 * @param running whether the server is serving
 * @param connectionsOpen QUIC connections open now
 * @param handshakesDone connections whose TLS handshake completed
 * @param handshakesFailed connections whose TLS handshake failed
 * @param requests request streams opened
 * @param requestsInFlight requests being handled now: request streams open, until their responses are sent
 * @param bytesReceived bytes of the QUIC packets received (UDP payloads): requests with their HTTP/3 and QUIC
 *     framing, handshakes, acknowledgements
 * @param bytesSent bytes of the QUIC packets sent (UDP payloads): responses with their framing, handshakes,
 *     acknowledgements, retransmissions
 * @param retriesSent Retry packets sent to validate a new client's address
 * @param limits the connections and handshakes refused or shed past the server's limits
 */
public record Http3State(int port, boolean running, int connectionsOpen, long handshakesDone, long handshakesFailed,
        long requests, int requestsInFlight, long bytesReceived, long bytesSent, long retriesSent,
        QuicLimitsState limits) {
}
