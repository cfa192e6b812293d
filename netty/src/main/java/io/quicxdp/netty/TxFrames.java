package io.quicxdp.netty;

import io.netty.util.concurrent.FastThreadLocal;
import io.quicxdp.datapath.driver.QueueDriver;
import java.nio.ByteBuffer;

/**
 * The TX frames an event loop lends to the buffers of {@link XdpTxFrameAllocator}: those of its first queue (the
 * socket that sends for it), one {@link TxFrameBuf} per frame, reused. Made on the loop's thread when it starts,
 * and found from there through a thread-local; buffers may be released on any thread.
 */
final class TxFrames {

    private static final FastThreadLocal<TxFrames> CURRENT = new FastThreadLocal<>();

    private final QueueDriver queue;

    private final Thread loop;

    private final ByteBuffer memory;

    private final int headroom;

    private final int room;

    private final int frameShift;

    /** The buffer of each frame while the frame is free (or in flight), by frame number; taken out while lent. */
    private final TxFrameBuf[] buffers;

    private TxFrames(QueueDriver queue, Thread loop) {
        this.queue = queue;
        this.loop = loop;
        this.memory = queue.txFrameMemory();
        this.headroom = queue.txHeadroom();
        this.room = queue.frameSize() - headroom;
        this.frameShift = Integer.numberOfTrailingZeros(queue.frameSize());
        this.buffers = new TxFrameBuf[memory.capacity() >>> frameShift];
    }

    /** Makes {@code queue}'s TX frames the calling thread's, the loop that drives it. */
    static void attach(QueueDriver queue) {
        CURRENT.set(new TxFrames(queue, Thread.currentThread()));
    }

    /** The calling thread lends no frames any more. */
    static void detach() {
        CURRENT.remove();
    }

    /** The calling thread's frames, or {@code null} when it is not an XDP event loop. */
    static TxFrames current() {
        return CURRENT.getIfExists();
    }

    /** The queue whose socket lends the frames. */
    QueueDriver queue() {
        return queue;
    }

    /** The bytes a buffer may hold in its frame. */
    int room() {
        return room;
    }

    /** Where in the UMEM a buffer of {@code frame} starts. */
    long payloadAt(long frame) {
        return frame + headroom;
    }

    /** The UMEM a buffer of {@code frame} may use: from the headroom to the frame's end. */
    ByteBuffer payloadArea(long frame) {
        return memory.slice((int) frame + headroom, room);
    }

    /**
     * A buffer in a frame lent now, or {@code null} when the request does not fit a frame or no TX frame is free.
     * The loop's thread only.
     */
    TxFrameBuf lend(int initialCapacity, int maxCapacity) {
        if (initialCapacity > room) {
            return null;
        }
        long frame = queue.lendTxFrame();
        if (frame < 0) {
            return null;
        }
        int slot = (int) (frame >>> frameShift);
        TxFrameBuf buffer = buffers[slot];
        if (buffer == null) {
            buffer = new TxFrameBuf(this, frame);
        }
        else {
            buffers[slot] = null;
        }
        return buffer.reuse(initialCapacity, maxCapacity);
    }

    /**
     * Takes back {@code buffer}'s frame, from a buffer released or grown out of it: to the queue's free TX frames when
     * {@code unsent}; sent, the kernel gives the frame back. Any thread; on the loop's the buffer is kept for the
     * frame's next lending (elsewhere it is left to the collector, and the frame gets a new one).
     */
    void giveBack(TxFrameBuf buffer, boolean unsent) {
        if (buffer.inFrame() && Thread.currentThread() == loop) {
            buffers[(int) (buffer.frame() >>> frameShift)] = buffer;
        }
        if (unsent) {
            queue.returnTxFrame(buffer.frame());
        }
    }
}
