package io.quicxdp.datapath.internal.xsk;

import io.quicxdp.datapath.internal.xsk.XskRing.RingOffsets;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * A fill ring and an RX ring in ordinary direct memory whose kernel side the caller plays too, moving the
 * kernel's index by a plain write: the ring protocol's own cost, for benchmarks. Each call moves one batch.
 */
public final class MemoryRings {

    /** Producer, consumer and flags each on a cache line of their own, entries after them. */
    private static final RingOffsets OFFSETS = new RingOffsets(0, 64, 128, 192);

    private final ByteBuffer fillMemory;

    private final ByteBuffer rxMemory;

    private final ProducerRing fill;

    private final ConsumerRing rx;

    private int kernelRxProducer;

    /** Rings of {@code size} entries each, a power of two. */
    public MemoryRings(int size) {
        fillMemory = ring(size, 8);
        rxMemory = ring(size, 16);
        fill = ProducerRing.fill(fillMemory, OFFSETS, size);
        rx = ConsumerRing.rx(rxMemory, OFFSETS, size);
    }

    private static ByteBuffer ring(int size, int entrySize) {
        return ByteBuffer.allocateDirect(OFFSETS.descriptors() + size * entrySize).order(ByteOrder.nativeOrder());
    }

    /**
     * Produces {@code batch} fill entries and submits them; the "kernel" then consumes them all.
     *
     * @return the entries produced
     */
    public int produceFill(int batch) {
        int claimed = fill.reserve(batch);
        int start = fill.reservedStart(claimed);
        for (int i = 0; i < claimed; i++) {
            fill.setAddress(start + i, (long) (start + i) << 11);
        }
        fill.submit();
        fillMemory.putInt(OFFSETS.consumer(), fillMemory.getInt(OFFSETS.producer()));
        return claimed;
    }

    /**
     * The "kernel" publishes {@code batch} RX descriptors; takes them, reads each address and length, releases.
     *
     * @return the sum of the addresses and lengths read
     */
    public long consumeRx(int batch) {
        kernelRxProducer += batch;
        rxMemory.putInt(OFFSETS.producer(), kernelRxProducer);
        int taken = rx.peek(batch);
        int start = rx.peekedStart(taken);
        long sum = 0;
        for (int i = 0; i < taken; i++) {
            sum += rx.address(start + i) + rx.length(start + i);
        }
        rx.release();
        return sum;
    }
}
