package io.quicxdp.datapath.internal.xsk;

import java.nio.ByteBuffer;

/**
 * A ring the kernel fills and this process drains: the RX ring (descriptors) or the completion ring
 * (frame addresses). One thread at a time consumes.
 *
 * <p>{@link #peek} hands out entries up to a cached copy of the kernel's producer index, reading the
 * shared index (acquire) only when the cache is exhausted; {@link #release} returns the entries with a
 * release store once the caller is done with them.
 */
final class ConsumerRing extends XskRing {

    private final int entrySize;

    private int cachedConsumer;

    private int cachedProducer;

    ConsumerRing(ByteBuffer ring, RingOffsets offsets, int size, int entrySize) {
        super(ring, offsets, size);
        this.entrySize = entrySize;
        this.cachedConsumer = (int) INDEX.getAcquire(this.ring, consumerOffset);
        this.cachedProducer = (int) INDEX.getAcquire(this.ring, producerOffset);
    }

    /** An RX ring: entries are {@code struct xdp_desc}. */
    static ConsumerRing rx(ByteBuffer ring, RingOffsets offsets, int size) {
        return new ConsumerRing(ring, offsets, size, 16);
    }

    /** A completion ring: entries are 64-bit frame addresses. */
    static ConsumerRing completion(ByteBuffer ring, RingOffsets offsets, int size) {
        return new ConsumerRing(ring, offsets, size, 8);
    }

    /**
     * Takes up to {@code max} ready entries.
     *
     * @return the number taken, from {@link #peekedStart(int)} on; 0 when none is ready
     */
    int peek(int max) {
        int ready = cachedProducer - cachedConsumer;
        if (ready == 0) {
            cachedProducer = (int) INDEX.getAcquire(ring, producerOffset);
            ready = cachedProducer - cachedConsumer;
        }
        int taken = Math.min(ready, max);
        cachedConsumer += taken;
        return taken;
    }

    /** Whether the other side has published entries beyond those taken, reading its index now. */
    boolean hasMore() {
        cachedProducer = (int) INDEX.getAcquire(ring, producerOffset);
        return cachedProducer != cachedConsumer;
    }

    /** The index of the first entry taken by the last {@link #peek}, given the count it returned. */
    int peekedStart(int taken) {
        return cachedConsumer - taken;
    }

    /** The frame address of an entry (completion ring), or a descriptor's address (RX ring). */
    long address(int index) {
        return ring.getLong(descriptorsOffset + (index & mask) * entrySize);
    }

    /** A descriptor's length (RX ring). */
    int length(int index) {
        return ring.getInt(descriptorsOffset + (index & mask) * entrySize + 8);
    }

    /** Entries the kernel has published and this side has not released, reading both indexes now. */
    int ready() {
        return (int) INDEX.getAcquire(ring, producerOffset) - (int) INDEX.getAcquire(ring, consumerOffset);
    }

    /** Gives every peeked entry back to the kernel. */
    void release() {
        INDEX.setRelease(ring, consumerOffset, cachedConsumer);
    }
}
