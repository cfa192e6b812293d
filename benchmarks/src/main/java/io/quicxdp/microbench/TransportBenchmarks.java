package io.quicxdp.microbench;

import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.CompositeByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ManualIoEventLoop;
import io.netty.channel.socket.DatagramPacket;
import io.quicxdp.datapath.MemoryDatapath;
import io.quicxdp.datapath.config.DatapathSettings;
import io.quicxdp.datapath.internal.linux.NativeIoException;
import io.quicxdp.datapath.internal.packet.UdpFrameWriter;
import io.quicxdp.datapath.internal.xsk.MemoryKernel;
import io.quicxdp.datapath.internal.xsk.XskParameters;
import io.quicxdp.netty.XdpDatagramChannel;
import io.quicxdp.netty.XdpIoHandlerFactory;
import io.quicxdp.netty.XdpSegmentedDatagramPacket;
import io.quicxdp.netty.XdpTxFrameAllocator;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The Netty transport's hot path, through the production classes: an {@link XdpDatagramChannel} on an
 * event loop of {@link XdpIoHandlerFactory} driving a real queue, on a {@link ManualIoEventLoop} whose thread is the
 * benchmark's. Only the kernel's half of the rings is played in memory ({@link MemoryKernel}): it moves
 * descriptors and copies nothing, and is never asked for a wake-up, so no system call is measured. The
 * figures are what the transport costs per datagram on top of the kernel's own work.
 *
 * <p>Datagrams go between 198.18.0.1:40000 (or fd00:198:18::1) and the channel, bound to port 4433 on the
 * wildcard address, at 198.18.0.2 (fd00:198:18::2); their payload is {@code payloadLength} bytes.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
// the benchmark thread is the event loop's, and like Netty's own a FastThreadLocalThread; Netty's leak detection,
// which tracks one buffer in 128 with objects of its own, is off, so that the bytes per operation are the send's
@Fork(value = 1, jvmArgsAppend = {"-Djmh.executor=CUSTOM", "-Djmh.executor.class=io.quicxdp.microbench.EventLoopThreads",
        "-Dio.netty.leakDetection.level=disabled"})
public class TransportBenchmarks {

    /** Datagrams received per invocation: one RX batch, one turn of the loop. */
    private static final int BATCH = 64;

    /**
     * Datagrams written per invocation, before one flush. Netty's recycler keeps 32 of a thread's
     * outbound-buffer entries at hand; more written before a flush spill to a queue that allocates as it grows.
     */
    private static final int WRITES = 32;

    private static final int PORT = 4433;

    private static final int PEER_PORT = 40000;

    private static final long PEER_MAC = 0x02_00_00_00_00_01L;

    private static final long LOCAL_MAC = 0x02_00_00_00_00_02L;

    /** 198.18.0.1 and 198.18.0.2 */
    private static final int PEER_IPV4 = 0xC612_0001;

    private static final int LOCAL_IPV4 = 0xC612_0002;

    /** fd00:198:18::1 and fd00:198:18::2 */
    private static final long IPV6_HIGH = 0xFD00_0198_0018_0000L;

    @Param({"4", "6"})
    public int ipVersion;

    @Param({"64", "1200"})
    public int payloadLength;

    /** Who computes sent UDP checksums: the datapath ({@code software}) or the kernel, asked through TX metadata. */
    @Param({"software", "offload"})
    public String txChecksum;

    private final Application application = new Application();

    private MemoryDatapath datapath;

    private MemoryKernel kernel;

    private ManualIoEventLoop loop;

    private XdpDatagramChannel channel;

    /** The frame the peer sends, as the kernel puts it in every receive frame. */
    private int frameLength;

    /** What the application sends back to the peer: one packet, retained for each write. */
    private DatagramPacket reply;

    /** The 32 datagrams in one packet (a composite of 32 buffers, as Netty's QUIC codec makes), retained for each write. */
    private XdpSegmentedDatagramPacket segmentedReply;

    private long delivered;

    private long written;

    private long sent;

