package io.quicxdp.bench;

import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.FixedRecvByteBufAllocator;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollChannelOption;
import io.netty.channel.epoll.EpollDatagramChannel;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.socket.DatagramPacket;

/**
 * Netty's native epoll transport: one event loop, one dual-stack {@link EpollDatagramChannel} on the
 * wildcard address, reading with recvmmsg (up to 32 datagrams of at most 2048 bytes per call); echo
 * writes each datagram back to its sender and flushes once per read batch.
 */
final class NettyEpollReceiver extends Receiver {

    private static final int MAX_DATAGRAM = 2048;

    private static final int DATAGRAMS_PER_READ = 32;

    private final int port;

    private EventLoopGroup group;

    private Channel channel;

    NettyEpollReceiver(int port) {
        this.port = port;
    }

    @Override
    void start() throws InterruptedException {
        Epoll.ensureAvailability();
        group = new MultiThreadIoEventLoopGroup(1, EpollIoHandler.newFactory());
        channel = new Bootstrap().group(group)
                .channel(EpollDatagramChannel.class)
                .option(EpollChannelOption.MAX_DATAGRAM_PAYLOAD_SIZE, MAX_DATAGRAM)
                .option(ChannelOption.RCVBUF_ALLOCATOR,
                        new FixedRecvByteBufAllocator(MAX_DATAGRAM * DATAGRAMS_PER_READ))
                .handler(new Handler())
                .bind(port)
                .sync()
                .channel();
    }

    private final class Handler extends SimpleChannelInboundHandler<DatagramPacket> {

        @Override
        protected void channelRead0(ChannelHandlerContext context, DatagramPacket packet) {
            noteThread();
            handled.increment();
            if (echo) {
                context.write(new DatagramPacket(packet.content().retain(), packet.sender()));
                echoed.increment();
            }
        }

        @Override
        public void channelReadComplete(ChannelHandlerContext context) {
            context.flush();
        }
    }

    @Override
    public void close() throws InterruptedException {
        if (channel != null) {
            channel.close().sync();
        }
        if (group != null) {
            group.shutdownGracefully(0, 1, java.util.concurrent.TimeUnit.SECONDS).sync();
        }
    }
}
