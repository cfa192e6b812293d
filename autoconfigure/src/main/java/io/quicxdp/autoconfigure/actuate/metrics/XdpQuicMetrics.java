package io.quicxdp.autoconfigure.actuate.metrics;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.MeterBinder;
import io.quicxdp.autoconfigure.netty.QuicRoutingState;
import io.quicxdp.autoconfigure.netty.XdpQuicStatus;
import java.util.function.ToLongFunction;
import org.jspecify.annotations.Nullable;

/**
 * Micrometer meters over the QUIC connections' routing across the event loops: datagrams handed to the loop that
 * owns their connection ({@code quic.xdp.quic.handovers}, {@code result}: {@code handed} or {@code dropped}),
 * short-header datagrams with destination IDs this server did not issue ({@code quic.xdp.quic.foreign.packets}),
 * the stateless resets sent for them ({@code quic.xdp.quic.stateless.resets}),
 * and connections whose peer moved ({@code quic.xdp.quic.migrations}). Each read takes the routing's counters,
 * a few sums.
 */
public class XdpQuicMetrics implements MeterBinder {

    private final XdpQuicStatus quic;

    /**
     * Creates the meters' source.
     *
     * @param quic the routing whose counters the meters read
     */
    public XdpQuicMetrics(XdpQuicStatus quic) {
        this.quic = quic;
    }

    @Override
    public void bindTo(MeterRegistry registry) {
        counter(registry, "quic.xdp.quic.handovers", "handed", QuicRoutingState::packetsHandedOver,
                "Datagrams received on one event loop for a QUIC connection of another, by result: handed to its "
                        + "codec, or dropped (its channel closed, or too many waiting)");
        counter(registry, "quic.xdp.quic.handovers", "dropped", QuicRoutingState::handOversDropped,
                "Datagrams received on one event loop for a QUIC connection of another, by result: handed to its "
                        + "codec, or dropped (its channel closed, or too many waiting)");
        counter(registry, "quic.xdp.quic.foreign.packets", null, QuicRoutingState::foreignPackets,
                "Short-header QUIC datagrams whose destination connection ID this server did not issue, dropped");
        counter(registry, "quic.xdp.quic.stateless.resets", null, QuicRoutingState::statelessResetsSent,
                "Stateless resets sent for short-header QUIC datagrams with another instance's connection IDs");
        counter(registry, "quic.xdp.quic.migrations", null, QuicRoutingState::migrationsSeen,
                "QUIC connections whose peer moved to a new address");
        counter(registry, "quic.xdp.quic.connections.refused", null,
                (state) -> state.limits().connectionsRefused(),
                "New QUIC connections refused with CONNECTION_REFUSED at quic.xdp.quic.max-connections");
        counter(registry, "quic.xdp.quic.initials.shed", null, (state) -> state.limits().initialsShed(),
                "Datagrams beginning with a QUIC Initial dropped before the codec at quic.xdp.quic.max-handshakes");
        counter(registry, "quic.xdp.quic.handshakes.timed.out", null, (state) -> state.limits().handshakesTimedOut(),
                "New QUIC connections closed at quic.xdp.quic.handshake-timeout");
        counter(registry, "quic.xdp.quic.amplification.dropped", null,
                (state) -> state.limits().amplificationDropped(),
                "Datagrams to unvalidated QUIC clients held back at three times what they sent (anti-amplification)");
        Gauge.builder("quic.xdp.quic.handshakes.in.progress", this.quic,
                (status) -> status.state().limits().handshakesInProgress())
            .description("Handshakes of new QUIC connections under way now")
            .register(registry);
    }

    private void counter(MeterRegistry registry, String name, @Nullable String result,
            ToLongFunction<QuicRoutingState> value, String description) {
        FunctionCounter.Builder<XdpQuicStatus> counter = FunctionCounter
            .builder(name, this.quic, (status) -> value.applyAsLong(status.state()))
            .description(description);
        if (result != null) {
            counter.tags("result", result);
        }
        counter.register(registry);
    }
}
