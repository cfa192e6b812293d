package io.quicxdp.netty.quic;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOutboundHandlerAdapter;
import io.netty.channel.ChannelPromise;
import io.netty.channel.DefaultEventLoopGroup;
import io.netty.channel.EventLoop;
import io.netty.channel.local.LocalChannel;
import io.netty.channel.socket.DatagramPacket;
import io.netty.util.concurrent.EventExecutor;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The dispatcher's decisions, on two plain event loops and channels that carry no I/O: where each datagram is read,
 * what is released, what is counted. The kernel's part is in {@code QuicOverXdpTests}.
 */
class XdpQuicDispatcherTests {

    private static final InetSocketAddress CLIENT = new InetSocketAddress("198.18.0.2", 40000);

    private static final InetSocketAddress SERVER = new InetSocketAddress("198.18.0.1", 4434);

    private final DefaultEventLoopGroup group = new DefaultEventLoopGroup(2);

    private final List<EventExecutor> loops = new ArrayList<>();

    private final QuicLbConnectionIds ids = QuicLbConnectionIds.builder().serverId(new byte[] {0x0a, 0x01}).build();

    private final XdpQuicRouting routing = XdpQuicRouting.create(ids, group);

    /** What each loop's codec read: the datagram, the thread, and "read complete" marks. */
    private final List<BlockingQueue<Object>> read = List.of(new LinkedBlockingQueue<>(), new LinkedBlockingQueue<>());

    private final List<Channel> channels = new ArrayList<>();

    XdpQuicDispatcherTests() {
        group.forEach(loops::add);
    }

    @AfterEach
    void stop() {
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }

    /** A channel on each loop with the dispatcher, and behind it a codec that records what it reads. */
    private XdpQuicDispatcher bind() throws Exception {
        XdpQuicDispatcher dispatcher = routing.dispatcher((channel, idLength, generator) -> {
            int loop = loops.indexOf(channel.eventLoop());
            assertThat(idLength).isEqualTo(20);
            assertThat(ids.loopOf(generator.newId(20).array())).as("the generator names the loop").isEqualTo(loop);
            channel.pipeline().addLast(new Codec(read.get(loop)));
        });
        for (EventExecutor loop : loops) {
            Channel channel = new LocalChannel();
            ((EventLoop) loop).register(channel).sync();
            // on the loop, so that the dispatcher is in place when this returns, as after a bootstrap's bind
            channel.eventLoop().submit(() -> channel.pipeline().addLast(dispatcher)).sync();
            channels.add(channel);
        }
        return dispatcher;
    }

    /** Fires {@code datagram} into loop {@code loop}'s channel, on that loop, as its transport would. */
    private DatagramPacket receive(int loop, byte[] datagram) throws Exception {
        DatagramPacket packet = new DatagramPacket(Unpooled.wrappedBuffer(datagram), SERVER, CLIENT);
        Channel channel = channels.get(loop);
        channel.eventLoop().submit(() -> {
            channel.pipeline().fireChannelRead(packet);
            channel.pipeline().fireChannelReadComplete();
        }).sync();
        return packet;
    }

    @Test
    void aDatagramForTheOtherLoopsConnectionIsReadThereFollowedByReadComplete() throws Exception {
        bind();
        DatagramPacket packet = receive(0, QuicDatagramsTests.shortHeader(ids.newConnectionId(1)));
        assertThat(read.get(1).poll(5, TimeUnit.SECONDS)).isSameAs(packet);
        assertThat(read.get(1).poll(5, TimeUnit.SECONDS)).as("on its loop's thread")
                .isEqualTo(threadOf(1));
        assertThat(read.get(1).poll(5, TimeUnit.SECONDS)).isEqualTo(Codec.READ_COMPLETE);
        assertThat(read.get(0).poll(5, TimeUnit.SECONDS)).as("loop 0's own read complete")
                .isEqualTo(Codec.READ_COMPLETE);
        assertThat(read.get(0)).isEmpty();
        assertThat(routing.packetsHandedOver()).isOne();
        assertThat(packet.refCnt()).as("the codec owns it; it does not release it here").isOne();
        packet.release();
    }

