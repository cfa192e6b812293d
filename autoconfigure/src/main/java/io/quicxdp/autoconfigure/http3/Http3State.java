package io.quicxdp.autoconfigure.http3;

/**
 * What the HTTP/3 server has done, read without stopping it. Counters count from the start.
 *
 * @param port the UDP port served
 * @param running whether the server is serving
 * @param connectionsOpen QUIC connections open now
 * @param handshakesDone connections whose TLS handshake completed
 * @param handshakesFailed connections whose TLS handshake failed
 * @param requests request streams opened
 * @param requestsInFlight requests being handled now
 * @param bytesReceived bytes of HTTP/3 frames (headers and data) received on request streams
 * @param bytesSent bytes of HTTP/3 frames (headers and data) sent on request streams
 * @param retriesSent Retry packets sent to validate a new client's address
 */
public record Http3State(int port, boolean running, int connectionsOpen, long handshakesDone, long handshakesFailed,
        long requests, int requestsInFlight, long bytesReceived, long bytesSent, long retriesSent) {
}
