package io.quicxdp.netty;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.UnpooledUnsafeDirectByteBuf;

/**
 * A buffer whose memory is a TX frame of a queue, lent by {@link TxFrames} for a datagram's payload to be written
 * into it in place: the frame keeps room in front of the buffer for the packet's headers (and TX metadata), so that
 * the channel sends the frame itself. One instance per frame, reused for every payload the frame carries, like
 * {@link FrameBuf} for received ones.
 *
 * <p>Its capacity is what was asked for, and may grow within the frame. Grown beyond the frame, it moves to ordinary
 * memory and gives the frame back at once: from then on it is an ordinary buffer, copied when written. Its last
 * release gives the frame back to the queue's free TX frames, unless it was sent from the frame: the frame is the
 * kernel's then.
 */
final class TxFrameBuf extends UnpooledUnsafeDirectByteBuf {

    private final TxFrames owner;

    private final long frame;

    /** Its capacity while in the frame: what the allocation asked for, or grew to. */
    private int capacity;

    /** Whether the memory is still the frame's: false once it grew beyond the frame. */
    private boolean inFrame = true;

    /** Whether the frame went to the kernel with the payload: released, it is not given back. */
    private boolean sent;

    /** A buffer over {@code frame} of {@code owner}'s UMEM, from the headroom to the frame's end. */
    TxFrameBuf(TxFrames owner, long frame) {
        super(ByteBufAllocator.DEFAULT, owner.payloadArea(frame), owner.room());
        this.owner = owner;
        this.frame = frame;
    }

    /** Makes the buffer live again for a new allocation of {@code initialCapacity} bytes, growable to {@code maxCapacity}. */
    TxFrameBuf reuse(int initialCapacity, int maxCapacity) {
        resetRefCnt();
        capacity = initialCapacity;
        maxCapacity(maxCapacity);
        setIndex(0, 0);
        sent = false;
        return this;
    }

    TxFrames owner() {
        return owner;
    }

    long frame() {
        return frame;
    }

    /** Whether its bytes are still in its frame. */
    boolean inFrame() {
        return inFrame;
    }

    /** The frame went on the TX ring with the payload: it is the kernel's now. */
    void sent() {
        sent = true;
    }

    @Override
    public int capacity() {
        return inFrame ? capacity : super.capacity();
    }

    @Override
    public ByteBuf capacity(int newCapacity) {
        if (!inFrame) {
            return super.capacity(newCapacity);
        }
        checkNewCapacity(newCapacity);
        if (newCapacity <= owner.room()) {
            trimIndicesToCapacity(newCapacity);
            capacity = newCapacity;
            return this;
        }
        // beyond the frame: the bytes move to memory of their own, and the frame goes back unsent
        super.capacity(newCapacity);
        inFrame = false;
        owner.giveBack(this, true);
        return this;
    }

    @Override
    public ByteBuf getBytes(int index, ByteBuf dst, int dstIndex, int length) {
        if (dst instanceof PayloadProbe probe) {
            // the channel asks where the bytes are: here, in place
            checkIndex(index, length);
            probe.found(this, index);
            return this;
        }
        return super.getBytes(index, dst, dstIndex, length);
    }

    @Override
    protected void deallocate() {
        if (inFrame) {
            owner.giveBack(this, !sent);
        }
        else {
            super.deallocate();
        }
    }
}
