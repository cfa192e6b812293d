package io.quicxdp.netty;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;

import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.socket.DatagramPacket;
import io.netty.util.LeakPresenceDetector;
import io.netty.util.concurrent.DefaultThreadFactory;
import io.quicxdp.datapath.XdpDatapath;
import io.quicxdp.datapath.config.DatapathSettings;
import io.quicxdp.datapath.state.FrameAccounting;
import io.quicxdp.datapath.state.SocketState;
import io.quicxdp.datapath.testing.Await;
import io.quicxdp.datapath.testing.TestPorts;
import io.quicxdp.datapath.testing.XskMapFixture;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Netty pipelines on the XDP transport, on a real veth pair fed from the peer namespace: a UDP echo beside
 * a plain datapath endpoint, the packets' addresses and buffers, allocation, back-pressure, and that
 * stopping gives every frame back.
 */
class XdpDatagramChannelTests {

    private static final int NETTY_PORT = TestPorts.ECHO;

    private static final int PLAIN_PORT = TestPorts.SECOND;

    private XskMapFixture fixture;

    private XdpDatapath datapath;

    private MultiThreadIoEventLoopGroup group;

    @BeforeEach
    void open() throws Exception {
        fixture = XskMapFixture.create(2, Set.of(NETTY_PORT, PLAIN_PORT));
    }

    private void start(DatapathSettings.Builder settings) {
        datapath = XdpDatapath.open(List.of(fixture.config()), settings.pollThreads(false).build());
        XdpIoHandlerFactory loops = XdpIoHandlerFactory.of(datapath);
        group = loops.newGroup(new DefaultThreadFactory("xdp-loop-" + fixture.net().id()));
    }

