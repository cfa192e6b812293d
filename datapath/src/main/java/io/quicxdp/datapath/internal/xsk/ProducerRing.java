package io.quicxdp.datapath.internal.xsk;

import java.nio.ByteBuffer;

/**
 * A ring this process fills and the kernel drains: the fill ring (frame addresses) or the TX ring
 * (descriptors). One thread at a time produces.
 *
 * <p>{@link #reserve} claims entries against a cached copy of the kernel's consumer index, re-reading
 * the shared index only when the cache says there is not enough room; {@link #submit} publishes what
 * was written with a release store.
 */
final class ProducerRing extends XskRing {

    private final int entrySize;

    private int cachedProducer;

    /** The kernel's consumer index plus the ring size: the producer index we may advance to. */
    private int cachedLimit;

    ProducerRing(ByteBuffer ring, RingOffsets offsets, int size, int entrySize) {
        super(ring, offsets, size);
        this.entrySize = entrySize;
        this.cachedProducer = (int) INDEX.getAcquire(this.ring, producerOffset);
        this.cachedLimit = (int) INDEX.getAcquire(this.ring, consumerOffset) + size;
    }

    /** A fill ring: entries are 64-bit frame addresses. */
    static ProducerRing fill(ByteBuffer ring, RingOffsets offsets, int size) {
        return new ProducerRing(ring, offsets, size, 8);
    }

    /** A TX ring: entries are {@code struct xdp_desc} (address, length, options). */
    static ProducerRing tx(ByteBuffer ring, RingOffsets offsets, int size) {
        return new ProducerRing(ring, offsets, size, 16);
    }

    /** How many entries can be reserved now, looking at the kernel's index only when fewer than wanted. */
    int free(int wanted) {
        int free = cachedLimit - cachedProducer;
        if (free >= wanted) {
            return free;
        }
        cachedLimit = (int) INDEX.getAcquire(ring, consumerOffset) + size;
        return cachedLimit - cachedProducer;
    }

    /**
     * Claims up to {@code wanted} entries.
     *
     * @return the number claimed, from {@link #reservedStart()} on; 0 when the ring is full
     */
    int reserve(int wanted) {
        int claimed = Math.min(wanted, free(wanted));
        cachedProducer += claimed;
        return claimed;
    }

    /** Gives back the last {@code count} entries claimed and not yet submitted. */
    void cancel(int count) {
        cachedProducer -= count;
    }

    /** The index of the first entry claimed by the last {@link #reserve}, given the count it returned. */
    int reservedStart(int claimed) {
        return cachedProducer - claimed;
    }

    /** Writes a fill-ring entry. */
    void setAddress(int index, long address) {
        ring.putLong(descriptorsOffset + (index & mask) * entrySize, address);
    }

    /** Writes a TX descriptor. */
    void setDescriptor(int index, long address, int length, int options) {
        int at = descriptorsOffset + (index & mask) * entrySize;
        ring.putLong(at, address);
        ring.putInt(at + 8, length);
        ring.putInt(at + 12, options);
    }

    /** Publishes every reserved entry to the kernel. */
    void submit() {
        INDEX.setRelease(ring, producerOffset, cachedProducer);
    }

    /** Entries published to the kernel that it has not consumed yet, reading its index now. */
    int outstanding() {
        return (int) INDEX.getAcquire(ring, producerOffset) - (int) INDEX.getAcquire(ring, consumerOffset);
    }
}
