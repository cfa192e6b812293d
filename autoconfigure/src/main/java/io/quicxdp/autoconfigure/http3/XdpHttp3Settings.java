package io.quicxdp.autoconfigure.http3;

import java.time.Duration;

/**
 * How the HTTP/3 server runs its connections: what {@code quic.xdp.http3.*} says, as plain values.
 *
 * @param idleTimeout how long a connection may stay idle before it is closed
 * @param maxStreams bidirectional streams (requests) a client may have open on one connection
 * @param maxData bytes a client may send on one connection before the server grants more
 * @param maxStreamData bytes a client may send on one stream before the server grants more
 * @param retry whether a new client's address is validated with a Retry first
 * @param shutdownTimeout how long shutdown waits for the requests in flight
 * @param maxFieldSectionSize the largest request header section taken, in QPACK's measure (RFC 9114, 4.2.2)
 * @param maxConnections connections taken at most, 0 for no limit
 * @param maxHandshakes handshakes under way at most, 0 for no limit
 * @param handshakeTimeout how long a connection may take to complete its handshake
 */
record XdpHttp3Settings(Duration idleTimeout, long maxStreams, long maxData, long maxStreamData, boolean retry,
        Duration shutdownTimeout, long maxFieldSectionSize, int maxConnections, int maxHandshakes,
        Duration handshakeTimeout) {
}
