package io.quicxdp.bench.quic;

/** A bounded FIFO of {@code long}s in one ring that grows by doubling up to its limit; one thread. */
final class LongQueue {

    private final int limit;

    private long[] ring = new long[16];

    private int head;

    private int size;

    /** @param limit the most values held; a power of two, at least 16 */
    LongQueue(int limit) {
        if (limit < 16 || Integer.bitCount(limit) != 1) {
            throw new IllegalArgumentException("limit " + limit + " must be a power of two, at least 16");
        }
        this.limit = limit;
    }

    /** Adds {@code value} at the tail; false when the queue holds {@code limit} values already. */
    boolean offer(long value) {
        if (size == ring.length) {
            if (size == limit) {
                return false;
            }
            long[] grown = new long[size * 2];
            for (int i = 0; i < size; i++) {
                grown[i] = ring[(head + i) & (size - 1)];
            }
            ring = grown;
            head = 0;
        }
        ring[(head + size) & (ring.length - 1)] = value;
        size++;
        return true;
    }

    /** Removes and returns the head; the queue must not be empty. */
    long poll() {
        if (size == 0) {
            throw new IllegalStateException("empty");
        }
        long value = ring[head];
        head = (head + 1) & (ring.length - 1);
        size--;
        return value;
    }

    /** The head, left in place; the queue must not be empty. */
    long peek() {
        if (size == 0) {
            throw new IllegalStateException("empty");
        }
        return ring[head];
    }

    boolean isEmpty() {
        return size == 0;
    }

    int size() {
        return size;
    }
}