    @Setup
    public void setUp() throws NativeIoException {
        DatapathSettings settings = DatapathSettings.builder()
                .pollThreads(false)
                // ports are reserved with kernel sockets: this channel holds none
                .portReservation(false)
                // the peer keeps the route learned from its first datagram for the whole run
                .routeMaxAge(Duration.ofHours(1))
                .txChecksumOffload(txChecksum.equals("offload"))
                .build();
        datapath = MemoryDatapath.open(settings, "bench0", LOCAL_MAC, 1500);
        kernel = datapath.kernel();
        writeReceiveFrames(XskParameters.of(settings).rxFrames(), settings.frameSize());

        // the factory's loops take 64 datagrams off a queue per turn: one batch
        loop = new ManualIoEventLoop(Thread.currentThread(), XdpIoHandlerFactory.of(datapath.datapath()));
        // the first turn initialises the handler, which attaches this thread to the queue
        loop.runNow();
        // 32 writes of 1200 bytes stay below the default high-water mark: the channel stays writable
        ChannelFuture bound = new Bootstrap().group(loop).channel(XdpDatagramChannel.class).handler(application)
                .bind(PORT);
        loop.runNow();
        if (!bound.isSuccess()) {
            throw new IllegalStateException("the channel did not bind", bound.cause());
        }
        channel = (XdpDatagramChannel) bound.channel();

        // the peer's first datagram teaches the channel its route: replies need no lookup
        deliver(1);
        if (application.datagrams != 1 || application.sender == null) {
            throw new IllegalStateException("the channel did not read the first datagram");
        }
        ByteBuf content = Unpooled.directBuffer(payloadLength);
        for (int i = 0; i < payloadLength; i++) {
            content.writeByte(i * 7 + 1);
        }
        reply = new DatagramPacket(content, application.sender);
        CompositeByteBuf batch = Unpooled.compositeBuffer(WRITES);
        for (int i = 0; i < WRITES; i++) {
            batch.addComponent(true, content.retainedDuplicate());
        }
        segmentedReply = new XdpSegmentedDatagramPacket(batch, payloadLength, application.sender);
        channel.writeAndFlush(reply.retain(), channel.voidPromise());
        written++;
        sent += kernel.complete();
        int expected = (ipVersion == 6 ? UdpFrameWriter.IPV6_HEADERS_LENGTH : UdpFrameWriter.IPV4_HEADERS_LENGTH)
                + payloadLength;
        if (sent != 1 || kernel.lastSentLength() != expected) {
            throw new IllegalStateException("the reply did not reach the TX ring as a frame of " + expected + " bytes");
        }
    }

    /** Puts the peer's datagram where the kernel would have written it, into every receive frame. */
    private void writeReceiveFrames(int frames, int frameSize) {
        ByteBuffer umem = kernel.socket().frames();
        ByteBuffer payload = ByteBuffer.allocateDirect(payloadLength);
        for (int i = 0; i < payloadLength; i++) {
            payload.put(i, (byte) (i * 3 + 1));
        }
        for (int frame = 0; frame < frames; frame++) {
            int offset = frame * frameSize + MemoryKernel.HEADROOM;
            frameLength = ipVersion == 6
                    ? UdpFrameWriter.writeIpv6(umem, offset, LOCAL_MAC, PEER_MAC, IPV6_HIGH, 1, IPV6_HIGH, 2,
                            PEER_PORT, PORT, payload, 0, payloadLength)
                    : UdpFrameWriter.writeIpv4(umem, offset, LOCAL_MAC, PEER_MAC, PEER_IPV4, LOCAL_IPV4, PEER_PORT,
                            PORT, payload, 0, payloadLength);
        }
    }

    private void deliver(int datagrams) {
        delivered += kernel.receive(datagrams, frameLength);
        loop.runNow();
    }

    /**
     * Receiving. One operation: one datagram from the RX ring through the queue (parse, checksums,
     * endpoint lookup) and the channel to the {@link DatagramPacket} it fires, whose content is the payload in
     * place in its UMEM frame, with sender and recipient; the application releases it, which gives the frame
     * back, and the frame goes onto the fill ring at the end of the loop's turn. A turn handles 64 datagrams
     * and fires {@code channelReadComplete} once.
     */
    @Benchmark
    @OperationsPerInvocation(BATCH)
    public long receive() {
        deliver(BATCH);
        return application.bytes;
    }

