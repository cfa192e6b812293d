package io.quicxdp.bench.quic;

import java.util.Arrays;

/**
 * Latencies in nanoseconds in log-linear buckets: exact below 256 ns, then 128 buckets per power of two, so a
 * reported value is within 0.4 % of the recorded one. One fixed array, no allocation when recording; owned by
 * one thread.
 */
public final class LatencyHistogram {

    /** Buckets per power of two above the exact range. */
    private static final int SUB_BITS = 7;

    private static final int SUB = 1 << SUB_BITS;

    /** Values below this are counted exactly, one bucket each. */
    private static final int EXACT = 2 * SUB;

    /** Enough buckets for every positive {@code long}. */
    private static final int BUCKETS = EXACT + (63 - SUB_BITS - 2) * SUB + SUB;

    private final long[] counts = new long[BUCKETS];

    private long total;

    /** Counts one latency; negative values count as 0. */
    public void record(long nanos) {
        counts[index(Math.max(0, nanos))]++;
        total++;
    }

    public long count() {
        return total;
    }

    /** Adds every latency {@code other} counted. */
    public void add(LatencyHistogram other) {
        for (int i = 0; i < BUCKETS; i++) {
            counts[i] += other.counts[i];
        }
        total += other.total;
    }

    public void reset() {
        Arrays.fill(counts, 0);
        total = 0;
    }

    /**
     * The value at {@code quantile} (0 &lt; q &le; 1) in nanoseconds, the middle of its bucket: the smallest
     * recorded value such that at least {@code ceil(q * count)} values are at or below it; 0 when empty.
     */
    public long valueAt(double quantile) {
        if (total == 0) {
            return 0;
        }
        long rank = Math.max(1, (long) Math.ceil(quantile * total));
        long seen = 0;
        for (int i = 0; i < BUCKETS; i++) {
            seen += counts[i];
            if (seen >= rank) {
                return middle(i);
            }
        }
        return middle(BUCKETS - 1);
    }

    static int index(long value) {
        if (value < EXACT) {
            return (int) value;
        }
        int exponent = 63 - Long.numberOfLeadingZeros(value);
        int shift = exponent - SUB_BITS;
        int top = (int) (value >>> shift);
        return EXACT + (shift - 1) * SUB + (top - SUB);
    }

    static long lowest(int index) {
        if (index < EXACT) {
            return index;
        }
        int k = index - EXACT;
        int shift = k / SUB + 1;
        return (long) (SUB + k % SUB) << shift;
    }

    static long middle(int index) {
        if (index < EXACT) {
            return index;
        }
        int shift = (index - EXACT) / SUB + 1;
        return lowest(index) + (1L << (shift - 1));
    }
}
