package io.quicxdp.datapath.internal.xsk;

import io.quicxdp.datapath.internal.xsk.XskRing.RingOffsets;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
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

    private static final RingOffsets OFFSETS = new RingOffsets(0, 64, 128, 192);

    private final ByteBuffer fillMemory = ring(8);

    private final ByteBuffer rxMemory = ring(16);

    private final ProducerRing fill = ProducerRing.fill(fillMemory, OFFSETS, SIZE);

    private final ConsumerRing rx = ConsumerRing.rx(rxMemory, OFFSETS, SIZE);

    private int kernelRxProducer;

    private static ByteBuffer ring(int entrySize) {
        return ByteBuffer.allocateDirect(192 + SIZE * entrySize).order(ByteOrder.nativeOrder());
    }

    /** Produce 64 fill entries and submit; the "kernel" then consumes them all. */
    @Benchmark
    @OperationsPerInvocation(BATCH)
    public int fillProduce() {
        int claimed = fill.reserve(BATCH);
        int start = fill.reservedStart(claimed);
        for (int i = 0; i < claimed; i++) {
            fill.setAddress(start + i, (long) (start + i) << 11);
        }
        fill.submit();
        fillMemory.putInt(OFFSETS.consumer(), fillMemory.getInt(OFFSETS.producer()));
        return claimed;
    }

    /** The "kernel" publishes 64 RX descriptors; take them, read each address and length, release. */
    @Benchmark
    @OperationsPerInvocation(BATCH)
    public long rxConsume() {
        kernelRxProducer += BATCH;
        rxMemory.putInt(OFFSETS.producer(), kernelRxProducer);
        int taken = rx.peek(BATCH);
        int start = rx.peekedStart(taken);
        long sum = 0;
        for (int i = 0; i < taken; i++) {
            sum += rx.address(start + i) + rx.length(start + i);
        }
        rx.release();
        return sum;
    }
}
