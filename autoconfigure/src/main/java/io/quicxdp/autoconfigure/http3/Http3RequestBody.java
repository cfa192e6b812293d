package io.quicxdp.autoconfigure.http3;

import java.nio.channels.ClosedChannelException;
import java.util.ArrayDeque;
import java.util.concurrent.atomic.AtomicIntegerFieldUpdater;
import org.jspecify.annotations.Nullable;
import org.reactivestreams.Subscription;
import org.springframework.core.io.buffer.DataBuffer;
import org.springframework.core.io.buffer.DataBufferUtils;
import reactor.core.CoreSubscriber;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Operators;

/**
 * A request's body: the DATA frames of its stream, read from the stream as its one subscriber asks for them
 * (so QUIC's flow control holds the client back while it does not). What arrives before it asks waits here.
 *
 * <p>The stream hands it frames on its event loop; demand and cancellation from other threads are handed to the
 * loop in the order they came.
 */
final class Http3RequestBody extends Flux<DataBuffer> implements Subscription {

    private static final AtomicIntegerFieldUpdater<Http3RequestBody> SUBSCRIBED = AtomicIntegerFieldUpdater
        .newUpdater(Http3RequestBody.class, "subscribed");

    private final Http3RequestStream stream;

    private final ArrayDeque<DataBuffer> arrived = new ArrayDeque<>(2);

    private volatile int subscribed;

    private final LoopSignals signals;

    private @Nullable CoreSubscriber<? super DataBuffer> actual;

    private long demand;

    private @Nullable Throwable error;

    /** Cancelled, or terminated. */
    private boolean done;

    Http3RequestBody(Http3RequestStream stream) {
        this.stream = stream;
        this.signals = new LoopSignals(stream.channel().eventLoop());
    }

    @Override
    public void subscribe(CoreSubscriber<? super DataBuffer> actual) {
        if (!SUBSCRIBED.compareAndSet(this, 0, 1)) {
            Operators.error(actual, new IllegalStateException("The request body can be read once only"));
            return;
        }
        this.actual = actual;
        actual.onSubscribe(this);
        this.signals.run(this::drain);
    }

    @Override
    public void request(long n) {
        if (!Operators.validate(n)) {
            return;
        }
        if (this.signals.direct()) {
            more(n);
        }
        else {
            this.signals.hand(() -> more(n));
        }
    }

    private void more(long n) {
        this.demand = Operators.addCap(this.demand, n);
        drain();
    }

    @Override
    public void cancel() {
        this.signals.run(this::cancelled);
    }

    private void cancelled() {
        if (!this.done) {
            this.done = true;
            discard();
        }
    }

    /** A DATA frame's content: on the event loop. */
    void arrived(DataBuffer buffer) {
        if (this.done) {
            DataBufferUtils.release(buffer);
            return;
        }
        this.arrived.add(buffer);
        drain();
    }

    /** The client finished the body (before or after this was made): on the event loop. */
    void complete() {
        drain();
    }

    /** The body will not be whole: on the event loop. */
    void fail(Throwable error) {
        if (this.error == null) {
            this.error = error;
        }
        discard();
        drain();
    }

    /**
     * Whether the stream should read more of the body: while nothing waits here unasked for (at most one read ahead
     * of a subscriber that has not asked yet, so that a client's reset is seen), while the subscriber asks for more
     * than has arrived, and once it is cancelled (what comes is dropped).
     */
    boolean wantsMore() {
        if (this.done) {
            return this.error == null;
        }
        return this.arrived.isEmpty() && !finished() && this.error == null && (this.actual == null || this.demand > 0);
    }

    /** Whether the body is cancelled or has ended for its subscriber. */
    boolean done() {
        return this.done;
    }

    private void drain() {
        CoreSubscriber<? super DataBuffer> subscriber = this.actual;
        if (this.done || subscriber == null) {
            return;
        }
        while (this.demand > 0 && !this.arrived.isEmpty() && !this.done) {
            this.demand--;
            subscriber.onNext(this.arrived.poll());
        }
        if (this.done) {
            return;
        }
        if (this.error == null && !finished() && this.stream.closed()) {
            // made after its stream went away
            this.error = new ClosedChannelException();
        }
        if (this.error != null) {
            this.done = true;
            subscriber.onError(this.error);
        }
        else if (finished() && this.arrived.isEmpty()) {
            this.done = true;
            subscriber.onComplete();
        }
        else if (this.demand > 0 && wantsMore()) {
            this.stream.read();
        }
    }

    /** Whether the client finished the body, which the stream knows (also from before this was made). */
    private boolean finished() {
        return this.stream.inputDone();
    }

    private void discard() {
        DataBuffer buffer;
        while ((buffer = this.arrived.poll()) != null) {
            DataBufferUtils.release(buffer);
        }
    }
}
