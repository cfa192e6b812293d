package io.quicxdp.netty;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.UnpooledUnsafeDirectByteBuf;
import io.quicxdp.datapath.driver.QueueDriver;

/**
 * A received datagram's payload, in place in its UMEM frame: no copy, writable (the QUIC codec decrypts
 * in place). Its index 0 is the first payload byte, as codecs that parse from index 0 expect, so an
 * instance belongs to one frame and one payload offset within it; it is made the first time the frame
 * carries a payload at that offset and reused for every later one, so that reading allocates nothing. Its
 * last release, on any thread, gives the frame back to its queue.
 */
final class FrameBuf extends UnpooledUnsafeDirectByteBuf {

    private final QueueDriver queue;

    private final long frame;

    private final int offset;

    /** A buffer from {@code offset} bytes into the frame at {@code frame} to the frame's end. */
    FrameBuf(QueueDriver queue, long frame, int offset) {
        super(ByteBufAllocator.DEFAULT, queue.frames().slice((int) frame + offset, queue.frameSize() - offset),
                queue.frameSize() - offset);
        this.queue = queue;
        this.frame = frame;
        this.offset = offset;
    }

    /** Where in its frame the buffer starts. */
    int offset() {
        return offset;
    }

    /** Makes the buffer live again for the frame's new datagram, of {@code length} bytes. */
    FrameBuf reuse(int length) {
        resetRefCnt();
        setIndex(0, length);
        return this;
    }

    @Override
    protected void deallocate() {
        // the memory is the UMEM's: it goes back to the fill ring, and this object waits for the frame's next datagram
        queue.release(frame);
    }

    @Override
    public ByteBuf capacity(int newCapacity) {
        throw new UnsupportedOperationException("a UMEM frame cannot grow or shrink: copy the payload to change its size");
    }
}
