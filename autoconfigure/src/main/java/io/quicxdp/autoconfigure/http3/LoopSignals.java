package io.quicxdp.autoconfigure.http3;

import io.netty.channel.EventLoop;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Reactive signals that must run on a stream's event loop, in the order they came: one that arrives on the loop
 * runs at once unless earlier ones are still on their way there; one from another thread is handed over. The count
 * is of the signals handed over and not yet run.
 */
@SuppressWarnings("serial")
final class LoopSignals extends AtomicInteger {

    private final EventLoop loop;

    LoopSignals(EventLoop loop) {
        this.loop = loop;
    }

    /** Whether a signal may run here and now. */
    boolean direct() {
        return this.loop.inEventLoop() && get() == 0;
    }

    /**
     * Runs {@code signal} here and now if it may, else hands it over. For a signal that comes once a stream; one
     * that comes once a buffer tests {@link #direct()} itself, so that no Runnable is made on the loop.
     */
    void run(Runnable signal) {
        if (direct()) {
            signal.run();
        }
        else {
            hand(signal);
        }
    }

    /** Runs {@code signal} on the loop after the ones handed over before it. */
    void hand(Runnable signal) {
        incrementAndGet();
        this.loop.execute(() -> {
            decrementAndGet();
            signal.run();
        });
    }
}
