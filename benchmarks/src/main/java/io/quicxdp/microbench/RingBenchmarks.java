package io.quicxdp.microbench;

import io.quicxdp.datapath.internal.xsk.MemoryRings;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The ring protocol's cost per entry, a batch of 64 at a time, against rings in ordinary direct memory
 * whose kernel side this thread plays too (it moves the other index by a plain write). Per operation:
 * one entry produced (fill, TX) or consumed (RX, completion), index publication included.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class RingBenchmarks {

    private static final int BATCH = 64;

    private static final int SIZE = 1024;

    private final MemoryRings rings = new MemoryRings(SIZE);

    /** Produce 64 fill entries and submit; the "kernel" then consumes them all. */
    @Benchmark
    @OperationsPerInvocation(BATCH)
    public int fillProduce() {
        return rings.produceFill(BATCH);
    }

    /** The "kernel" publishes 64 RX descriptors; take them, read each address and length, release. */
    @Benchmark
    @OperationsPerInvocation(BATCH)
    public long rxConsume() {
        return rings.consumeRx(BATCH);
    }
}
