package io.quicxdp.microbench;

import io.quicxdp.datapath.internal.packet.Checksums;
import java.nio.ByteBuffer;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/** The internet checksum over a UDP datagram's bytes (header plus payload) in a direct buffer. */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class ChecksumBenchmarks {

    @Param({"72", "1208"})
    public int length;

    /** 2: where the UDP header of an untagged frame starts relative to 8-byte alignment */
    @Param({"0", "2"})
    public int offset;

    private final ByteBuffer buffer = ByteBuffer.allocateDirect(2048);

    @Setup
    public void setUp() {
        for (int i = 0; i < buffer.capacity(); i++) {
            buffer.put(i, (byte) (i * 31 + 3));
        }
    }

    @Benchmark
    public int internetChecksum() {
        return Checksums.internetChecksum(buffer, offset, length);
    }
}
