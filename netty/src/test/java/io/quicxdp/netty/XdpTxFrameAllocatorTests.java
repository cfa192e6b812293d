package io.quicxdp.netty;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.CompositeByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.socket.DatagramPacket;
import io.netty.util.LeakPresenceDetector;
import io.netty.util.concurrent.DefaultThreadFactory;
import io.quicxdp.datapath.XdpDatapath;
import io.quicxdp.datapath.config.DatapathSettings;
import io.quicxdp.datapath.state.SocketState;
import io.quicxdp.datapath.state.TxFrameAccounting;
import io.quicxdp.datapath.testing.Await;
import io.quicxdp.datapath.testing.TestPorts;
import io.quicxdp.datapath.testing.XskMapFixture;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.ToLongFunction;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * {@link XdpTxFrameAllocator} on a real veth pair, two queues each on its loop: which buffers are TX frames, how
 * their frames come back (released unwritten on the loop or another thread, grown out of the frame), which
 * datagrams leave from their frame and which are copied (another loop's frame, a shared buffer, a grown one, a
 * datagram split over two frames), segmented packets of frame buffers through fewer free frames than datagrams,
 * and answers that all leave from their frames. Every buffer is tracked by Netty's leak presence detector (which
 * allocates per buffer, so the allocation per datagram is measured by {@code TransportBenchmarks} instead), and the
 * TX frames balance after each test.
 */
class XdpTxFrameAllocatorTests {

    private static final int PORT = TestPorts.ECHO;

    private static final int PEER_PORT = 47001;

    private XskMapFixture fixture;

    private XdpDatapath datapath;

    private MultiThreadIoEventLoopGroup group;

    private List<Channel> channels = List.of();

    @BeforeEach
    void open() throws Exception {
        fixture = XskMapFixture.create(2, Set.of(PORT));
    }

    private void start(DatapathSettings.Builder settings, ChannelInboundHandlerAdapter handler) throws Exception {
        datapath = XdpDatapath.open(List.of(fixture.config()), settings.pollThreads(false)
                .neighbourTimeout(Duration.ofSeconds(10)).build());
        group = XdpIoHandlerFactory.of(datapath).newGroup(new DefaultThreadFactory("xdp-tx-" + fixture.net().id()));
        channels = XdpChannels.bindEveryLoop(new Bootstrap().handler(new ChannelInitializer<Channel>() {
            @Override
            protected void initChannel(Channel channel) {
                channel.pipeline().addLast(handler);
            }
        }), group, new InetSocketAddress(PORT));
    }

    private static DatapathSettings.Builder small() {
        return DatapathSettings.builder().frameCount(512).fillRingSize(256).completionRingSize(256).rxRingSize(256)
                .txRingSize(256);
    }

    @AfterEach
    void close() throws Exception {
        try {
            if (datapath != null) {
                awaitTxFramesBack();
            }
        }
        finally {
            channels.forEach(channel -> channel.close().syncUninterruptibly());
            if (group != null) {
                group.shutdownGracefully(0, 5, TimeUnit.SECONDS).sync();
            }
            if (datapath != null) {
                datapath.close();
            }
            if (fixture != null) {
                fixture.close();
            }
        }
    }

    @AfterAll
    static void noBufferLeaked() {
        LeakPresenceDetector.check();
    }

    /** Every TX frame is free again once the kernel sent what it was given: none is held by a buffer. */
    private void awaitTxFramesBack() throws InterruptedException {
        Await.until(() -> datapath.state().sockets().stream().allMatch(socket -> socket.transmitFrames().free()
                == socket.transmitFrames().transmitFrames()), "every TX frame back: " + datapath.state().sockets());
        assertThat(datapath.state().sockets()).allSatisfy(socket -> assertThat(socket.transmitFrames().balanced())
                .as("TX frames of queue %d", socket.queueId()).isTrue());
    }

