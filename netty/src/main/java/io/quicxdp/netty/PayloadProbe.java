package io.quicxdp.netty;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.UnpooledByteBufAllocator;
import io.netty.buffer.UnpooledHeapByteBuf;
import java.nio.ByteBuffer;

/**
 * Finds out, without copying and without allocating, whether a range of a buffer's bytes lies whole in one
 * {@link TxFrameBuf}, whatever wraps it (a leak detector's wrapper, a slice, a composite of several): the
 * buffer is asked to copy the range into this probe, every buffer that holds a piece of it gets that request for its
 * own piece, and a {@link TxFrameBuf} answers with where the piece is instead of copying it. Any other buffer copies
 * into this probe through one of the calls it offers an ordinary buffer, each of which only counts the piece.
 * One per channel, on its loop's thread.
 */
final class PayloadProbe extends UnpooledHeapByteBuf {

    /** Where the pieces any other buffer copies go, should one copy through a view of this probe's memory. */
    private ByteBuffer scratch = ByteBuffer.allocate(0);

    /** A buffer in a TX frame that holds a piece of the range, or {@code null}. */
    private TxFrameBuf found;

    private int foundIndex;

    private int pieces;

    PayloadProbe() {
        super(UnpooledByteBufAllocator.DEFAULT, 0, 0);
    }

    /**
     * Looks where the {@code length} bytes of {@code content} from {@code index} on are.
     *
     * @return a buffer in a TX frame that holds them, or a piece of them; {@code null} when none does
     */
    TxFrameBuf find(ByteBuf content, int index, int length) {
        found = null;
        pieces = 0;
        if (length > 0) {
            content.getBytes(index, this, 0, length);
        }
        return found;
    }

    /** Whether the buffer {@link #find} found holds all of the bytes, at {@link #index()} on. */
    boolean whole() {
        return pieces == 1 && found != null;
    }

    /** Where the bytes start in the buffer {@link #find} found. */
    int index() {
        return foundIndex;
    }

    /** A {@link TxFrameBuf}'s answer: the piece asked for starts at {@code index} in it. */
    void found(TxFrameBuf buffer, int index) {
        pieces++;
        found = buffer;
        foundIndex = index;
    }

    /** Another buffer copies a piece here: the range does not lie whole in a frame. */
    private void other() {
        pieces++;
    }

    @Override
    public int capacity() {
        // any range fits: nothing is kept
        return Integer.MAX_VALUE;
    }

    @Override
    public boolean hasArray() {
        return false;
    }

    @Override
    public boolean hasMemoryAddress() {
        return false;
    }

    @Override
    public int nioBufferCount() {
        return 0;
    }

    @Override
    public ByteBuf setBytes(int index, ByteBuf src, int srcIndex, int length) {
        other();
        return this;
    }

    @Override
    public ByteBuf setBytes(int index, byte[] src, int srcIndex, int length) {
        other();
        return this;
    }

    @Override
    public ByteBuf setBytes(int index, ByteBuffer src) {
        other();
        return this;
    }

    @Override
    public ByteBuffer internalNioBuffer(int index, int length) {
        other();
        if (scratch.capacity() < length) {
            scratch = ByteBuffer.allocate(length);
        }
        return scratch.clear().limit(length);
    }
}
