package io.quicxdp.datapath.internal.queue;

import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * Frames given back from other threads, on their way to the queue's own thread: a bounded queue of UMEM
 * offsets with many producers and one consumer, allocation-free.
 *
 * <p>It never overflows: it holds at most as many entries as frames can be retained at once, which is its
 * capacity, and the consumer clears an entry before the frame can be retained again.
 */
final class FrameReturns {

    private static final long EMPTY = -1;

    private final AtomicLongArray slots;

    private final int mask;

    private final AtomicLong tail = new AtomicLong();

    private long head;

    /** A queue for {@code frames} frames at most, rounded up to a power of two. */
    FrameReturns(int frames) {
        int capacity = Integer.highestOneBit(Math.max(1, frames - 1)) << 1;
        this.slots = new AtomicLongArray(capacity);
        this.mask = capacity - 1;
        for (int i = 0; i < capacity; i++) {
            slots.setPlain(i, EMPTY);
        }
    }

    /** Adds a frame; any thread. */
    void offer(long frame) {
        slots.setRelease((int) (tail.getAndIncrement() & mask), frame);
    }

    /**
     * Takes the next frame; the one consuming thread only.
     *
     * @return the frame's offset, or -1 when none has arrived (an offer still being written counts as none)
     */
    long poll() {
        int slot = (int) (head & mask);
        long frame = slots.getAcquire(slot);
        if (frame == EMPTY) {
            return EMPTY;
        }
        slots.setRelease(slot, EMPTY);
        head++;
        return frame;
    }
}