    private long sum(ToLongFunction<SocketState> counter) {
        return datapath.state().sockets().stream().mapToLong(counter).sum();
    }

    private int held() {
        return datapath.state().sockets().stream().map(SocketState::transmitFrames)
                .mapToInt(TxFrameAccounting::held).sum();
    }

    private static <T> T onLoop(Channel channel, Callable<T> task) throws Exception {
        return channel.eventLoop().submit(task).get(10, TimeUnit.SECONDS);
    }

    private static ByteBuf text(ByteBuf buffer, String text) {
        return buffer.writeBytes(text.getBytes(StandardCharsets.US_ASCII));
    }

    @Test
    void directBuffersOnALoopAreItsTxFramesAndComeBackWhenReleasedUnwrittenOnAnyThread() throws Exception {
        // 16 TX frames a queue
        start(small().frameCount(64).fillRingSize(32).rxRingSize(32).txRingSize(16).completionRingSize(16),
                new Hello());
        XdpTxFrameAllocator allocator = XdpTxFrameAllocator.DEFAULT;
        Channel loop = channels.get(0);

        ByteBuf released = onLoop(loop, () -> text(allocator.directBuffer(1200), "unwritten"));
        assertThat(held()).as("a direct buffer on the loop holds a TX frame").isEqualTo(1);
        assertThat(released.capacity()).as("the capacity asked for").isEqualTo(1200);
        onLoop(loop, released::release);
        assertThat(held()).as("released on the loop").isZero();

        ByteBuf elsewhere = onLoop(loop, () -> allocator.directBuffer(100));
        elsewhere.release();
        assertThat(held()).as("released on another thread").isZero();

        ByteBuf offLoop = allocator.directBuffer(100);
        ByteBuf heap = onLoop(loop, () -> allocator.heapBuffer(100));
        ByteBuf larger = onLoop(loop, () -> allocator.directBuffer(4000));
        assertThat(held()).as("off the loop, on the heap, larger than a frame: ordinary buffers").isZero();
        assertThat(offLoop.isDirect()).isTrue();
        assertThat(heap.isDirect()).isFalse();
        offLoop.release();
        heap.release();
        larger.release();

        // a quarter of the 16 TX frames is never lent: beyond 12, buffers are ordinary ones, counted
        List<ByteBuf> all = onLoop(loop, () -> {
            List<ByteBuf> buffers = new ArrayList<>();
            for (int i = 0; i < 16; i++) {
                buffers.add(allocator.directBuffer(100));
            }
            return buffers;
        });
        assertThat(held()).isEqualTo(12);
        assertThat(sum(SocketState::txLendRefused)).isEqualTo(4);
        onLoop(loop, () -> all.stream().allMatch(ByteBuf::release));

        ByteBuf grown = onLoop(loop, () -> text(allocator.directBuffer(100), "grown"));
        onLoop(loop, () -> grown.writeZero(3000));
        assertThat(held()).as("grown beyond its frame, it gave the frame back").isZero();
        assertThat(grown.readableBytes()).isEqualTo(3005);
        assertThat(grown.toString(0, 5, StandardCharsets.US_ASCII)).as("its bytes moved with it").isEqualTo("grown");
        grown.release();
    }

