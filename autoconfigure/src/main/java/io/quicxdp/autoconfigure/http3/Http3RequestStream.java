package io.quicxdp.autoconfigure.http3;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelPromise;
import io.netty.channel.socket.ChannelInputShutdownReadComplete;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http3.DefaultHttp3Headers;
import io.netty.handler.codec.http3.DefaultHttp3HeadersFrame;
import io.netty.handler.codec.http3.Http3DataFrame;
import io.netty.handler.codec.http3.Http3Headers;
import io.netty.handler.codec.http3.Http3HeadersFrame;
import io.netty.handler.codec.quic.QuicStreamChannel;
import io.netty.handler.codec.quic.QuicStreamResetException;
import io.netty.util.AsciiString;
import io.netty.util.ReferenceCountUtil;
import java.net.URISyntaxException;
import java.nio.channels.ClosedChannelException;
import java.util.concurrent.atomic.AtomicReferenceFieldUpdater;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import org.jspecify.annotations.Nullable;
import org.reactivestreams.Subscription;
import org.springframework.core.io.buffer.DataBuffer;
import org.springframework.core.io.buffer.DataBufferUtils;
import org.springframework.core.io.buffer.NettyDataBuffer;
import org.springframework.http.HttpMethod;
import org.springframework.http.server.reactive.HttpHeadResponseDecorator;
import org.springframework.http.server.reactive.ServerHttpResponse;
import reactor.core.CoreSubscriber;

/**
 * One HTTP/3 request stream served by the application's {@code HttpHandler}: the request from the stream's
 * HEADERS frame, its body from the DATA frames as the handler reads it (the stream reads only on demand), the
 * response written back as HEADERS and DATA frames, ended by one shutdown of the stream's output.
 *
 * <ul>
 * <li>A request whose fields or target are malformed gets a 400, without the handler.
 * <li>A handler that fails before the response's headers went out gets a 500; after, the stream is reset
 * ({@code H3_INTERNAL_ERROR}), so that the client does not take a cut response for a whole one.
 * <li>A client that resets the stream, or a connection that closes, cancels the handler and fails the body's
 * reading and writing.
 * <li>Once the response is sent, what is left of the request is read and dropped, so that the stream can close.
 * </ul>
 *
 * Everything here runs on the stream's event loop.
 */
