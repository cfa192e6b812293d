package io.quicxdp.autoconfigure.http3;

import io.netty.handler.codec.quic.QuicConnectionIdGenerator;
import io.netty.handler.codec.quic.QuicResetTokenGenerator;
import io.quicxdp.netty.quic.QuicLbConnectionIds;
import io.quicxdp.netty.quic.StatelessResets;
import io.quicxdp.netty.quic.XdpQuicDispatcher;
import io.quicxdp.netty.quic.XdpQuicRouting;
import java.util.function.IntFunction;
import org.jspecify.annotations.Nullable;

/**
 * Gives the HTTP/3 server the connection IDs and the hand-over between loops of the Netty QUIC API
 * ({@code quic.xdp.quic.*}): each loop's codec issues QUIC-LB IDs that name this server and that loop, an
 * {@link XdpQuicDispatcher} in front of it hands a datagram that arrived on another loop to the loop holding its
 * connection, and each connection counts its peer's migrations. The routing's counters (in {@code /actuator/xdp}
 * and the {@code quic.xdp.quic.*} meters) then include the HTTP/3 server's. With a shared stateless-reset key,
 * a short header whose ID another instance issued is answered with a stateless reset. A customizer after it that sets
 * connection IDs of its own leaves the datagrams on the loop that received them.
 */
final class Http3Routing implements XdpHttp3QuicCustomizer {

    /** The name of the dispatcher in each loop's channel pipeline, in front of the codec. */
    static final String DISPATCHER = "quicXdp.http3.dispatcher";

    /** Stateless resets the port sends a second at most, over every loop: a bound on what strangers cost. */
    static final int RESETS_PER_SECOND = 1000;

    private final XdpQuicRouting routing;

    private @Nullable XdpQuicDispatcher dispatcher;

    Http3Routing(XdpQuicRouting routing) {
        this.routing = routing;
    }

    @Override
    public void customize(XdpHttp3Quic quic) {
        QuicLbConnectionIds ids = this.routing.connectionIds();
        IntFunction<QuicConnectionIdGenerator> generators = ids::generator;
        quic.connectionIds(ids.connectionIdLength(), generators).channelStep((loop, channel) -> {
            // IDs of a customizer's own making do not say the loop: the dispatcher would drop their packets
            if (quic.connectionIdGenerators() == generators) {
                channel.pipeline().addBefore(XdpHttp3Quic.CODEC, DISPATCHER, dispatcher(quic));
            }
        }).connectionHandler(this.routing.migrationCounter());
    }

    /**
     * The port's one dispatcher, which takes one channel per loop and lets go of them as they close; made as the
     * server first starts, when the customizers have set the reset tokens. Only tokens from a configured key
     * ({@code quic.xdp.http3.stateless-reset-key}, shared by the fleet) are worth a reset: a client recognizes
     * the token of the instance that issued its connection ID, and Netty's default is random to each process.
     */
    private synchronized XdpQuicDispatcher dispatcher(XdpHttp3Quic quic) {
        if (this.dispatcher == null) {
            QuicResetTokenGenerator tokens = quic.resetTokenGenerator();
            this.dispatcher = this.routing.dispatcher(null,
                    (tokens != null) ? StatelessResets.create(tokens, RESETS_PER_SECOND) : null);
        }
        return this.dispatcher;
    }
}