    /**
     * Sending. One operation: one datagram written to the channel, in a {@link DatagramPacket} of its own or, with
     * {@link Writes#segments} 32, within one {@link XdpSegmentedDatagramPacket} of 32, then, per 32, one flush: each
     * becomes a TX frame (headers written, IP and UDP checksums computed or left to the kernel) and a descriptor on
     * the TX ring; the kernel completes them all, and the frames come back to the free TX frames at the loop's next
     * turn or when the socket next runs out of them. How the payloads are written, {@link Writes#buffers}:
     * {@code retained} writes the same packet each time, retained, and its payload is copied into the frame
     * (nothing allocated); {@code pooled} and {@code txframe} write what Netty's QUIC codec writes: per datagram, a
     * buffer from the allocator (Netty's default, or {@link XdpTxFrameAllocator} whose buffers are TX frames) into
     * which the payload is copied as quiche writes it, in a new {@link DatagramPacket}, or per 32 a composite of
     * them ({@code Unpooled.wrappedBuffer}) in a new {@link XdpSegmentedDatagramPacket}. So their bytes per operation
     * include the codec's own objects (a packet per datagram, a composite per 32), the rest being the transport's.
     */
    @Benchmark
    @OperationsPerInvocation(WRITES)
    public int send(Writes writes) {
        if (writes.allocator == null) {
            if (writes.segments == 1) {
                for (int i = 0; i < WRITES; i++) {
                    channel.write(reply.retain(), channel.voidPromise());
                }
            }
            else {
                channel.write(segmentedReply.retain(), channel.voidPromise());
            }
        }
        else if (writes.segments == 1) {
            for (int i = 0; i < WRITES; i++) {
                channel.write(new DatagramPacket(written(writes.allocator), application.sender), channel.voidPromise());
            }
        }
        else {
            for (int i = 0; i < WRITES; i++) {
                writes.parts[i] = written(writes.allocator);
            }
            channel.write(new XdpSegmentedDatagramPacket(Unpooled.wrappedBuffer(writes.parts), payloadLength,
                    application.sender), channel.voidPromise());
        }
        channel.flush();
        written += WRITES;
        int completed = kernel.complete();
        sent += completed;
        return completed;
    }

    /** A buffer of {@code allocator} holding the reply's payload, written into it as quiche writes a datagram. */
    private ByteBuf written(ByteBufAllocator allocator) {
        ByteBuf content = reply.content();
        return allocator.directBuffer(payloadLength).writeBytes(content, content.readerIndex(), payloadLength);
    }

    @TearDown
    public void tearDown() {
        try {
            // every datagram reached the application, every write left as a frame, no frame was lost
            if (application.datagrams != delivered || sent != written || !datapath.framesBalanced()) {
                throw new IllegalStateException("the transport lost traffic: " + delivered + " datagrams received, "
                        + application.datagrams + " read; " + written + " written, " + sent + " sent; frames "
                        + kernel.socket().frameAccounting());
            }
        }
        finally {
            reply.release();
            segmentedReply.release();
            loop.shutdownGracefully(0, 0, TimeUnit.SECONDS);
            while (!loop.isTerminated()) {
                loop.runNow();
            }
            datapath.close();
        }
    }

    /** How {@link #send} writes its 32 datagrams. */
    @State(Scope.Thread)
    public static class Writes {

        /** 1: one {@link DatagramPacket} each; 32: one {@link XdpSegmentedDatagramPacket} of all of them. */
        @Param({"1", "32"})
        public int segments;

        /**
         * Where the payloads are: {@code retained}, one packet written again and again; {@code pooled}, a buffer of
         * Netty's default allocator per datagram; {@code txframe}, a buffer of {@link XdpTxFrameAllocator} per datagram.
         */
        @Param({"retained", "pooled", "txframe"})
        public String buffers;

        /** The allocator of {@link #buffers}, or {@code null} for {@code retained}. */
        ByteBufAllocator allocator;

        /** The buffers of one segmented write. */
        final ByteBuf[] parts = new ByteBuf[WRITES];

        @Setup
        public void setUp() {
            allocator = switch (buffers) {
                case "retained" -> null;
                case "pooled" -> ByteBufAllocator.DEFAULT;
                case "txframe" -> XdpTxFrameAllocator.DEFAULT;
                default -> throw new IllegalArgumentException("unknown buffers " + buffers);
            };
        }
    }

    /** The application: reads each datagram's sender, length and first byte, then releases it, as a codec would. */
    private static final class Application extends ChannelInboundHandlerAdapter {

        long datagrams;

        long bytes;

        InetSocketAddress sender;

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            DatagramPacket packet = (DatagramPacket) msg;
            ByteBuf content = packet.content();
            datagrams++;
            bytes += content.readableBytes() + content.getByte(content.readerIndex());
            sender = packet.sender();
            packet.release();
        }
    }
}
