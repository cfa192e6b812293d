package io.quicxdp.autoconfigure.http3;

import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerAdapter;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.quic.QuicStreamChannel;
import java.util.concurrent.atomic.LongAdder;
import org.springframework.core.io.buffer.NettyDataBufferFactory;
import org.springframework.http.server.reactive.HttpHandler;

/**
 * The application's {@link HttpHandler} on every HTTP/3 request stream of a server: the handler Netty's HTTP/3
 * codec puts at the end of each request stream's pipeline, where it takes the place of itself with the stream's
 * own {@link Http3RequestStream}. Counts the request streams.
 */
@ChannelHandler.Sharable
final class Http3RequestStreams extends ChannelHandlerAdapter {

    static final String NAME = "quicXdp.http3.request";

    private final HttpHandler handler;

    private final NettyDataBufferFactory buffers = new NettyDataBufferFactory(ByteBufAllocator.DEFAULT);

    private final LongAdder requests = new LongAdder();

    private final LongAdder open = new LongAdder();

    Http3RequestStreams(HttpHandler handler) {
        this.handler = handler;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        QuicStreamChannel stream = (QuicStreamChannel) ctx.channel();
        ctx.pipeline().replace(this, NAME, new Http3RequestStream(this, stream));
    }

    HttpHandler handler() {
        return this.handler;
    }

    NettyDataBufferFactory buffers() {
        return this.buffers;
    }

    void opened() {
        this.requests.increment();
        this.open.increment();
    }

    void closed() {
        this.open.decrement();
    }

    /** Request streams opened. */
    long requests() {
        return this.requests.sum();
    }

    /** Request streams open now: their requests being handled, or their responses sent. */
    int open() {
        return this.open.intValue();
    }
}