    @Test
    void aDatagramForThisLoopOrWithTheClientsOwnIdStaysInPlace() throws Exception {
        bind();
        DatagramPacket own = receive(1, QuicDatagramsTests.shortHeader(ids.newConnectionId(1)));
        DatagramPacket initial = receive(1, QuicDatagramsTests.longHeader(new byte[] {1, 2, 3, 4, 5, 6, 7, 8}));
        assertThat(read.get(1).poll()).isSameAs(own);
        assertThat(read.get(1).poll()).isEqualTo(threadOf(1));
        assertThat(read.get(1).poll()).isEqualTo(Codec.READ_COMPLETE);
        assertThat(read.get(1).poll()).isSameAs(initial);
        assertThat(routing.packetsHandedOver()).isZero();
        own.release();
        initial.release();
    }

    @Test
    void laterDatagramsWithTheClientsOwnIdGoToTheLoopThatTookItsFirst() throws Exception {
        bind();
        byte[] id = {1, 2, 3, 4, 5, 6, 7, 8};
        DatagramPacket first = receive(1, QuicDatagramsTests.longHeader(id));
        DatagramPacket other = receive(0, QuicDatagramsTests.longHeader(new byte[] {8, 7, 6, 5, 4, 3, 2, 1}));
        DatagramPacket second = receive(0, QuicDatagramsTests.longHeader(id));
        DatagramPacket third = receive(1, QuicDatagramsTests.longHeader(id));
        assertThat(read.get(1).poll(5, TimeUnit.SECONDS)).isSameAs(first);
        assertThat(read.get(1).poll(5, TimeUnit.SECONDS)).isEqualTo(threadOf(1));
        assertThat(read.get(1).poll(5, TimeUnit.SECONDS)).isEqualTo(Codec.READ_COMPLETE);
        assertThat(read.get(1).poll(5, TimeUnit.SECONDS)).as("from loop 0").isSameAs(second);
        assertThat(read.get(1).poll(5, TimeUnit.SECONDS)).isEqualTo(threadOf(1));
        assertThat(read.get(1).poll(5, TimeUnit.SECONDS)).isEqualTo(Codec.READ_COMPLETE);
        assertThat(read.get(1).poll(5, TimeUnit.SECONDS)).isSameAs(third);
        assertThat(read.get(0).poll(5, TimeUnit.SECONDS)).as("another client's, first on loop 0").isSameAs(other);
        assertThat(routing.packetsHandedOver()).isOne();
        for (DatagramPacket packet : List.of(first, other, second, third)) {
            packet.release();
        }
    }

    @Test
    void aShortHeaderWithAForeignIdIsReleasedAndCounted() throws Exception {
        bind();
        QuicLbConnectionIds other = QuicLbConnectionIds.builder().serverId(new byte[] {0x0a, 0x02}).build();
        DatagramPacket packet = receive(0, QuicDatagramsTests.shortHeader(other.newConnectionId(1)));
        assertThat(packet.refCnt()).isZero();
        assertThat(routing.foreignPackets()).isOne();
        assertThat(read.get(0).poll()).isEqualTo(Codec.READ_COMPLETE);
        assertThat(read.get(0)).isEmpty();
    }