    @AfterEach
    void close() throws Exception {
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

    @AfterAll
    static void noBufferLeaked() {
        LeakPresenceDetector.check();
    }

    private static DatapathSettings.Builder small() {
        return DatapathSettings.builder().frameCount(512).fillRingSize(512).completionRingSize(256).rxRingSize(256)
                .txRingSize(256).neighbourTimeout(Duration.ofSeconds(10));
    }

    @Test
    void echoPipelineOnEveryLoopServesBesideAPlainEndpointOverIpv4AndIpv6() throws Exception {
        start(small());
        Set<String> recipients = ConcurrentHashMap.newKeySet();
        Set<String> loops = ConcurrentHashMap.newKeySet();
        Bootstrap bootstrap = echo((packet) -> {
            recipients.add(packet.recipient().toString());
            loops.add(Thread.currentThread().getName());
        });
        List<Channel> channels = XdpChannels.bindEveryLoop(bootstrap, group, new InetSocketAddress(NETTY_PORT));
        assertThat(channels).hasSize(2).allSatisfy(channel -> {
            assertThat(channel).isInstanceOf(XdpDatagramChannel.class);
            assertThat(channel.isActive()).isTrue();
            assertThat(((XdpDatagramChannel) channel).localAddress().getPort()).isEqualTo(NETTY_PORT);
        });
        datapath.bind(PLAIN_PORT, datagram -> datagram.reply(datagram.payload()));

        for (InetAddress target : List.of(fixture.net().appIpv4(), fixture.net().appIpv6())) {
            for (int source = 0; source < 16; source++) {
                assertThat(echo(target, NETTY_PORT, "netty " + source)).isEqualTo("netty " + source);
                assertThat(echo(target, PLAIN_PORT, "plain " + source)).isEqualTo("plain " + source);
            }
        }
        assertThat(recipients).as("each packet's recipient is its real destination")
                .containsExactlyInAnyOrder(new InetSocketAddress(fixture.net().appIpv4(), NETTY_PORT).toString(),
                        new InetSocketAddress(fixture.net().appIpv6(), NETTY_PORT).toString());
        assertThat(loops).as("both queues, each on its own loop").hasSize(2);
        List<SocketState> sockets = datapath.state().sockets();
        assertThat(sockets.stream().mapToLong(SocketState::rxPackets).sum()).isEqualTo(64);
        assertThat(sockets.stream().mapToLong(SocketState::txPackets).sum()).isEqualTo(64);

        channels.forEach(channel -> channel.close().syncUninterruptibly());
        Await.until(() -> datapath.state().sockets().stream().allMatch(s -> s.receiveFrames().held() == 0),
                "every frame given back");
        for (SocketState socket : datapath.state().sockets()) {
            FrameAccounting frames = socket.receiveFrames();
            assertThat(frames.balanced()).as(frames.toString()).isTrue();
        }
    }

    @Test
    void receivingAndWritingAllocateNothingPerDatagramOnTheLoops() throws Exception {
        start(small());
        AtomicInteger handled = new AtomicInteger();
        InetSocketAddress sink = new InetSocketAddress(fixture.net().peerIpv4(), 47000);
        Bootstrap bootstrap = new Bootstrap().handler(new ChannelInitializer<Channel>() {
            @Override
            protected void initChannel(Channel channel) {
                // one reply object, written again and again: what is measured is the transport's own work
                DatagramPacket reply = new DatagramPacket(
                        Unpooled.directBuffer(16).writeBytes("reply".getBytes(StandardCharsets.US_ASCII)), sink);
                channel.pipeline().addLast(new ChannelInboundHandlerAdapter() {
                    @Override
                    public void channelRead(ChannelHandlerContext ctx, Object msg) {
                        ((DatagramPacket) msg).release();
                        reply.content().readerIndex(0);
                        ctx.write(reply.retain(), ctx.voidPromise());
                        handled.incrementAndGet();
                    }

                    @Override
                    public void channelReadComplete(ChannelHandlerContext ctx) {
                        ctx.flush();
                    }

                    @Override
                    public void channelUnregistered(ChannelHandlerContext ctx) {
                        reply.release();
                        ctx.fireChannelUnregistered();
                    }
                });
            }
        });
        XdpChannels.bindEveryLoop(bootstrap, group, new InetSocketAddress(NETTY_PORT));
        com.sun.management.ThreadMXBean threads =
                (com.sun.management.ThreadMXBean) java.lang.management.ManagementFactory.getThreadMXBean();
        DatagramChannel sender = fixture.net().inPeer(DatagramChannel::open);
        // warm-up: code paths compiled, Netty's recycler filled with outbound entries
        sendInRounds(sender, handled, 40, 50);
        long[] loopThreads = Thread.getAllStackTraces().keySet().stream()
                .filter(t -> t.getName().startsWith("xdp-loop-" + fixture.net().id()))
                .mapToLong(Thread::getId).toArray();
        assertThat(loopThreads).hasSize(2);
        // a per-datagram allocation shows in every window; a one-off (a class loaded, code recompiled) in one
        long fewest = Long.MAX_VALUE;
        for (int window = 0; window < 3 && fewest >= 1000; window++) {
            long before = java.util.Arrays.stream(threads.getThreadAllocatedBytes(loopThreads)).sum();
            int measured = sendInRounds(sender, handled, 20, 50);
            long allocated = java.util.Arrays.stream(threads.getThreadAllocatedBytes(loopThreads)).sum() - before;
            assertThat(measured).isEqualTo(20 * 50);
            fewest = Math.min(fewest, allocated);
        }
        sender.close();
        assertThat(fewest).as("bytes allocated by the event loops for 1000 datagrams in and out").isLessThan(1000);
        // every datagram was answered, the last writes perhaps a turn later
        Await.until(() -> datapath.state().sockets().stream().mapToLong(SocketState::txPackets).sum() >= handled.get(),
                "a reply to each datagram");
    }

    @Test
    void writesBeyondTheTxFramesWaitForThemAndWritabilityFollows() throws Exception {
        // 16 TX frames: a burst of 300 replies must wait for completions, turn after turn
        start(small().frameCount(32).fillRingSize(16).completionRingSize(16).rxRingSize(16).txRingSize(16));
        AtomicInteger unwritable = new AtomicInteger();
        AtomicInteger writtenOk = new AtomicInteger();
        Bootstrap bootstrap = new Bootstrap().option(ChannelOption.WRITE_BUFFER_WATER_MARK,
                new io.netty.channel.WriteBufferWaterMark(1024, 4096)).handler(new ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel channel) {
                        channel.pipeline().addLast(new SimpleChannelInboundHandler<DatagramPacket>() {
                            @Override
                            protected void channelRead0(ChannelHandlerContext ctx, DatagramPacket packet) {
                                for (int i = 0; i < 300; i++) {
                                    ByteBuf payload = ctx.alloc().directBuffer(100).writeZero(100).setInt(0, i);
                                    ctx.write(new DatagramPacket(payload, packet.sender())).addListener(done -> {
                                        if (done.isSuccess()) {
                                            writtenOk.incrementAndGet();
                                        }
                                    });
                                }
                                ctx.flush();
                            }

                            @Override
                            public void channelWritabilityChanged(ChannelHandlerContext ctx) {
                                if (!ctx.channel().isWritable()) {
                                    unwritable.incrementAndGet();
                                }
                            }
                        });
                    }
                });
        XdpChannels.bindEveryLoop(bootstrap, group, new InetSocketAddress(NETTY_PORT));
        int received = fixture.net().inPeer(() -> {
            try (DatagramChannel channel = DatagramChannel.open()) {
                channel.bind(new InetSocketAddress(fixture.net().peerIpv4(), 0));
                channel.setOption(java.net.StandardSocketOptions.SO_RCVBUF, 1 << 20);
                channel.socket().setSoTimeout(5000);
                channel.send(ascii("burst please"), new InetSocketAddress(fixture.net().appIpv4(), NETTY_PORT));
                int count = 0;
                boolean[] seen = new boolean[300];
                try {
                    while (count < 300) {
                        java.net.DatagramPacket in = new java.net.DatagramPacket(new byte[200], 200);
                        channel.socket().receive(in);
                        int index = ByteBuffer.wrap(in.getData()).getInt(0);
                        if (!seen[index]) {
                            seen[index] = true;
                            count++;
                        }
                    }
                }
                catch (SocketTimeoutException ex) {
                    // counted below
                }
                return count;
            }
        });
        assertThat(received).as("replies at the peer").isEqualTo(300);
        assertThat(writtenOk.get()).isEqualTo(300);
        assertThat(unwritable.get()).as("the channel went unwritable above the high water mark").isPositive();
        assertThat(datapath.state().sockets().stream().mapToLong(SocketState::txBackPressure).sum())
                .as("the TX frames did run out").isPositive();
    }

    @Test
    void aSegmentedPacketLeavesAsItsDatagramsInOrderEvenThroughFewerTxFrames() throws Exception {
        // 16 TX frames for 41 datagrams: the batch goes in parts, turn after turn, in order
        start(small().txRingSize(16).completionRingSize(16));
        int segments = 40;
        int segmentSize = 100;
        java.util.concurrent.CompletableFuture<Throwable> tooLarge = new java.util.concurrent.CompletableFuture<>();
        Bootstrap bootstrap = new Bootstrap().handler(new ChannelInitializer<Channel>() {
            @Override
            protected void initChannel(Channel channel) {
                channel.pipeline().addLast(new SimpleChannelInboundHandler<DatagramPacket>() {
                    @Override
                    protected void channelRead0(ChannelHandlerContext ctx, DatagramPacket packet) {
                        ByteBuf data = ctx.alloc().directBuffer(segments * segmentSize + 37);
                        for (int i = 0; i < segments * segmentSize + 37; i++) {
                            data.writeByte(i / segmentSize);
                        }
                        ctx.writeAndFlush(new XdpSegmentedDatagramPacket(data, segmentSize, packet.sender()));
                        ByteBuf huge = ctx.alloc().directBuffer(4000).writeZero(4000);
                        ctx.writeAndFlush(new XdpSegmentedDatagramPacket(huge, 2000, packet.sender()))
                                .addListener(future -> tooLarge.complete(future.cause()));
                    }
                });
            }
        });
        List<Channel> channels = XdpChannels.bindEveryLoop(bootstrap, group, new InetSocketAddress(NETTY_PORT));
        List<byte[]> received = fixture.net().inPeer(() -> {
            try (DatagramChannel channel = DatagramChannel.open()) {
                channel.socket().setSoTimeout(5000);
                channel.send(ascii("go"), new InetSocketAddress(fixture.net().appIpv4(), NETTY_PORT));
                List<byte[]> datagrams = new java.util.ArrayList<>();
                for (int i = 0; i <= segments; i++) {
                    java.net.DatagramPacket in = new java.net.DatagramPacket(new byte[2048], 2048);
                    channel.socket().receive(in);
                    datagrams.add(java.util.Arrays.copyOf(in.getData(), in.getLength()));
                }
                return datagrams;
            }
        });
        assertThat(received).hasSize(segments + 1);
        for (int i = 0; i < segments; i++) {
            byte[] expected = new byte[segmentSize];
            java.util.Arrays.fill(expected, (byte) i);
            assertThat(received.get(i)).as("datagram %d", i).isEqualTo(expected);
        }
        byte[] last = new byte[37];
        java.util.Arrays.fill(last, (byte) segments);
        assertThat(received.get(segments)).as("the last, shorter one").isEqualTo(last);
        assertThat(tooLarge.get(5, TimeUnit.SECONDS)).as("a segment larger than a frame fails the packet")
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("does not fit one frame");
        List<SocketState> sockets = datapath.state().sockets();
        assertThat(sockets.stream().mapToLong(SocketState::txPackets).sum()).as("nothing of the failed packet left")
                .isEqualTo(segments + 1);
        assertThat(sockets.stream().mapToLong(SocketState::txBackPressure).sum()).as("the TX frames ran out")
                .isPositive();
        channels.forEach(channel -> channel.close().syncUninterruptibly());
    }

    @Test
    void anEmptyDatagramCompletesItsWriteWithoutAFrameOnTheWireAsWithNioAndEpoll() throws Exception {
        start(small());
        java.util.concurrent.CompletableFuture<Boolean> emptyWritten = new java.util.concurrent.CompletableFuture<>();
        Bootstrap bootstrap = new Bootstrap().handler(new ChannelInitializer<Channel>() {
            @Override
            protected void initChannel(Channel channel) {
                channel.pipeline().addLast(new SimpleChannelInboundHandler<DatagramPacket>() {
                    @Override
                    protected void channelRead0(ChannelHandlerContext ctx, DatagramPacket packet) {
                        ctx.writeAndFlush(new DatagramPacket(Unpooled.EMPTY_BUFFER, packet.sender()))
                                .addListener(future -> emptyWritten.complete(future.isSuccess()));
                        ctx.writeAndFlush(new DatagramPacket(Unpooled.copiedBuffer("after", StandardCharsets.US_ASCII),
                                packet.sender()));
                    }
                });
            }
        });
        List<Channel> channels = XdpChannels.bindEveryLoop(bootstrap, group, new InetSocketAddress(NETTY_PORT));
        assertThat(echo(fixture.net().appIpv4(), NETTY_PORT, "go")).as("the first datagram back").isEqualTo("after");
        assertThat(emptyWritten.get(5, TimeUnit.SECONDS)).isTrue();
        assertThat(datapath.state().sockets().stream().mapToLong(SocketState::txPackets).sum()).isEqualTo(1);
        channels.forEach(channel -> channel.close().syncUninterruptibly());
    }

    @Test
    void busyPollingLoopsServeToo() throws Exception {
        start(small().pollMode(io.quicxdp.datapath.config.PollMode.BUSY));
        Bootstrap bootstrap = echo((packet) -> { });
        XdpChannels.bindEveryLoop(bootstrap, group, new InetSocketAddress(NETTY_PORT));
        for (int source = 0; source < 8; source++) {
            assertThat(echo(fixture.net().appIpv4(), NETTY_PORT, "busy " + source)).isEqualTo("busy " + source);
        }
    }

    @Test
    void whatCannotApplySaysSo() throws Exception {
        start(small());
        Channel channel = new Bootstrap().group(group).channel(XdpDatagramChannel.class)
                .handler(new ChannelInboundHandlerAdapter()).bind(new InetSocketAddress(NETTY_PORT)).sync().channel();
        XdpDatagramChannel xdp = (XdpDatagramChannel) channel;
        assertThatExceptionOfType(UnsupportedOperationException.class)
                .isThrownBy(() -> xdp.config().setReceiveBufferSize(1 << 20))
                .withMessageContaining("rxRingSize");
        assertThat(xdp.config().setOption(io.netty.handler.codec.quic.QuicChannelOption.SEGMENTED_DATAGRAM_PACKET_ALLOCATOR,
                XdpQuic.segmentedAllocator())).as("the QUIC codec's option, which servers set everywhere, is taken")
                .isTrue();
        assertThat(xdp.joinGroup(InetAddress.getByName("239.1.1.1")).await().cause())
                .isInstanceOf(UnsupportedOperationException.class).hasMessageContaining("no multicast");
        assertThat(channel.writeAndFlush("text").await().cause()).isInstanceOf(UnsupportedOperationException.class)
                .hasMessageContaining("expected DatagramPacket");
        channel.close().sync();
    }

    /** A bootstrap whose pipeline sends each packet back to its sender, after {@code seen} looked at it. */
    private static Bootstrap echo(java.util.function.Consumer<DatagramPacket> seen) {
        return new Bootstrap().handler(new ChannelInitializer<Channel>() {
            @Override
            protected void initChannel(Channel channel) {
                channel.pipeline().addLast(new SimpleChannelInboundHandler<DatagramPacket>(false) {
                    @Override
                    protected void channelRead0(ChannelHandlerContext ctx, DatagramPacket packet) {
                        seen.accept(packet);
                        ctx.write(new DatagramPacket(packet.content(), packet.sender()));
                    }

                    @Override
                    public void channelReadComplete(ChannelHandlerContext ctx) {
                        ctx.flush();
                    }
                });
            }
        });
    }

    private String echo(InetAddress target, int port, String text) throws Exception {
        return fixture.net().inPeer(() -> {
            try (DatagramChannel channel = DatagramChannel.open()) {
                channel.socket().setSoTimeout(5000);
                channel.send(ascii(text), new InetSocketAddress(target, port));
                java.net.DatagramPacket in = new java.net.DatagramPacket(new byte[256], 256);
                channel.socket().receive(in);
                return new String(in.getData(), 0, in.getLength(), StandardCharsets.US_ASCII);
            }
        });
    }

    /**
     * Sends {@code rounds} bursts of {@code burst} datagrams from {@code sender}, each after the previous one
     * was handled: one sender, since a peer met for the first time costs its address and route once.
     */
    private int sendInRounds(DatagramChannel sender, AtomicInteger handled, int rounds, int burst) throws Exception {
        int start = handled.get();
        for (int round = 1; round <= rounds; round++) {
            fixture.net().inPeer(() -> {
                for (int i = 0; i < burst; i++) {
                    sender.send(ascii("datagram " + i), new InetSocketAddress(fixture.net().appIpv4(), NETTY_PORT));
                }
                return null;
            });
            int expected = start + round * burst;
            Await.until(() -> handled.get() >= expected, "round " + round);
        }
        return handled.get() - start;
    }

    private static ByteBuffer ascii(String text) {
        return ByteBuffer.wrap(text.getBytes(StandardCharsets.US_ASCII));
    }
}
