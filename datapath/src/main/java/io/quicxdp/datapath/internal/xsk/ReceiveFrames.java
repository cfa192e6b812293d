package io.quicxdp.datapath.internal.xsk;

import io.quicxdp.datapath.state.FrameAccounting;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * The receive half of a UMEM: which of its receive frames the kernel has (fill ring, in flight, RX
 * ring), which the application holds, and which are free. Every frame is always in exactly one of those
 * places; none is ever dropped from the accounting.
 *
 * <p>A frame taken off the RX ring is held until it is given back; given-back frames go onto a free
 * stack, and {@link #refill()} moves as many of them as the fill ring takes. The fill ring may take fewer
 * than were given back even when it holds every receive frame: the kernel publishes new RX entries
 * before it publishes that it consumed their fill entries, so for a moment the same frames count on both
 * rings. The remainder then waits on the free stack for the next refill instead of being lost.
 *
 * <p>Threading: one thread (the socket's poll thread) calls everything except {@link #accounting()},
 * which may be called from any thread and is exact while the socket is idle.
 */
final class ReceiveFrames {

    private static final VarHandle COUNT = MethodHandles.arrayElementVarHandle(int[].class);

    /** Indexes into {@link #counts}: written by the owning thread only, read from anywhere. */
    private static final int HELD = 0;
    private static final int FREE = 1;
    private static final int WITH_KERNEL = 2;

    private final ConsumerRing rx;

    private final ProducerRing fill;

    private final long frameMask;

    private final int frameCount;

    private final long[] free;

    private int freeCount;

    private final int[] counts = new int[3];

    /**
     * Starts with every receive frame free: {@code frameCount} frames of {@code frameSize} bytes from UMEM
     * offset 0. Call {@link #refill()} to hand them to the kernel.
     */
    ReceiveFrames(ConsumerRing rx, ProducerRing fill, int frameCount, int frameSize) {
        this.rx = rx;
        this.fill = fill;
        this.frameMask = ~((long) frameSize - 1);
        this.frameCount = frameCount;
        this.free = new long[frameCount];
        // pushed in reverse so that the kernel gets the frames in address order
        for (int i = frameCount - 1; i >= 0; i--) {
            free[freeCount++] = (long) i * frameSize;
        }
        set(FREE, freeCount);
    }

    /**
     * Takes up to {@code max} received frames off the RX ring; they are held until given back.
     *
     * @return how many, from {@link #start(int)} on
     */
    int receive(int max) {
        int taken = rx.peek(max);
        if (taken > 0) {
            set(HELD, get(HELD) + taken);
            set(WITH_KERNEL, get(WITH_KERNEL) - taken);
        }
        return taken;
    }

    int start(int taken) {
        return rx.peekedStart(taken);
    }

    long address(int index) {
        return rx.address(index);
    }

    int length(int index) {
        return rx.length(index);
    }

    /** Whether the kernel has put frames on the RX ring beyond those taken so far. */
    boolean waiting() {
        return rx.hasMore();
    }

    /** Gives the RX ring's entries taken so far back to the kernel; their frames stay held. */
    void releaseRxEntries() {
        rx.release();
    }

    /** Gives back a held frame, addressed by any offset inside it. */
    void giveBack(long address) {
        free[freeCount++] = address & frameMask;
        set(HELD, get(HELD) - 1);
        set(FREE, freeCount);
    }

    /**
     * Moves free frames onto the fill ring, as many as it takes now.
     *
     * @return how many frames stay free because the fill ring had no room
     */
    int refill() {
        if (freeCount == 0) {
            return 0;
        }
        int claimed = fill.reserve(freeCount);
        if (claimed > 0) {
            int start = fill.reservedStart(claimed);
            for (int i = 0; i < claimed; i++) {
                fill.setAddress(start + i, free[--freeCount]);
            }
            fill.submit();
            set(FREE, freeCount);
            set(WITH_KERNEL, get(WITH_KERNEL) + claimed);
        }
        return freeCount;
    }

    /** Whether the kernel waits for a wake-up call before it takes frames from the fill ring again. */
    boolean fillNeedsWakeup() {
        return fill.needsWakeup();
    }

    /** Frames on the free stack, waiting for room on the fill ring. */
    int freeCount() {
        return freeCount;
    }

    /** Where the receive frames are now; see {@link FrameAccounting}. */
    FrameAccounting accounting() {
        int withKernel = get(WITH_KERNEL);
        return new FrameAccounting(frameCount, withKernel, Math.max(0, fill.outstanding()),
                Math.max(0, rx.ready()), get(HELD), get(FREE));
    }

    private int get(int counter) {
        return (int) COUNT.getOpaque(counts, counter);
    }

    private void set(int counter, int value) {
        COUNT.setOpaque(counts, counter, value);
    }
}