final class Http3RequestStream extends ChannelInboundHandlerAdapter implements CoreSubscriber<Void>,
        ChannelFutureListener {

    /** HTTP/3's error codes (RFC 9114, 8.1). */
    static final int H3_NO_ERROR = 0x100;

    static final int H3_INTERNAL_ERROR = 0x102;

    static final int H3_REQUEST_INCOMPLETE = 0x10d;

    static final int H3_REQUEST_CANCELLED = 0x10c;

    private static final Log logger = LogFactory.getLog(Http3RequestStream.class);

    private static final AtomicReferenceFieldUpdater<Http3RequestStream, Http3RequestBody> BODY =
            AtomicReferenceFieldUpdater.newUpdater(Http3RequestStream.class, Http3RequestBody.class, "body");

    private static final AsciiString ZERO = AsciiString.cached("0");

    /** A body part up to this size goes out copied behind its frame's header, in one buffer. */
    private static final int COPY_LIMIT = 8192;

    private final Http3RequestStreams streams;

    private final QuicStreamChannel channel;

    private @Nullable ChannelHandlerContext ctx;

    private @Nullable Http3ServerHttpRequest request;

    private @Nullable Http3ServerHttpResponse response;

    /** Made when the handler asks for the body or the first DATA frame comes. */
    private volatile @Nullable Http3RequestBody body;

    private @Nullable Http3ResponseBody writing;

    /** The handler's subscription, until it ends. */
    private @Nullable Subscription handling;

    private boolean handled;

    private boolean continueExpected;

    private boolean headersSent;

    /** The response ended: its output shut, or reset. */
    private boolean ended;

    /** The client finished its side of the stream. */
    private boolean inputDone;

    private boolean closed;

    Http3RequestStream(Http3RequestStreams streams, QuicStreamChannel channel) {
        this.streams = streams;
        this.channel = channel;
    }

    QuicStreamChannel channel() {
        return this.channel;
    }

    /** Whether the client finished its side of the stream: on the event loop. */
    boolean inputDone() {
        return this.inputDone;
    }

    /** Whether the stream closed: on the event loop. */
    boolean closed() {
        return this.closed;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        this.ctx = ctx;
        // read as the handler asks for the body, not as fast as the client sends it
        ctx.channel().config().setAutoRead(false);
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        this.streams.opened();
        ctx.read();
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (msg instanceof Http3DataFrame data) {
            if (this.ended) {
                data.release();
            }
            else {
                body().arrived(this.streams.buffers().wrap(data.content()));
            }
        }
        else if (msg instanceof Http3HeadersFrame headers) {
            // a second HEADERS frame carries trailers, which Spring does not read
            if (this.request == null && !this.ended) {
                request(headers.headers());
            }
        }
        else {
            ReferenceCountUtil.release(msg);
        }
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        Http3RequestBody body = this.body;
        // the request's fields, the body as the handler asks for it (and one read ahead), the rest once answered
        if (!this.inputDone && (this.request == null || this.ended || body == null || body.wantsMore())) {
            ctx.read();
        }
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object event) {
        if (event == ChannelInputShutdownReadComplete.INSTANCE) {
            this.inputDone = true;
            if (this.request == null && !this.ended) {
                abort(new IllegalStateException("The client ended the stream before its request"),
                        H3_REQUEST_INCOMPLETE);
            }
            Http3RequestBody body = this.body;
            if (body != null) {
                body.complete();
            }
        }
        ReferenceCountUtil.release(event);
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
        if (this.writing != null && ctx.channel().isWritable()) {
            this.writing.writable();
        }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        abort(cause, (cause instanceof QuicStreamResetException) ? H3_REQUEST_CANCELLED : H3_INTERNAL_ERROR);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        this.closed = true;
        this.streams.closed();
        if (!this.handled && this.handling != null) {
            this.handling.cancel();
        }
        this.handled = true;
        Http3RequestBody body = this.body;
        boolean reading = body != null && !body.done();
        boolean writing = this.writing != null && this.writing.active();
        if (reading || writing) {
            ClosedChannelException gone = new ClosedChannelException();
            if (reading) {
                body.fail(gone);
            }
            if (writing) {
                this.writing.fail(gone);
            }
        }
    }

    /** Serves the request that {@code fields} make. */
    private void request(Http3Headers fields) {
        String malformed = Http3Fields.malformed(fields);
        if (malformed != null) {
            reject(HttpResponseStatus.BAD_REQUEST, malformed);
            return;
        }
        Http3ServerHttpRequest request;
        try {
            request = Http3ServerHttpRequest.of(this, fields);
        }
        catch (URISyntaxException | IllegalArgumentException ex) {
            reject(HttpResponseStatus.BAD_REQUEST, ex.getMessage());
            return;
        }
        this.request = request;
        Http3ServerHttpResponse response = new Http3ServerHttpResponse(this, this.streams.buffers());
        this.response = response;
        this.continueExpected = HttpHeaderValues.CONTINUE.contentEqualsIgnoreCase(fields.get(HttpHeaderNames.EXPECT));
        ServerHttpResponse handed = (request.getMethod() == HttpMethod.HEAD) ? new HttpHeadResponseDecorator(response)
                : response;
        try {
            this.streams.handler().handle(request, handed).subscribe(this);
        }
        catch (Throwable ex) {
            failed(ex);
        }
    }

    /** The request's body, for its one subscriber. */
    Http3RequestBody body() {
        Http3RequestBody body = this.body;
        if (body == null) {
            BODY.compareAndSet(this, null, new Http3RequestBody(this));
            body = this.body;
        }
        return body;
    }

    /** The body's subscriber wants more than has arrived: on the event loop. */
    void read() {
        if (this.continueExpected && !this.headersSent && !this.ended) {
            // the client waits for a go-ahead before it sends the body (RFC 9110, 10.1.1)
            this.continueExpected = false;
            Http3Headers proceed = new DefaultHttp3Headers(false, 1);
            proceed.status(HttpResponseStatus.CONTINUE.codeAsText());
            this.ctx.write(new DefaultHttp3HeadersFrame(proceed), this.ctx.voidPromise());
        }
        if (!this.inputDone && !this.closed) {
            this.ctx.read();
        }
    }

    @Override
    public void onSubscribe(Subscription subscription) {
        this.handling = subscription;
        subscription.request(Long.MAX_VALUE);
    }

    @Override
    public void onNext(Void none) {
    }

    @Override
    public void onComplete() {
        if (this.channel.eventLoop().inEventLoop()) {
            handled();
        }
        else {
            this.channel.eventLoop().execute(this::handled);
        }
    }

    @Override
    public void onError(Throwable error) {
        if (this.channel.eventLoop().inEventLoop()) {
            failed(error);
        }
        else {
            this.channel.eventLoop().execute(() -> failed(error));
        }
    }

    /** The handler is done: ends the response unless its body's writing does. */
    private void handled() {
        this.handled = true;
        if (this.ended || this.closed) {
            return;
        }
        if (this.writing != null) {
            // still writing, it ends the response; cancelled before it finished, the response is not whole
            if (!this.writing.active()) {
                resetResponse();
            }
            return;
        }
        Http3ServerHttpResponse response = this.response;
        if (response != null && !response.isCommitted()) {
            // a handler that never committed its response (WebFlux's always does): its commit actions first
            response.setComplete().subscribe(null, (error) -> onLoop(() -> failed(error)),
                    () -> onLoop(this::endResponse));
            return;
        }
        endResponse();
    }

    /** The handler failed: a 500 if its response's headers did not go out yet, else a reset stream. */
    private void failed(Throwable error) {
        this.handled = true;
        if (logger.isDebugEnabled()) {
            logger.debug(logPrefix() + "Failed to complete: " + error);
        }
        if (this.ended || this.closed) {
            return;
        }
        if (this.headersSent) {
            resetResponse();
        }
        else {
            if (this.writing != null) {
                this.writing.cancel();
            }
            reject(HttpResponseStatus.INTERNAL_SERVER_ERROR, null);
        }
    }

    /** The stream is broken: by the client, by the codec, or here. */
    private void abort(Throwable cause, int code) {
        if (logger.isDebugEnabled()) {
            logger.debug(logPrefix() + "Request stream aborted: " + cause);
        }
        if (!this.handled && this.handling != null) {
            this.handling.cancel();
        }
        this.handled = true;
        Http3RequestBody body = this.body;
        if (body != null) {
            body.fail(cause);
        }
        if (this.writing != null) {
            this.writing.fail(cause);
        }
        reset(code);
    }

    /**
     * Writes a DATA frame with {@code buffer}, after the response's HEADERS frame if it did not go out yet: for the
     * response's body.
     *
     * <p>The frame goes to the stream itself, below Netty's HTTP/3 codec, as one buffer (a small body copied behind
     * the frame's header) or as two (the header, then a large direct body as it is). Through the codec it would be
     * one buffer of two parts, which the QUIC stream writes part by part and which then loses the client's
     * STOP_SENDING: the write waits for ever instead of failing (Netty 4.2.18, {@code QuicheQuicChannel.streamSend}).
     */
    ChannelFuture writeData(DataBuffer buffer) {
        if (!this.headersSent) {
            writeHeaders(this.response.fields(), this.ctx.voidPromise());
        }
        ChannelHandlerContext stream = this.ctx.pipeline().firstContext();
        int length = buffer.readableByteCount();
        if (length > COPY_LIMIT && buffer instanceof NettyDataBuffer netty && netty.getNativeBuffer().isDirect()) {
            stream.write(Http3Fields.dataFrameHeader(this.ctx.alloc(), length), stream.voidPromise());
            return stream.write(netty.getNativeBuffer());
        }
        ByteBuf frame = Http3Fields.dataFrameHeader(this.ctx.alloc(), length, length);
        try (DataBuffer.ByteBufferIterator parts = buffer.readableByteBuffers()) {
            while (parts.hasNext()) {
                frame.writeBytes(parts.next());
            }
        }
        finally {
            DataBufferUtils.release(buffer);
        }
        return stream.write(frame);
    }

    /** The response's body is being written by {@code writing}. */
    void writing(Http3ResponseBody writing) {
        this.writing = writing;
    }

    /** Ends the response: its HEADERS frame if it did not go out yet, then the stream's output shut, once. */
    void endResponse() {
        if (this.ended || this.closed) {
            return;
        }
        this.ended = true;
        if (this.headersSent) {
            this.channel.shutdownOutput(this.ctx.voidPromise());
        }
        else {
            shutOutputAfter(writeHeaders(this.response.fields(), this.ctx.newPromise()));
        }
        afterResponse();
    }

    /** Resets the response's part of the stream: what was sent of it is not a whole response. */
    void resetResponse() {
        reset(H3_INTERNAL_ERROR);
    }

    private void reset(int code) {
        if (this.closed) {
            return;
        }
        this.ended = true;
        if (!this.channel.isOutputShutdown()) {
            if (this.inputDone) {
                this.channel.shutdownOutput(code, this.ctx.voidPromise());
            }
            else {
                this.channel.shutdown(code, this.ctx.voidPromise());
            }
        }
        this.ctx.close();
    }

    /** Answers {@code status} with no body, without (or instead of) the handler's response. */
    private void reject(HttpResponseStatus status, @Nullable String reason) {
        if (reason != null && logger.isDebugEnabled()) {
            logger.debug(this.channel + " " + status.code() + ": " + reason);
        }
        this.ended = true;
        Http3Headers fields = new DefaultHttp3Headers(false, 2);
        fields.status(status.codeAsText());
        fields.set(HttpHeaderNames.CONTENT_LENGTH, ZERO);
        shutOutputAfter(writeHeaders(fields, this.ctx.newPromise()));
        afterResponse();
    }

    private ChannelFuture writeHeaders(Http3Headers fields, ChannelPromise promise) {
        this.headersSent = true;
        return this.ctx.write(new DefaultHttp3HeadersFrame(fields), promise);
    }

    /** Shuts the output once {@code write} is on the stream: a FIN sent before it would cut it off. */
    private void shutOutputAfter(ChannelFuture write) {
        if (write.isDone()) {
            operationComplete(write);
        }
        else {
            write.addListener(this);
        }
    }

    @Override
    public void operationComplete(ChannelFuture write) {
        if (write.isSuccess()) {
            this.channel.shutdownOutput(this.ctx.voidPromise());
        }
        else {
            abort(write.cause(), H3_INTERNAL_ERROR);
        }
    }

    /** The response is sent: the rest of the request is read and dropped, so that the stream can close. */
    private void afterResponse() {
        Http3RequestBody body = this.body;
        if (body != null && !body.done()) {
            body.fail(new IllegalStateException("The response was sent before the request body was read"));
        }
        if (!this.inputDone && !this.closed) {
            this.ctx.read();
        }
    }

    private void onLoop(Runnable task) {
        if (this.channel.eventLoop().inEventLoop()) {
            task.run();
        }
        else {
            this.channel.eventLoop().execute(task);
        }
    }

    private String logPrefix() {
        return (this.request != null) ? "[" + this.request.getId() + "] " : this.channel + " ";
    }
}
