package io.quicxdp.bench;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * A counter written by one thread and read by another: opaque accesses, so the reader sees progress
 * without the writer paying for a fence per packet (a plain store on x86-64).
 */
final class Counter {

    private static final VarHandle VALUE;

    static {
        try {
            VALUE = MethodHandles.lookup().findVarHandle(Counter.class, "value", long.class);
        }
        catch (ReflectiveOperationException ex) {
            throw new ExceptionInInitializerError(ex);
        }
    }

    @SuppressWarnings("unused")
    private long value;

    /** Only from the one writing thread. */
    void increment() {
        VALUE.setOpaque(this, (long) VALUE.getOpaque(this) + 1);
    }

    long get() {
        return (long) VALUE.getOpaque(this);
    }
}
