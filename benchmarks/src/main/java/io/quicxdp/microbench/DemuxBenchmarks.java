package io.quicxdp.microbench;

import io.quicxdp.datapath.DemuxTable;
import io.quicxdp.datapath.config.UdpChecksumPolicy;
import io.quicxdp.datapath.internal.packet.ParsedUdpFrame;
import io.quicxdp.datapath.internal.packet.UdpFrameParser;
import io.quicxdp.datapath.internal.packet.UdpFrameWriter;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
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
 * Finding the endpoint for a parsed datagram. "wildcard": one endpoint on the port, bound to every
 * address. "connected": the port also has 7 endpoints connected to other peers, one to this datagram's
 * sender, and a wildcard; the connected one must win.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class DemuxBenchmarks {

    private static final int PORT = 4433;

    @Param({"4", "6"})
    public int ipVersion;

    @Param({"wildcard", "connected"})
    public String table;

    private final DemuxTable endpoints = new DemuxTable();

    private final ByteBuffer frame = ByteBuffer.allocateDirect(2048);

    private final ParsedUdpFrame parsed = new ParsedUdpFrame();

    private Object expected;

    @Setup
    public void setUp() throws UnknownHostException {
        boolean v6 = ipVersion == 6;
        InetAddress local = InetAddress.getByName(v6 ? "fd00:198:18::1" : "198.18.0.1");
        String peerPrefix = v6 ? "fd00:198:18::" : "198.18.0.";
        ByteBuffer payload = ByteBuffer.allocateDirect(64);
        int length = v6
                ? UdpFrameWriter.writeIpv6(frame, 0, 1, 2, high(InetAddress.getByName(peerPrefix + "9")),
                        low(InetAddress.getByName(peerPrefix + "9")), high(local), low(local), 40000, PORT, payload, 0,
                        64)
                : UdpFrameWriter.writeIpv4(frame, 0, 1, 2, ipv4(InetAddress.getByName(peerPrefix + "9")), ipv4(local),
                        40000, PORT, payload, 0, 64);
        if (UdpFrameParser.parse(frame, 0, length, UdpChecksumPolicy.ACCEPT_PARTIAL, parsed) != null) {
            throw new IllegalStateException("the benchmark frame does not parse");
        }
        expected = endpoints.bind(new InetSocketAddress(PORT).getAddress(), PORT, null);
        if (table.equals("connected")) {
            for (int host = 2; host <= 9; host++) {
                Object connected = endpoints.bind(local, PORT,
                        new InetSocketAddress(InetAddress.getByName(peerPrefix + host), 40000));
                if (host == 9) {
                    expected = connected;
                }
            }
        }
        if (endpoints.find(frame, parsed) != expected) {
            throw new IllegalStateException("the table does not find the expected endpoint");
        }
    }

    private static long high(InetAddress address) {
        return ByteBuffer.wrap(address.getAddress()).getLong(0);
    }

    private static long low(InetAddress address) {
        return ByteBuffer.wrap(address.getAddress()).getLong(8);
    }

    private static int ipv4(InetAddress address) {
        return ByteBuffer.wrap(address.getAddress()).getInt(0);
    }

    @Benchmark
    public Object find() {
        return endpoints.find(frame, parsed);
    }
}
