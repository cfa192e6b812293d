package io.quicxdp.netty;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.UnpooledUnsafeDirectByteBuf;
import io.quicxdp.datapath.driver.QueueDriver;

/**
 * A received datagram's payload, in place in its UMEM frame: no copy, writable (the QUIC codec decrypts
 * in place). One instance per frame, made on the frame's first datagram and reused for every later one,
 * so that reading allocates nothing. Its last release, on any thread, gives the frame back to its queue.
 */
final class FrameBuf extends UnpooledUnsafeDirectByteBuf {

    private final QueueDriver queue;

    private final long frame;

    FrameBuf(QueueDriver queue, long frame) {
        super(ByteBufAllocator.DEFAULT, queue.frames().slice((int) frame, queue.frameSize()), queue.frameSize());
        this.queue = queue;
        this.frame = frame;
    }

    /** Makes the buffer live again for the frame's new datagram, of {@code length} bytes at {@code offset}. */
    FrameBuf reuse(int offset, int length) {
        resetRefCnt();
        setIndex(offset, offset + length);
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
