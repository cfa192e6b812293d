package io.quicxdp.netty.quic;

import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.quic.QuicPathEvent;
import java.util.concurrent.atomic.LongAdder;

/** Counts the QUIC connections whose peer moved to a new address: quiche's path event, on each connection. */
@ChannelHandler.Sharable
final class MigrationCounter extends ChannelInboundHandlerAdapter {

    private final LongAdder migrations;

    MigrationCounter(LongAdder migrations) {
        this.migrations = migrations;
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object event) {
        if (event instanceof QuicPathEvent.PeerMigrated) {
            migrations.increment();
        }
        ctx.fireUserEventTriggered(event);
    }
}
