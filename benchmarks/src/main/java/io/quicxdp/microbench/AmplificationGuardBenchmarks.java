package io.quicxdp.microbench;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOutboundHandlerAdapter;
import io.netty.channel.ChannelPromise;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.channel.socket.DatagramPacket;
import io.quicxdp.netty.quic.QuicConnectionLimit;
import java.net.InetSocketAddress;
import java.time.Duration;
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
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * What the anti-amplification guard ({@link QuicConnectionLimit#amplificationGuard()}) adds to each datagram of an
 * established connection: a 1-RTT datagram (short header, 1200 bytes, to a client ID of 8 octets) read through it
 * and written through it, in a pipeline between two handlers that take the datagram and keep it. {@code subject}
 * {@code pass} is a handler that only passes datagrams on (the pipeline's hop without the guard's work),
 * {@code guard} the guard itself; {@code waiting} clients have been answered and not validated yet, so that the
 * guard looks each short header up.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = "-Dio.netty.leakDetection.level=disabled")
public class AmplificationGuardBenchmarks {

    private static final InetSocketAddress SERVER = new InetSocketAddress("198.18.0.2", 4433);

    private static final InetSocketAddress CLIENT = new InetSocketAddress("198.18.0.1", 40000);

    private static final int ID_LENGTH = 8;

    @Param({"pass", "guard"})
    public String subject;

    @Param({"0", "1000"})
    public int waiting;

    private EmbeddedChannel channel;

    private ChannelHandlerContext first;

    private ChannelHandlerContext last;

    private DatagramPacket read;

    private DatagramPacket written;

    @Setup
    public void setUp() {
        ChannelHandler handler = subject.equals("guard")
                ? new QuicConnectionLimit(0, waiting + 1, Duration.ofSeconds(10)).amplificationGuard()
                : new ChannelDuplexHandler();
        channel = new EmbeddedChannel(new Keep(), handler, new Take());
        first = channel.pipeline().firstContext();
        last = channel.pipeline().lastContext();
        for (int client = 0; client < waiting; client++) {
            byte[] id = clientId(client + 1);
            // its Initial read, and the server's first answer written: a client waiting for validation
            first.fireChannelRead(new DatagramPacket(initial(id, 1200), SERVER, CLIENT));
            last.write(new DatagramPacket(longHeaderAnswer(id), CLIENT, SERVER), channel.voidPromise());
        }
        byte[] established = clientId(0);
        read = new DatagramPacket(shortHeader(new byte[] {9, 9, 9, 9, 9, 9, 9, 9}), SERVER, CLIENT);
        written = new DatagramPacket(shortHeader(established), CLIENT, SERVER);
    }

    @TearDown
    public void tearDown() {
        read.release();
        written.release();
        channel.finishAndReleaseAll();
    }

    /** One datagram of an established connection read from the loop's channel to the codec. */
    @Benchmark
    public void read() {
        first.fireChannelRead(read);
    }

    /** One datagram of an established connection written by the codec toward the loop's channel. */
    @Benchmark
    public void write() {
        last.write(written, channel.voidPromise());
    }

    private static byte[] clientId(int client) {
        byte[] id = new byte[ID_LENGTH];
        id[0] = 0x5a;
        for (int i = 1; i < ID_LENGTH; i++) {
            id[i] = (byte) (client >>> (8 * (i - 1)));
        }
        return id;
    }

    /** A datagram of {@code size} bytes with one Initial from {@code scid}, no token. */
    private static ByteBuf initial(byte[] scid, int size) {
        ByteBuf datagram = Unpooled.buffer(size).writeByte(0xc3).writeInt(1);
        datagram.writeByte(ID_LENGTH).writeZero(ID_LENGTH).writeByte(scid.length).writeBytes(scid);
        datagram.writeByte(0).writeShort(0x4000 | (size - datagram.writerIndex() - 2));
        return datagram.writeZero(size - datagram.writerIndex());
    }

    /** The server's first answer to {@code dcid}: an Initial of 1200 bytes from the ID it chose. */
    private static ByteBuf longHeaderAnswer(byte[] dcid) {
        ByteBuf datagram = Unpooled.buffer(1200).writeByte(0xc3).writeInt(1);
        datagram.writeByte(dcid.length).writeBytes(dcid).writeByte(ID_LENGTH).writeZero(ID_LENGTH);
        datagram.writeByte(0).writeShort(0x4000 | (1200 - datagram.writerIndex() - 2));
        return datagram.writeZero(1200 - datagram.writerIndex());
    }

    private static ByteBuf shortHeader(byte[] dcid) {
        ByteBuf datagram = Unpooled.directBuffer(1200).writeByte(0x43).writeBytes(dcid);
        return datagram.writeZero(1200 - datagram.writerIndex());
    }

    /** The channel's side: takes what is written and keeps it, for the next write. */
    private static final class Keep extends ChannelOutboundHandlerAdapter {

        @Override
        public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
            // kept by the benchmark: neither released nor passed on
        }
    }

    /** The codec's side: takes what is read and keeps it, for the next read. */
    private static final class Take extends ChannelInboundHandlerAdapter {

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            // kept by the benchmark: neither released nor passed on
        }
    }
}
