package io.quicxdp.autoconfigure.http3;

import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.handler.codec.http3.DefaultHttp3GoAwayFrame;
import io.netty.handler.codec.http3.DefaultHttp3SettingsFrame;
import io.netty.handler.codec.http3.Http3;
import io.netty.handler.codec.http3.Http3ServerConnectionHandler;
import io.netty.handler.codec.http3.Http3SettingsFrame;
import io.netty.handler.codec.quic.QuicChannel;
import io.netty.handler.codec.quic.QuicStreamChannel;
import io.netty.handler.ssl.SslHandshakeCompletionEvent;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;

/**
 * The QUIC connections of an HTTP/3 server, on every loop: each new one is counted and set up with Netty's HTTP/3
 * connection handler, whose request streams go to the application ({@link Http3RequestStreams}). Counts the
 * handshakes as the QUIC codec reports them, and says goodbye to every connection as the server stops.
 */
@ChannelHandler.Sharable
final class Http3Connections extends ChannelInitializer<QuicChannel> {

    /** HTTP/3's H3_NO_ERROR: the connection closes without a problem. */
    private static final int H3_NO_ERROR = 0x100;

    /** The largest client-initiated bidirectional stream id: "no new requests", all in flight kept. */
    private static final long LAST_STREAM_ID = (1L << 62) - 4;

    private final Http3RequestStreams streams;

    private final Http3SettingsFrame settings;

    private final Set<QuicChannel> open = ConcurrentHashMap.newKeySet();

    private final ChannelFutureListener closed = (future) -> this.open.remove((QuicChannel) future.channel());

    private final ChannelHandler handshakes = new Handshakes();

    private final LongAdder handshakesDone = new LongAdder();

    private final LongAdder handshakesFailed = new LongAdder();

    /**
     * @param streams where the request streams go
     * @param maxFieldSectionSize the largest request header section taken, announced to clients
     */
    Http3Connections(Http3RequestStreams streams, long maxFieldSectionSize) {
        this.streams = streams;
        this.settings = new DefaultHttp3SettingsFrame();
        this.settings.settings().maxFieldSectionSize(maxFieldSectionSize);
    }

    @Override
    protected void initChannel(QuicChannel connection) {
        this.open.add(connection);
        connection.closeFuture().addListener(this.closed);
        // its QPACK dynamic table off, as Netty's and Reactor Netty's HTTP/3 servers have it
        connection.pipeline()
            .addLast(this.handshakes)
            .addLast(new Http3ServerConnectionHandler(this.streams, null, null, this.settings, true));
    }

    /** Connections open now. */
    int open() {
        return this.open.size();
    }

    long handshakesDone() {
        return this.handshakesDone.sum();
    }

    long handshakesFailed() {
        return this.handshakesFailed.sum();
    }

    /** Tells every connection's client to open no new request on it (HTTP/3 GOAWAY); requests in flight go on. */
    void goAway() {
        for (QuicChannel connection : this.open) {
            QuicStreamChannel control = Http3.getLocalControlStream(connection);
            if (control != null) {
                control.writeAndFlush(new DefaultHttp3GoAwayFrame(LAST_STREAM_ID));
            }
        }
    }

    /** Closes every connection with H3_NO_ERROR and waits up to {@code nanos} for them to close. */
    void closeAll(long nanos) {
        long deadline = System.nanoTime() + nanos;
        for (QuicChannel connection : this.open) {
            connection.close(true, H3_NO_ERROR, Unpooled.EMPTY_BUFFER);
        }
        for (Channel connection : this.open) {
            connection.closeFuture().awaitUninterruptibly(Math.max(deadline - System.nanoTime(), 0) / 1_000_000);
        }
    }

    /** Counts a connection's TLS handshake as done or failed, as the QUIC codec reports it. */
    @ChannelHandler.Sharable
    private final class Handshakes extends ChannelInboundHandlerAdapter {

        @Override
        public void userEventTriggered(ChannelHandlerContext ctx, Object event) {
            if (event instanceof SslHandshakeCompletionEvent handshake) {
                (handshake.isSuccess() ? Http3Connections.this.handshakesDone : Http3Connections.this.handshakesFailed)
                    .increment();
            }
            ctx.fireUserEventTriggered(event);
        }
    }
}