    @Test
    void aDatagramLeavesFromItsTxFrameOnItsLoopAndIsCopiedWhenItCannot() throws Exception {
        Hello hello = new Hello();
        start(small(), hello);
        XdpTxFrameAllocator allocator = XdpTxFrameAllocator.DEFAULT;
        InetSocketAddress peer = new InetSocketAddress(fixture.net().peerIpv4(), PEER_PORT);
        DatagramChannel receiver = fixture.net().inPeer(() -> DatagramChannel.open().bind(peer));
        try {
            // the channel that heard from the peer answers it on its own queue
            Channel first = heardFrom(hello, receiver);
            Channel second = channels.get(1 - channels.indexOf(first));
            // written into a frame of its channel's loop: sent from it
            onLoop(first, () -> first.writeAndFlush(new DatagramPacket(text(allocator.directBuffer(100),
                    "in place"), peer))).sync();
            // a frame of the other loop's queue, written to this channel: copied
            ByteBuf otherLoops = onLoop(second, () -> text(allocator.directBuffer(100), "other loop"));
            first.writeAndFlush(new DatagramPacket(otherLoops, peer)).sync();
            // shared with another holder: copied, not handed to the kernel under it
            ByteBuf shared = onLoop(first, () -> text(allocator.directBuffer(100), "shared").retain());
            onLoop(first, () -> first.writeAndFlush(new DatagramPacket(shared, peer))).sync();
            assertThat(shared.toString(StandardCharsets.US_ASCII)).isEqualTo("shared");
            onLoop(first, shared::release);
            // grown out of its frame, then written: copied
            onLoop(first, () -> {
                ByteBuf grown = allocator.directBuffer(100).writeZero(2500);
                text(grown.readerIndex(2500), "grown");
                return first.writeAndFlush(new DatagramPacket(grown, peer));
            }).sync();
            // one datagram over two frames: copied
            onLoop(first, () -> {
                CompositeByteBuf split = Unpooled.compositeBuffer().addComponents(true,
                        text(allocator.directBuffer(10), "sp"), text(allocator.directBuffer(10), "lit"));
                return first.writeAndFlush(new DatagramPacket(split, peer));
            }).sync();
            assertThat(receive(receiver, 5)).containsExactly("in place", "other loop", "shared", "grown", "split");
        }
        finally {
            receiver.close();
        }
        Await.until(() -> sum(SocketState::txPackets) == 5, "every datagram counted");
        assertThat(sum(SocketState::txInPlace)).as("sent from its frame").isEqualTo(1);
        assertThat(sum(SocketState::txFrameCopies)).as("written into frames, copied").isEqualTo(4);
    }

    @Test
    void aSegmentedPacketOfFrameBuffersLeavesFromThemInOrderWhileItsCopiesWaitForFreeFrames() throws Exception {
        // 16 TX frames: 12 lent to the packet's first datagrams, 4 free for its 12 copied ones
        Hello hello = new Hello();
        start(small().frameCount(64).fillRingSize(32).rxRingSize(32).txRingSize(16).completionRingSize(16), hello);
        XdpTxFrameAllocator allocator = XdpTxFrameAllocator.DEFAULT;
        InetSocketAddress peer = new InetSocketAddress(fixture.net().peerIpv4(), PEER_PORT);
        DatagramChannel receiver = fixture.net().inPeer(() -> DatagramChannel.open().bind(peer));
        int segmentSize = 100;
        try {
            Channel channel = heardFrom(hello, receiver);
            onLoop(channel, () -> {
                CompositeByteBuf data = Unpooled.compositeBuffer(24);
                for (int i = 0; i < 24; i++) {
                    ByteBuf segment = i < 12 ? allocator.directBuffer(segmentSize) : Unpooled.directBuffer(segmentSize);
                    data.addComponent(true, segment.writeZero(segmentSize).setInt(0, i));
                }
                return channel.writeAndFlush(new XdpSegmentedDatagramPacket(data, segmentSize, peer));
            }).sync();
            for (int i = 0; i < 24; i++) {
                byte[] datagram = receiveBytes(receiver);
                assertThat(datagram).hasSize(segmentSize);
                assertThat(ByteBuffer.wrap(datagram).getInt(0)).as("datagram %d in order", i).isEqualTo(i);
            }
        }
        finally {
            receiver.close();
        }
        assertThat(sum(SocketState::txInPlace)).isEqualTo(12);
        assertThat(sum(SocketState::txFrameCopies)).isZero();
        assertThat(sum(SocketState::txBackPressure)).as("the copies waited for frames").isPositive();
    }

