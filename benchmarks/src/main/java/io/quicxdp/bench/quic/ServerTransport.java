package io.quicxdp.bench.quic;

import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.channel.FixedRecvByteBufAllocator;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollChannelOption;
import io.netty.channel.epoll.EpollDatagramChannel;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioDatagramChannel;
import io.netty.handler.codec.quic.EpollQuicUtils;
import io.netty.handler.codec.quic.QuicChannelOption;
import io.netty.handler.codec.quic.QuicServerCodecBuilder;
import io.netty.handler.codec.quic.SegmentedDatagramPacketAllocator;
import io.netty.util.concurrent.DefaultThreadFactory;
import io.quicxdp.datapath.XdpDatapath;
import io.quicxdp.datapath.config.DatapathSettings;
import io.quicxdp.datapath.config.XdpMapConfig;
import io.quicxdp.netty.XdpChannels;
import io.quicxdp.netty.XdpIoHandlerFactory;
import io.quicxdp.netty.XdpQuic;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;

/**
 * One event loop and the datagram channel(s) the QUIC codec runs on, by transport:
 * <ul>
 * <li>{@code xdp}: the quic-xdp datapath in map mode on queue 0 of the interface, without poll threads, its
 * queue driven by one {@link XdpIoHandlerFactory} loop, one {@code XdpDatagramChannel} on the port; the
 * datapath serves IPv4 and IPv6 on it; the codec writes its datagrams into the queue's TX frames
 * ({@link XdpQuic#txFrameAllocator()}) and hands them to the channel in batches;</li>
 * <li>{@code epoll}: one dual-stack {@link EpollDatagramChannel} on the wildcard address, reading with
 * recvmmsg and UDP GRO, the codec writing with UDP GSO;</li>
 * <li>{@code nio}: one dual-stack {@link NioDatagramChannel} on the wildcard address.</li>
 * </ul>
 * Closing closes the channels, then the loop, then the datapath, so that its XSKMAP slot is emptied.
 */
final class ServerTransport implements AutoCloseable {

    /** Socket buffers for the kernel transports, as large as net.core.[rw]mem_max allows (it caps them). */
    static final int SOCKET_BUFFER = 4 << 20;

    /**
     * A receive slot of recvmmsg: with UDP GRO the kernel hands over up to 64 KiB of coalesced datagrams in
     * one, and what does not fit a slot is cut off.
     */
    static final int GRO_SLOT = 65535;

    static final int SLOTS_PER_READ = 8;

    /** Datagrams the codec hands to one sendmsg with UDP_SEGMENT (GSO), as Netty's own QUIC tests do. */
    static final int GSO_SEGMENTS = 10;

    /**
     * UMEM frames of the XDP server, half to receive and half to send: 4096 frames waiting to be read hold
     * about what the kernel transports' 4 MiB socket buffers hold of small QUIC packets (ACKs, requests).
     */
    static final int XDP_FRAMES = 8192;

    /** The largest datagram NIO reads: QUIC datagrams stay below 1500 bytes here. */
    private static final int NIO_DATAGRAM = 2048;

    private final MultiThreadIoEventLoopGroup loop;

    private final List<Channel> channels;

    private final XdpDatapath datapath;

    private ServerTransport(MultiThreadIoEventLoopGroup loop, List<Channel> channels, XdpDatapath datapath) {
        this.loop = loop;
        this.channels = channels;
        this.datapath = datapath;
    }

    /**
     * Binds the port on {@code options}' transport with the codec that {@code codec} makes from a QUIC server
     * codec builder's final touches (the transport's own options, such as GSO), one codec per channel.
     *
     * @param codec makes a new codec, given what the transport adds to the builder
     */
    static ServerTransport open(ServerOptions options, CodecFactory codec) throws Exception {
        return switch (options.transport()) {
            case "xdp" -> xdp(options, codec);
            case "epoll" -> epoll(options, codec);
            case "nio" -> nio(options, codec);
            default -> throw new IllegalArgumentException("unknown transport " + options.transport());
        };
    }

    /** Builds a codec; the transport's touches are applied to the builder before it is built. */
    @FunctionalInterface
    interface CodecFactory {

        ChannelHandler newCodec(UnaryOperator<QuicServerCodecBuilder> transportOptions);
    }

