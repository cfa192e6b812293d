package io.quicxdp.datapath.internal.queue;

import io.quicxdp.datapath.state.DropReason;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.EnumMap;
import java.util.Map;

/**
 * One socket's traffic counters: written by one thread at a time (the driving thread for RX and drops,
 * the TX lock holder for TX) with opaque stores, read from anywhere with opaque loads, without locks; only
 * the TX wake-ups, which a sender and the driving thread may make at once, are added atomically.
 * The two writers' counters live in separate arrays with a cache line of padding on each side, so that
 * they do not share a cache line.
 */
final class SocketCounters {

    private static final VarHandle VALUES = MethodHandles.arrayElementVarHandle(long[].class);

    /** Longs in a cache line: the padding at each end of an array. */
    private static final int PAD = 8;

    static final int RX_PACKETS = PAD;
    static final int RX_BYTES = PAD + 1;
    static final int RX_PARTIAL_CHECKSUM = PAD + 2;
    private static final int DROPS = PAD + 3;

    static final int TX_PACKETS = PAD;
    static final int TX_BYTES = PAD + 1;
    static final int TX_BACK_PRESSURE = PAD + 2;
    static final int TX_KICKS = PAD + 3;
    static final int TX_KERNEL_PACKETS = PAD + 4;
    static final int TX_IN_PLACE = PAD + 5;
    static final int TX_FRAME_COPIES = PAD + 6;
    static final int TX_LEND_REFUSED = PAD + 7;

    private static final DropReason[] REASONS = DropReason.values();

    private final long[] rx = new long[DROPS + REASONS.length + PAD];

    private final long[] tx = new long[TX_LEND_REFUSED + 1 + PAD];

    /** Adds to an RX counter; the driving thread only. */
    void addRx(int counter, long delta) {
        add(rx, counter, delta);
    }

    /** Adds to a TX counter; the holder of the TX lock only. */
    void addTx(int counter, long delta) {
        add(tx, counter, delta);
    }

    /** Counts a wake-up of the kernel for the TX ring; any thread. */
    void addKick() {
        VALUES.getAndAdd(tx, TX_KICKS, 1L);
    }

    void drop(DropReason reason) {
        add(rx, DROPS + reason.ordinal(), 1);
    }

    long rx(int counter) {
        return (long) VALUES.getOpaque(rx, counter);
    }

    long tx(int counter) {
        return (long) VALUES.getOpaque(tx, counter);
    }

    long drops(DropReason reason) {
        return rx(DROPS + reason.ordinal());
    }

    private static void add(long[] values, int counter, long delta) {
        VALUES.setOpaque(values, counter, (long) VALUES.getOpaque(values, counter) + delta);
    }

    /** Every drop reason with its count, zeros included, so that readers see a stable set of keys. */
    Map<DropReason, Long> dropsByReason() {
        Map<DropReason, Long> drops = new EnumMap<>(DropReason.class);
        for (DropReason reason : REASONS) {
            drops.put(reason, drops(reason));
        }
        return drops;
    }
}
