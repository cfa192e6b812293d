package io.quicxdp.autoconfigure.http3;

import io.netty.handler.codec.quic.QuicConnectionIdGenerator;
import io.quicxdp.netty.quic.QuicLbConnectionIds;
import io.quicxdp.netty.quic.XdpQuicDispatcher;
import io.quicxdp.netty.quic.XdpQuicRouting;
import java.util.function.IntFunction;

/**
 * Gives the HTTP/3 server the connection IDs and the hand-over between loops of the Netty QUIC API
 * ({@code quic.xdp.quic.*}): each loop's codec issues QUIC-LB IDs that name this server and that loop, an
 * {@link XdpQuicDispatcher} in front of it hands a datagram that arrived on another loop to the loop holding its
 * connection, and each connection counts its peer's migrations. The routing's counters (in {@code /actuator/xdp}
 * and the {@code quic.xdp.quic.*} meters) then include the HTTP/3 server's. A customizer after it that sets
 * connection IDs of its own leaves the datagrams on the loop that received them.
 */
final class Http3Routing implements XdpHttp3QuicCustomizer {

    /** The name of the dispatcher in each loop's channel pipeline, in front of the codec. */
    static final String DISPATCHER = "quicXdp.http3.dispatcher";

    private final XdpQuicRouting routing;

    Http3Routing(XdpQuicRouting routing) {
        this.routing = routing;
    }

    @Override
    public void customize(XdpHttp3Quic quic) {
        QuicLbConnectionIds ids = this.routing.connectionIds();
        IntFunction<QuicConnectionIdGenerator> generators = ids::generator;
        // one dispatcher for the port: it takes one channel per loop, and lets go of them as they close
        XdpQuicDispatcher dispatcher = this.routing.dispatcher();
        quic.connectionIds(ids.connectionIdLength(), generators).channelStep((loop, channel) -> {
            // IDs of a customizer's own making do not say the loop: the dispatcher would drop their packets
            if (quic.connectionIdGenerators() == generators) {
                channel.pipeline().addBefore(XdpHttp3Quic.CODEC, DISPATCHER, dispatcher);
            }
        }).connectionHandler(this.routing.migrationCounter());
    }
}
