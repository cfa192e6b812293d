package io.quicxdp.autoconfigure.http3;

import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import org.jspecify.annotations.Nullable;
import org.reactivestreams.Publisher;
import org.reactivestreams.Subscription;
import org.springframework.core.io.buffer.DataBuffer;
import org.springframework.core.io.buffer.DataBufferUtils;
import reactor.core.CoreSubscriber;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Operators;

/**
 * Writing a response's body on its request stream, with back-pressure: buffers are asked for a few at a time
 * (so that a source that cannot wait, such as {@code Flux.interval}, keeps going between two turns of the event
 * loop), and more only while the stream can take them (QUIC's flow and congestion control say so through the
 * stream's writability). Completes once the last DATA frame is written and the stream's output is shut, once; fails with
 * the write's own failure (a client that stopped the stream, a connection that closed), which resets the stream.
 *
 * <p>Everything runs on the stream's event loop: signals from other threads are handed to it in the order they
 * came.
 */
final class Http3ResponseBody extends Mono<Void> implements CoreSubscriber<DataBuffer>, Subscription,
        ChannelFutureListener {

    /** Buffers asked for and not yet come: at most this many. */
    private static final int PREFETCH = 32;

    /** Asks for more once no more than this many are still to come. */
    private static final int REFILL = PREFETCH / 4;

    private final Http3RequestStream stream;

    private final Publisher<? extends DataBuffer> body;

    private @Nullable CoreSubscriber<? super Void> actual;

    private @Nullable Subscription upstream;

    private final LoopSignals signals;

    /** The last DATA frame written, until it is on the stream. */
    private @Nullable ChannelFuture lastWrite;

    private boolean awaitingWritability;

    /** Buffers asked for and not yet come. */
    private int outstanding;

    private boolean upstreamDone;

    private boolean done;

    Http3ResponseBody(Http3RequestStream stream, Publisher<? extends DataBuffer> body) {
        this.stream = stream;
        this.body = body;
        this.signals = new LoopSignals(stream.channel().eventLoop());
    }

    @Override
    public void subscribe(CoreSubscriber<? super Void> actual) {
        this.actual = actual;
        actual.onSubscribe(this);
        this.body.subscribe(this);
    }

    @Override
    public void onSubscribe(Subscription subscription) {
        if (Operators.validate(this.upstream, subscription)) {
            this.upstream = subscription;
            this.signals.run(this::start);
        }
    }

    private void start() {
        if (this.done) {
            return;
        }
        this.stream.writing(this);
        requestIfWritable();
    }

    @Override
    public void onNext(DataBuffer buffer) {
        if (this.signals.direct()) {
            write(buffer);
        }
        else {
            this.signals.hand(() -> write(buffer));
        }
    }

    private void write(DataBuffer buffer) {
        if (this.done) {
            DataBufferUtils.release(buffer);
            return;
        }
        this.outstanding--;
        ChannelFuture write = this.stream.writeData(buffer);
        this.lastWrite = write;
        if (write.isDone()) {
            if (!write.isSuccess()) {
                fail(write.cause());
                return;
            }
        }
        else {
            write.addListener(this);
        }
        requestIfWritable();
    }

    private void requestIfWritable() {
        if (!this.stream.channel().isWritable()) {
            this.awaitingWritability = true;
        }
        else if (this.outstanding <= REFILL) {
            this.awaitingWritability = false;
            int more = PREFETCH - this.outstanding;
            this.outstanding = PREFETCH;
            this.upstream.request(more);
        }
    }

    /** The stream can take more: on the event loop. */
    void writable() {
        if (this.awaitingWritability && !this.done && !this.upstreamDone) {
            requestIfWritable();
        }
    }

    @Override
    public void operationComplete(ChannelFuture write) {
        if (!write.isSuccess()) {
            fail(write.cause());
        }
        else if (write == this.lastWrite && this.upstreamDone) {
            finish();
        }
    }

    @Override
    public void onComplete() {
        this.signals.run(this::complete);
    }

    private void complete() {
        this.upstreamDone = true;
        ChannelFuture last = this.lastWrite;
        if (last == null || last.isDone()) {
            finish();
        }
    }

    private void finish() {
        if (this.done) {
            return;
        }
        this.done = true;
        this.stream.endResponse();
        this.actual.onComplete();
    }

    @Override
    public void onError(Throwable error) {
        this.signals.run(() -> failUpstream(error));
    }

    private void failUpstream(Throwable error) {
        this.upstreamDone = true;
        fail(error);
    }

    /** The body or its writing failed, or the stream went away: on the event loop. */
    void fail(Throwable error) {
        if (this.done) {
            return;
        }
        this.done = true;
        if (!this.upstreamDone) {
            this.upstream.cancel();
        }
        this.stream.resetResponse();
        this.actual.onError(error);
    }

    /** Whether the body is still being written: neither finished, failed nor cancelled. */
    boolean active() {
        return !this.done;
    }

    @Override
    public void request(long n) {
        // completion only: nothing to ask for
    }

    @Override
    public void cancel() {
        this.signals.run(this::cancelled);
    }

    private void cancelled() {
        if (!this.done) {
            this.done = true;
            if (this.upstream != null && !this.upstreamDone) {
                this.upstream.cancel();
            }
        }
    }
}
