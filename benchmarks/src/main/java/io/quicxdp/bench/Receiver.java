package io.quicxdp.bench;

import java.lang.management.ManagementFactory;

/**
 * One receiver under test: a thread that takes datagrams for one UDP port, counts them and, in echo
 * mode, sends each back to its sender through the same path.
 *
 * <p>{@link #handled} and {@link #echoed} are written by the receiving thread only; {@link #snapshot}
 * reads them from the control thread together with the receiving thread's CPU time and allocated bytes
 * (ThreadMXBean), so the cost per packet is that of the receiving thread alone.
 */
abstract class Receiver implements AutoCloseable {

    private static final com.sun.management.ThreadMXBean THREADS =
            (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();

    static {
        THREADS.setThreadCpuTimeEnabled(true);
        THREADS.setThreadAllocatedMemoryEnabled(true);
    }

    final Counter handled = new Counter();

    final Counter echoed = new Counter();

    /** Read on every datagram; written rarely, by the control thread. */
    volatile boolean echo;

    /** The receiving thread's id, recorded by that thread on its first datagram; -1 before. */
    private volatile long threadId = -1;

    abstract void start() throws Exception;

    /** Sum of the receiver's own drop counters (invalid frames, no endpoint), when it keeps any. */
    long drops() {
        return 0;
    }

    /** Called on the receiving thread; cheap after the first call. */
    final void noteThread() {
        if (threadId < 0) {
            threadId = Thread.currentThread().getId();
        }
    }

    /** "snap HANDLED ECHOED CPU_NS ALLOCATED_BYTES DROPS" */
    final String snapshot() {
        long id = threadId;
        long cpu = id < 0 ? 0 : THREADS.getThreadCpuTime(id);
        long allocated = id < 0 ? 0 : THREADS.getThreadAllocatedBytes(id);
        return "snap " + handled.get() + " " + echoed.get() + " " + Math.max(cpu, 0) + " " + Math.max(allocated, 0)
                + " " + drops();
    }

    @Override
    public abstract void close() throws Exception;
}