    /** Keeps the channel of the first datagram it reads: the one that learned the peer's route on its own queue. */
    @io.netty.channel.ChannelHandler.Sharable
    private static final class Hello extends ChannelInboundHandlerAdapter {

        private final java.util.concurrent.CompletableFuture<Channel> heard = new java.util.concurrent.CompletableFuture<>();

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            ((DatagramPacket) msg).release();
            heard.complete(ctx.channel());
        }

    }

    /** Sends a datagram from {@code peer} and returns the channel that read it. */
    private Channel heardFrom(Hello hello, DatagramChannel peer) throws Exception {
        fixture.net().inPeer(() -> peer.send(ByteBuffer.wrap(new byte[] {1}),
                new InetSocketAddress(fixture.net().appIpv4(), PORT)));
        return hello.heard.get(10, TimeUnit.SECONDS);
    }

    @Test
    void everyAnswerWrittenIntoATxFrameLeavesFromIt() throws Exception {
        AtomicInteger handled = new AtomicInteger();
        InetSocketAddress sender = new InetSocketAddress(fixture.net().peerIpv4(), PEER_PORT);
        // each datagram answered with a buffer of the allocator, written to the channel connected to the sender
        start(small(), new Answer(handled));
        for (Channel channel : channels) {
            channel.connect(sender).sync();
        }
        DatagramChannel peer = fixture.net().inPeer(() -> DatagramChannel.open().bind(sender));
        try {
            for (int round = 0; round < 20; round++) {
                assertThat(sendInRounds(peer, handled, 1, 50)).isEqualTo(50);
                for (int i = 0; i < 50; i++) {
                    assertThat(receiveBytes(peer)).hasSize(4);
                }
            }
        }
        finally {
            peer.close();
        }
        assertThat(sum(SocketState::txPackets)).isEqualTo(1000);
        assertThat(sum(SocketState::txInPlace)).as("every answer left from its frame").isEqualTo(1000);
    }

    /** Answers each datagram with the first four bytes of its payload, in a buffer of the TX frame allocator. */
    @io.netty.channel.ChannelHandler.Sharable
    private static final class Answer extends ChannelInboundHandlerAdapter {

        private final AtomicInteger handled;

        Answer(AtomicInteger handled) {
            this.handled = handled;
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            DatagramPacket packet = (DatagramPacket) msg;
            ByteBuf reply = XdpTxFrameAllocator.DEFAULT.directBuffer(4).writeInt(packet.content().getInt(0));
            packet.release();
            ctx.write(reply, ctx.voidPromise());
            handled.incrementAndGet();
        }

        @Override
        public void channelReadComplete(ChannelHandlerContext ctx) {
            ctx.flush();
        }
    }

    /** Sends {@code rounds} bursts of {@code burst} datagrams, each after the previous one was handled. */
    private int sendInRounds(DatagramChannel peer, AtomicInteger handled, int rounds, int burst) throws Exception {
        int start = handled.get();
        for (int round = 1; round <= rounds; round++) {
            fixture.net().inPeer(() -> {
                for (int i = 0; i < burst; i++) {
                    peer.send(ByteBuffer.allocate(4).putInt(0, i), new InetSocketAddress(fixture.net().appIpv4(), PORT));
                }
                return null;
            });
            int expected = start + round * burst;
            Await.until(() -> handled.get() >= expected, "round " + round);
        }
        return handled.get() - start;
    }

    private static List<String> receive(DatagramChannel receiver, int count) throws Exception {
        List<String> texts = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            texts.add(new String(receiveBytes(receiver), StandardCharsets.US_ASCII));
        }
        return texts;
    }

    private static byte[] receiveBytes(DatagramChannel receiver) throws Exception {
        receiver.socket().setSoTimeout(5000);
        java.net.DatagramPacket in = new java.net.DatagramPacket(new byte[2048], 2048);
        receiver.socket().receive(in);
        return Arrays.copyOf(in.getData(), in.getLength());
    }
}
