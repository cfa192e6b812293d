package io.quicxdp.datapath.internal.xsk;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * What the four AF_XDP rings share: a buffer shared with the kernel holding a producer index, a
 * consumer index, a flags word and a power-of-two array of entries.
 *
 * <p>Indices are free-running unsigned 32-bit counters; they wrap at 2^32 and only their difference
 * matters, which plain {@code int} arithmetic gives. The index owned by the other side is read with
 * acquire semantics only when the locally cached copy says the ring looks full or empty; our own index
 * is published with release semantics, so entries written before are visible to the kernel.
 */
abstract class XskRing {

    /** The flag the kernel sets when it needs a system call to make progress on this ring. */
    static final int NEED_WAKEUP = 1;

    static final VarHandle INDEX = MethodHandles.byteBufferViewVarHandle(int[].class, ByteOrder.nativeOrder());

    final ByteBuffer ring;

    final int producerOffset;

    final int consumerOffset;

    final int flagsOffset;

    final int descriptorsOffset;

    final int size;

    final int mask;

    XskRing(ByteBuffer ring, RingOffsets offsets, int size) {
        if (Integer.bitCount(size) != 1) {
            throw new IllegalArgumentException("ring size must be a power of two, not " + size);
        }
        this.ring = ring.duplicate().order(ByteOrder.nativeOrder());
        this.producerOffset = offsets.producer();
        this.consumerOffset = offsets.consumer();
        this.flagsOffset = offsets.flags();
        this.descriptorsOffset = offsets.descriptors();
        this.size = size;
        this.mask = size - 1;
    }


    /** Whether the kernel asks for a wake-up call before it processes this ring again. */
    final boolean needsWakeup() {
        return ((int) INDEX.getOpaque(ring, flagsOffset) & NEED_WAKEUP) != 0;
    }

    /** Where the four fields of one ring sit in its mapping, as the kernel reports them. */
    record RingOffsets(int producer, int consumer, int flags, int descriptors) {
    }
}
