package io.quicxdp.datapath;

import io.quicxdp.datapath.packet.DropReason;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.EnumMap;
import java.util.Map;

/**
 * One socket's traffic counters: written by one thread at a time (the poll thread for RX and drops,
 * the TX lock holder for TX) with opaque stores, read from anywhere with opaque loads, without locks.
 */
final class SocketCounters {

    private static final VarHandle VALUES = MethodHandles.arrayElementVarHandle(long[].class);

    static final int RX_PACKETS = 0;
    static final int RX_BYTES = 1;
    static final int TX_PACKETS = 2;
    static final int TX_BYTES = 3;
    static final int TX_BACK_PRESSURE = 4;
    private static final int DROPS = 5;

    private static final DropReason[] REASONS = DropReason.values();

    private final long[] values = new long[DROPS + REASONS.length];

    void add(int counter, long delta) {
        VALUES.setOpaque(values, counter, (long) VALUES.getOpaque(values, counter) + delta);
    }

    void drop(DropReason reason) {
        add(DROPS + reason.ordinal(), 1);
    }

    long get(int counter) {
        return (long) VALUES.getOpaque(values, counter);
    }

    long drops(DropReason reason) {
        return get(DROPS + reason.ordinal());
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
