package io.quicxdp.autoconfigure.http3;

import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOutboundHandlerAdapter;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.ChannelPromise;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.codec.http3.Http3FrameToHttpObjectCodec;
import io.netty.handler.codec.quic.QuicStreamChannel;
import io.netty.util.concurrent.PromiseCombiner;

/**
 * Ends each HTTP/3 response with one shutdown of the stream's output, not two. Netty's
 * {@link Http3FrameToHttpObjectCodec} shuts the output once a response's last part is written, and so does
 * Reactor Netty's HTTP/3 stream handler on the same write; the second shutdown finds the FIN sent and builds a
 * {@code ChannelOutputShutdownException} with its stack trace, per response (docs/http3.md).
 *
 * <p>Between the two, this hands the codec the last part as a plain part (a full response as its head and its
 * body), so the codec adds no shutdown and Reactor Netty's listener is the one. The first response checks that
 * the listener did shut the output; should it not have (a Reactor Netty that stopped doing so), this shuts it
 * and from then on passes every part unchanged. A last part with trailers, and a 100 Continue, pass unchanged.
 * One instance serves every stream of every server.
 */
@ChannelHandler.Sharable
final class OneFinPerResponse extends ChannelOutboundHandlerAdapter {

    static final String NAME = "quicXdp.oneFinPerResponse";

    /** Whether Reactor Netty shuts a response's output itself: null until the first response tells. */
    private volatile Boolean upstreamShuts;

    /** Puts it on a request stream, on the application's side of Netty's codec, if the stream has one. */
    void install(ChannelPipeline stream) {
        ChannelHandlerContext codec = stream.context(Http3FrameToHttpObjectCodec.class);
        if (codec != null) {
            stream.addAfter(codec.name(), NAME, this);
        }
    }

    @Override
    public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
        Boolean shuts = this.upstreamShuts;
        if (!(msg instanceof LastHttpContent last) || !last.trailingHeaders().isEmpty() || promise.isVoid()
                || (msg instanceof HttpResponse response && HttpResponseStatus.CONTINUE.equals(response.status()))
                || Boolean.FALSE.equals(shuts)) {
            ctx.write(msg, promise);
            return;
        }
        if (msg instanceof HttpResponse full) {
            HttpResponse head = new DefaultHttpResponse(full.protocolVersion(), full.status(), full.headers());
            if (last.content().isReadable()) {
                PromiseCombiner both = new PromiseCombiner(ctx.executor());
                both.add(ctx.write(head));
                both.add(ctx.write(new DefaultHttpContent(last.content())));
                both.finish(promise);
            }
            else {
                last.release();
                ctx.write(head, promise);
            }
        }
        else {
            ctx.write(new DefaultHttpContent(last.content()), promise);
        }
        if (shuts == null) {
            // Reactor Netty adds its listener once this returns: look after it has had its turn
            QuicStreamChannel stream = (QuicStreamChannel) ctx.channel();
            ctx.executor().execute(() -> check(stream, promise));
        }
    }

    void check(QuicStreamChannel stream, ChannelPromise written) {
        if (!written.isDone()) {
            written.addListener((ChannelFutureListener) (done) -> check(stream, written));
            return;
        }
        boolean shut = stream.isOutputShutdown();
        if (!shut) {
            stream.shutdownOutput();
        }
        this.upstreamShuts = shut;
    }
}