    @Test
    void withResetsAForeignShortHeaderIsAnsweredWithAStatelessResetToItsSender() throws Exception {
        byte[] token = new byte[16];
        Arrays.fill(token, (byte) 0x7e);
        XdpQuicDispatcher dispatcher = routing.dispatcher(null, StatelessResets.create((id) -> ByteBuffer.wrap(token),
                10));
        BlockingQueue<Object> written = new LinkedBlockingQueue<>();
        Channel channel = new LocalChannel();
        ((EventLoop) loops.get(0)).register(channel).sync();
        channel.eventLoop().submit(() -> channel.pipeline().addLast(new ChannelOutboundHandlerAdapter() {
            @Override
            public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
                written.add(msg);
            }
        }, dispatcher)).sync();
        channels.add(channel);
        QuicLbConnectionIds other = QuicLbConnectionIds.builder().serverId(new byte[] {0x0a, 0x02}).build();
        DatagramPacket packet = receive(0, QuicDatagramsTests.shortHeader(other.newConnectionId(1)));
        assertThat(packet.refCnt()).isZero();
        DatagramPacket reset = (DatagramPacket) written.poll(5, TimeUnit.SECONDS);
        assertThat(reset.recipient()).isEqualTo(CLIENT);
        assertThat(reset.content().readableBytes()).as("of a packet of 51 octets")
                .isEqualTo(StatelessResets.MAX_LENGTH);
        assertThat(ByteBufUtil.getBytes(reset.content(), reset.content().readableBytes() - 16, 16)).isEqualTo(token);
        assertThat(routing.foreignPackets()).isOne();
        assertThat(routing.statelessResetsSent()).isOne();
        reset.release();
        receive(0, QuicDatagramsTests.longHeader(new byte[] {1, 2, 3, 4, 5, 6, 7, 8}));
        assertThat(written).as("a long header is no stranger's: nothing to reset").isEmpty();
    }

    @Test
    void aDatagramForALoopWhoseChannelClosedIsReleasedAndCounted() throws Exception {
        bind();
        Channel closed = channels.get(1);
        closed.close().sync();
        // the pipeline comes down after the close completes, as the channel deregisters
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (closed.pipeline().get(XdpQuicDispatcher.class) != null && System.nanoTime() < deadline) {
            Thread.sleep(1);
        }
        DatagramPacket packet = receive(0, QuicDatagramsTests.shortHeader(ids.newConnectionId(1)));
        assertThat(packet.refCnt()).isZero();
        assertThat(routing.handOversDropped()).isOne();
    }

    @Test
    void beyondAFullQueueTheLoopIsHandedNothingMore() throws Exception {
        bind();
        CountDownLatch busy = new CountDownLatch(1);
        loops.get(1).execute(() -> {
            try {
                busy.await(10, TimeUnit.SECONDS);
            }
            catch (InterruptedException ex) {
                Thread.currentThread().interrupt();
            }
        });
        byte[] datagram = QuicDatagramsTests.shortHeader(ids.newConnectionId(1));
        List<DatagramPacket> packets = new ArrayList<>();
        for (int i = 0; i <= XdpQuicDispatcher.INBOX_CAPACITY; i++) {
            packets.add(receive(0, datagram));
        }
        assertThat(packets.get(XdpQuicDispatcher.INBOX_CAPACITY).refCnt()).as("the one too many").isZero();
        assertThat(routing.handOversDropped()).isOne();
        busy.countDown();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (routing.packetsHandedOver() < XdpQuicDispatcher.INBOX_CAPACITY && System.nanoTime() < deadline) {
            Thread.sleep(5);
        }
        assertThat(routing.packetsHandedOver()).isEqualTo(XdpQuicDispatcher.INBOX_CAPACITY);
        packets.stream().filter((packet) -> packet.refCnt() > 0).forEach(DatagramPacket::release);
    }

    @Test
    void aSecondChannelOnALoopIsRefused() throws Exception {
        XdpQuicDispatcher dispatcher = bind();
        Channel second = new LocalChannel();
        ((EventLoop) loops.get(0)).register(second).sync();
        List<Throwable> failures = new ArrayList<>();
        second.pipeline().addLast(new ChannelInboundHandlerAdapter() {
            @Override
            public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
                failures.add(cause);
            }
        });
        second.eventLoop().submit(() -> second.pipeline().addFirst(dispatcher)).sync();
        assertThat(failures).singleElement().satisfies((failure) -> assertThat(failure).rootCause()
                .hasMessageContaining("has a channel with this dispatcher already"));
        assertThat(second.pipeline().get(XdpQuicDispatcher.class)).as("removed again").isNull();
    }

    private Thread threadOf(int loop) throws Exception {
        return loops.get(loop).submit(Thread::currentThread).get();
    }

    /** Records what it reads, on which thread, and each read complete. */
    private static final class Codec extends ChannelInboundHandlerAdapter {

        static final String READ_COMPLETE = "read complete";

        private final BlockingQueue<Object> read;

        Codec(BlockingQueue<Object> read) {
            this.read = read;
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            read.add(msg);
            read.add(Thread.currentThread());
        }

        @Override
        public void channelReadComplete(ChannelHandlerContext ctx) {
            read.add(READ_COMPLETE);
        }
    }
}
