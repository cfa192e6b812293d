package io.quicxdp.microbench;

import io.quicxdp.datapath.config.UdpChecksumPolicy;
import io.quicxdp.datapath.internal.packet.ParsedUdpFrame;
import io.quicxdp.datapath.internal.packet.UdpFrameParser;
import io.quicxdp.datapath.internal.packet.UdpFrameWriter;
import io.quicxdp.datapath.state.DropReason;
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

/**
 * Parsing (with both checksums verified) and building (with both checksums computed) one UDP frame in a
 * direct buffer, as the poll thread does it in a UMEM frame.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class FrameBenchmarks {

    private static final long MAC_A = 0x02_00_00_00_00_01L;
    private static final long MAC_B = 0x02_00_00_00_00_02L;
    /** 198.18.0.1 and 198.18.0.2 */
    private static final int IPV4_A = 0xC612_0001;
    private static final int IPV4_B = 0xC612_0002;
    /** fd00:198:18::1 and fd00:198:18::2 */
    private static final long IPV6_HIGH = 0xFD00_0198_0018_0000L;

    @Param({"4", "6"})
    public int ipVersion;

    @Param({"64", "1200"})
    public int payloadLength;

    private final ByteBuffer frame = ByteBuffer.allocateDirect(2048);

    private final ByteBuffer out = ByteBuffer.allocateDirect(2048);

    private final ByteBuffer payload = ByteBuffer.allocateDirect(2048);

    private final ParsedUdpFrame parsed = new ParsedUdpFrame();

    private int frameLength;

    @Setup
    public void setUp() {
        for (int i = 0; i < payloadLength; i++) {
            payload.put(i, (byte) (i * 7 + 1));
        }
        frameLength = build(frame);
        if (UdpFrameParser.parse(frame, 0, frameLength, UdpChecksumPolicy.ACCEPT_PARTIAL, parsed) != null) {
            throw new IllegalStateException("the benchmark frame does not parse");
        }
    }

    private int build(ByteBuffer into) {
        return ipVersion == 4
                ? UdpFrameWriter.writeIpv4(into, 0, MAC_B, MAC_A, IPV4_A, IPV4_B, 40000, 4433, payload, 0,
                        payloadLength)
                : UdpFrameWriter.writeIpv6(into, 0, MAC_B, MAC_A, IPV6_HIGH, 1, IPV6_HIGH, 2, 40000, 4433, payload,
                        0, payloadLength);
    }

    @Benchmark
    public int parse() {
        DropReason reason = UdpFrameParser.parse(frame, 0, frameLength, UdpChecksumPolicy.ACCEPT_PARTIAL, parsed);
        return reason == null ? parsed.payloadLength() : -1;
    }

    @Benchmark
    public int build() {
        return build(out);
    }
}