    private static ServerTransport xdp(ServerOptions options, CodecFactory codec) throws Exception {
        // the project's defaults (those of quic.xdp.*), with the queue polled by the event loop as in production
        XdpDatapath datapath = XdpDatapath.open(
                List.of(new XdpMapConfig(options.interfaceName(), options.pin(), List.of(0))),
                DatapathSettings.builder().pollThreads(false)
                        .frameCount(XDP_FRAMES).fillRingSize(XDP_FRAMES).rxRingSize(XDP_FRAMES / 2)
                        .txRingSize(XDP_FRAMES / 2).completionRingSize(XDP_FRAMES / 2).txPath(options.txPath()).build());
        MultiThreadIoEventLoopGroup loop = null;
        try {
            XdpIoHandlerFactory factory = XdpIoHandlerFactory.of(datapath);
            loop = factory.newGroup(new DefaultThreadFactory("quic-server-xdp"));
            // the codec writes its datagrams into TX frames, and hands them over in batches
            List<Channel> channels = XdpChannels.bindEveryLoop(new Bootstrap().handler(codec.newCodec(b -> b
                    .option(QuicChannelOption.SEGMENTED_DATAGRAM_PACKET_ALLOCATOR, XdpQuic.segmentedAllocator())
                    .option(ChannelOption.ALLOCATOR, XdpQuic.txFrameAllocator()))), loop,
                    new InetSocketAddress(options.port()));
            System.err.println("quic-server: xdp on " + options.interfaceName() + " queue 0, " + datapath.settings());
            return new ServerTransport(loop, channels, datapath);
        }
        catch (Exception | Error ex) {
            if (loop != null) {
                loop.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
            }
            datapath.close();
            throw ex;
        }
    }

    private static ServerTransport epoll(ServerOptions options, CodecFactory codec) throws Exception {
        Epoll.ensureAvailability();
        SegmentedDatagramPacketAllocator gso = EpollQuicUtils.newSegmentedAllocator(GSO_SEGMENTS);
        if (gso == SegmentedDatagramPacketAllocator.NONE) {
            throw new IllegalStateException("this kernel has no UDP_SEGMENT (GSO): the epoll server would run "
                    + "without it; run on Linux 4.18 or later");
        }
        MultiThreadIoEventLoopGroup loop = new MultiThreadIoEventLoopGroup(1,
                new DefaultThreadFactory("quic-server-epoll"), EpollIoHandler.newFactory());
        try {
            Channel channel = new Bootstrap().group(loop)
                    .channel(EpollDatagramChannel.class)
                    .option(EpollChannelOption.UDP_GRO, true)
                    .option(EpollChannelOption.MAX_DATAGRAM_PAYLOAD_SIZE, GRO_SLOT)
                    .option(ChannelOption.RCVBUF_ALLOCATOR, new FixedRecvByteBufAllocator(GRO_SLOT * SLOTS_PER_READ))
                    .option(ChannelOption.SO_RCVBUF, SOCKET_BUFFER)
                    .option(ChannelOption.SO_SNDBUF, SOCKET_BUFFER)
                    .handler(codec.newCodec(b -> b.option(QuicChannelOption.SEGMENTED_DATAGRAM_PACKET_ALLOCATOR, gso)))
                    .bind(options.port()).sync().channel();
            if (!Boolean.TRUE.equals(channel.config().getOption(EpollChannelOption.UDP_GRO))) {
                channel.close().sync();
                throw new IllegalStateException("the socket refused UDP_GRO; run on Linux 5.0 or later");
            }
            System.err.println("quic-server: epoll, GRO on, GSO of " + GSO_SEGMENTS + " datagrams, on "
                    + channel.localAddress());
            return new ServerTransport(loop, List.of(channel), null);
        }
        catch (Exception | Error ex) {
            loop.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
            throw ex;
        }
    }

    private static ServerTransport nio(ServerOptions options, CodecFactory codec) throws Exception {
        MultiThreadIoEventLoopGroup loop = new MultiThreadIoEventLoopGroup(1,
                new DefaultThreadFactory("quic-server-nio"), NioIoHandler.newFactory());
        try {
            Channel channel = new Bootstrap().group(loop)
                    .channel(NioDatagramChannel.class)
                    .option(ChannelOption.RCVBUF_ALLOCATOR, new FixedRecvByteBufAllocator(NIO_DATAGRAM))
                    .option(ChannelOption.SO_RCVBUF, SOCKET_BUFFER)
                    .option(ChannelOption.SO_SNDBUF, SOCKET_BUFFER)
                    .handler(codec.newCodec(b -> b))
                    .bind(options.port()).sync().channel();
            System.err.println("quic-server: nio on " + channel.localAddress());
            return new ServerTransport(loop, List.of(channel), null);
        }
        catch (Exception | Error ex) {
            loop.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
            throw ex;
        }
    }

    /** The datapath's sockets now, for the log; empty for the kernel transports. */
    String state() {
        return datapath == null ? "" : datapath.state().sockets().toString();
    }

    /** The event loop serving the port (there is one). */
    EventLoop loop() {
        return loop.next();
    }

    /** The datapath's socket counters as {@code xdp.*} ({@link RecordCounters}); none for the kernel transports. */
    Map<String, Long> counters() {
        return datapath == null ? Map.of() : RecordCounters.sum("xdp.", datapath.state().sockets());
    }

    @Override
    public void close() throws InterruptedException {
        // before the loop: a loop shut down without a quiet period may end before it closes its channels, and then
        // the QUIC codec's native state is never torn down
        for (Channel channel : channels) {
            channel.close().sync();
        }
        loop.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
        if (datapath != null) {
            datapath.close();
        }
    }
}
