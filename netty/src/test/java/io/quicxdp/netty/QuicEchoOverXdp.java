package io.quicxdp.netty;

import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOption;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.channel.socket.ChannelInputShutdownReadComplete;
import io.netty.channel.socket.nio.NioDatagramChannel;
import io.netty.handler.codec.quic.InsecureQuicTokenHandler;
import io.netty.handler.codec.quic.QuicChannel;
import io.netty.handler.codec.quic.QuicClientCodecBuilder;
import io.netty.handler.codec.quic.QuicCodecBuilder;
import io.netty.handler.codec.quic.QuicServerCodecBuilder;
import io.netty.handler.codec.quic.QuicSslContext;
import io.netty.handler.codec.quic.QuicSslContextBuilder;
import io.netty.handler.codec.quic.QuicStreamChannel;
import io.netty.handler.codec.quic.QuicStreamType;
import io.netty.handler.ssl.util.InsecureTrustManagerFactory;
import io.netty.pkitesting.CertificateBuilder;
import io.netty.pkitesting.X509Bundle;
import io.netty.util.concurrent.DefaultThreadFactory;
import io.netty.util.concurrent.Promise;
import io.quicxdp.datapath.XdpDatapath;
import io.quicxdp.datapath.config.DatapathSettings;
import io.quicxdp.datapath.internal.linux.Namespaces;
import io.quicxdp.datapath.state.SocketState;
import io.quicxdp.datapath.testing.VethNamespace;
import io.quicxdp.datapath.testing.XskMapFixture;
import io.quicxdp.netty.quic.QuicLbConnectionIds;
import io.quicxdp.netty.quic.XdpQuicDispatcher;
import io.quicxdp.netty.quic.XdpQuicRouting;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.DatagramPacket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.channels.DatagramChannel;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * For the hostile-input tests: Netty's QUIC server codec echoing streams on the XDP transport of a fixture's
 * app end, one loop, behind an {@link XdpQuicDispatcher} (server ID {@link #SERVER_ID}), and Netty's QUIC client
 * over ordinary sockets in the peer namespace. {@link #close()} closes
 * the channels before the loops, as docs/netty.md asks, then the datapath.
 */
final class QuicEchoOverXdp implements AutoCloseable {

    static final String ALPN = "quic-xdp-echo";

    static final byte[] SERVER_ID = {0x5e, 0x17};

    private final XskMapFixture fixture;

    private final XdpDatapath datapath;

    private final MultiThreadIoEventLoopGroup serverLoops;

    private final List<Channel> serverChannels;

    private final MultiThreadIoEventLoopGroup clientLoops;

    private final QuicSslContext clientTls;

    private final XdpQuicRouting routing;

    private QuicEchoOverXdp(XskMapFixture fixture, XdpDatapath datapath, MultiThreadIoEventLoopGroup serverLoops,
            XdpQuicRouting routing, List<Channel> serverChannels, MultiThreadIoEventLoopGroup clientLoops) {
        this.fixture = fixture;
        this.routing = routing;
        this.datapath = datapath;
        this.serverLoops = serverLoops;
        this.serverChannels = serverChannels;
        this.clientLoops = clientLoops;
        // what is tested is hostile input, not certificate paths: the client trusts any certificate
        this.clientTls = QuicSslContextBuilder.forClient().trustManager(InsecureTrustManagerFactory.INSTANCE)
                .applicationProtocols(ALPN).build();
    }

    /** Serves QUIC echo on {@code port} of the fixture's app end; the fixture stays the caller's. */
    static QuicEchoOverXdp start(XskMapFixture fixture, int port) throws Exception {
        XdpDatapath datapath = XdpDatapath.open(List.of(fixture.config()), DatapathSettings.builder().frameCount(1024)
                .neighbourTimeout(Duration.ofSeconds(10)).pollThreads(false).build());
        MultiThreadIoEventLoopGroup serverLoops = null;
        MultiThreadIoEventLoopGroup clientLoops = null;
        try {
            serverLoops = XdpIoHandlerFactory.of(datapath).newGroup(new DefaultThreadFactory("xdp-hostile-"
                    + fixture.net().id()));
            X509Bundle certificate = new CertificateBuilder().subject("CN=quic-xdp test")
                    .setIsCertificateAuthority(true).buildSelfSigned();
            QuicSslContext serverTls = QuicSslContextBuilder.forServer(certificate.getKeyPair().getPrivate(), null,
                    certificate.getCertificate()).applicationProtocols(ALPN).build();
            XdpQuicRouting routing = XdpQuicRouting.create(QuicLbConnectionIds.builder().serverId(SERVER_ID).build(),
                    serverLoops);
            XdpQuicDispatcher dispatcher = routing.dispatcher((channel, idLength, ids) -> channel.pipeline().addLast(
                    limits(new QuicServerCodecBuilder()).sslContext(serverTls).localConnectionIdLength(idLength)
                            .connectionIdAddressGenerator(ids).tokenHandler(InsecureQuicTokenHandler.INSTANCE)
                            .handler(new Connection())
                            // a stream echoes after the peer finished its side, so it must stay open half-closed
                            .streamOption(ChannelOption.ALLOW_HALF_CLOSURE, true).streamHandler(new EchoStream())
                            .build()));
            List<Channel> channels = XdpChannels.bindEveryLoop(new Bootstrap().handler(dispatcher), serverLoops,
                    new InetSocketAddress(port));
            clientLoops = new MultiThreadIoEventLoopGroup(1, inPeerNamespace(fixture.net()), NioIoHandler.newFactory());
            return new QuicEchoOverXdp(fixture, datapath, serverLoops, routing, channels, clientLoops);
        }
        catch (Exception | Error ex) {
            if (clientLoops != null) {
                clientLoops.shutdownGracefully(0, 5, TimeUnit.SECONDS).sync();
            }
            if (serverLoops != null) {
                serverLoops.shutdownGracefully(0, 5, TimeUnit.SECONDS).sync();
            }
            datapath.close();
            throw ex;
        }
    }

    /** The routing in front of the codec: its connection IDs and counters. */
    XdpQuicRouting routing() {
        return routing;
    }

    /** The one socket's state: the fixture has one queue per end. */
    SocketState socket() {
        return datapath.sockets(fixture.appInterface()).get(0);
    }

    /** Connects a client from {@code local} in the peer namespace, waiting at most 10 seconds. */
    QuicChannel connect(InetSocketAddress local, InetSocketAddress server) throws Exception {
        // a socket belongs to the namespace of the thread that creates it
        Channel datagrams = fixture.net().inPeer(() -> new Bootstrap().group(clientLoops)
                .channel(NioDatagramChannel.class).handler(limits(new QuicClientCodecBuilder()).sslContext(clientTls)
                        .build())
                .bind(local).sync().channel());
        try {
            return QuicChannel.newBootstrap(datagrams).handler(new ChannelInboundHandlerAdapter())
                    .streamHandler(new ChannelInboundHandlerAdapter()).remoteAddress(server).connect()
                    .get(10, TimeUnit.SECONDS);
        }
        catch (Exception | Error ex) {
            datagrams.close().sync();
            throw ex;
        }
    }

    /**
     * A real client's first datagram, its Initial: the client at {@code local} in the peer namespace connects to a
     * plain socket there, which keeps what arrives first and answers nothing.
     */
    byte[] clientInitial(InetAddress local) throws Exception {
        DatagramChannel sink = fixture.net().inPeer(() -> {
            DatagramChannel channel = DatagramChannel.open();
            channel.bind(new InetSocketAddress(local, 0));
            channel.socket().setSoTimeout(10_000);
            return channel;
        });
        try (sink) {
            Channel datagrams = fixture.net().inPeer(() -> new Bootstrap().group(clientLoops)
                    .channel(NioDatagramChannel.class).handler(limits(new QuicClientCodecBuilder())
                            .sslContext(clientTls).build())
                    .bind(new InetSocketAddress(local, 0)).sync().channel());
            try {
                QuicChannel.newBootstrap(datagrams).handler(new ChannelInboundHandlerAdapter())
                        .streamHandler(new ChannelInboundHandlerAdapter())
                        .remoteAddress(sink.getLocalAddress()).connect();
                return fixture.net().inPeer(() -> {
                    DatagramPacket packet = new DatagramPacket(new byte[65536], 65536);
                    sink.socket().receive(packet);
                    byte[] initial = new byte[packet.getLength()];
                    System.arraycopy(packet.getData(), 0, initial, 0, initial.length);
                    return initial;
                });
            }
            finally {
                datagrams.close().sync();
            }
        }
    }

    /**
     * Opens a stream, sends {@code payload} and finishes its side; returns what came back once as many bytes as
     * were sent did, waiting at most 10 seconds.
     */
    static byte[] echo(QuicChannel connection, byte[] payload) throws Exception {
        return startEcho(connection, payload).get(10, TimeUnit.SECONDS);
    }

    /**
     * Opens a stream, sends {@code payload} and finishes its side; the promise completes with as many bytes as
     * were sent, once they came back, or fails when the stream fails or closes before.
     */
    static Promise<byte[]> startEcho(QuicChannel connection, byte[] payload) throws Exception {
        Promise<byte[]> back = connection.eventLoop().newPromise();
        ByteArrayOutputStream received = new ByteArrayOutputStream();
        QuicStreamChannel stream = connection.newStreamBootstrap().type(QuicStreamType.BIDIRECTIONAL)
                .option(ChannelOption.ALLOW_HALF_CLOSURE, true).handler(new ChannelInboundHandlerAdapter() {
                    @Override
                    public void channelRead(ChannelHandlerContext ctx, Object msg) {
                        ByteBuf data = (ByteBuf) msg;
                        try {
                            data.readBytes(received, data.readableBytes());
                            if (received.size() >= payload.length) {
                                back.trySuccess(received.toByteArray());
                                ctx.close();
                            }
                        }
                        catch (IOException ex) {
                            back.tryFailure(ex);
                        }
                        finally {
                            data.release();
                        }
                    }

                    @Override
                    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
                        back.tryFailure(cause);
                    }

                    @Override
                    public void channelInactive(ChannelHandlerContext ctx) {
                        back.tryFailure(new IllegalStateException("stream closed after " + received.size() + " bytes"));
                    }
                }).create().get(10, TimeUnit.SECONDS);
        stream.writeAndFlush(Unpooled.wrappedBuffer(payload)).addListener(QuicStreamChannel.SHUTDOWN_OUTPUT);
        return back;
    }

    @Override
    public void close() throws Exception {
        clientLoops.shutdownGracefully(0, 5, TimeUnit.SECONDS).sync();
        for (Channel channel : serverChannels) {
            channel.close().sync();
        }
        serverLoops.shutdownGracefully(0, 5, TimeUnit.SECONDS).sync();
        datapath.close();
    }

    private static <B extends QuicCodecBuilder<B>> B limits(B builder) {
        return builder.maxIdleTimeout(5, TimeUnit.SECONDS).initialMaxData(1 << 20)
                .initialMaxStreamDataBidirectionalLocal(1 << 20).initialMaxStreamDataBidirectionalRemote(1 << 20)
                .initialMaxStreamsBidirectional(16);
    }

    /** Event loop threads in the peer's network namespace, like the client's sockets. */
    private static DefaultThreadFactory inPeerNamespace(VethNamespace net) {
        String namespace = "/var/run/netns/" + net.namespace();
        return new DefaultThreadFactory("quic-client-" + net.id()) {
            @Override
            protected Thread newThread(Runnable task, String name) {
                return super.newThread(() -> {
                    try {
                        Namespaces.enterNetworkNamespace(namespace);
                    }
                    catch (IOException ex) {
                        throw new UncheckedIOException(ex);
                    }
                    task.run();
                }, name);
            }
        };
    }

    /** Each connection's handler: the codec adds the one instance to every connection's pipeline. */
    @ChannelHandler.Sharable
    private static final class Connection extends ChannelInboundHandlerAdapter {
    }

    /** Echoes each stream until the peer finishes its side, then finishes its own. */
    @ChannelHandler.Sharable
    static final class EchoStream extends ChannelInboundHandlerAdapter {

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            ctx.write(msg);
        }

        @Override
        public void channelReadComplete(ChannelHandlerContext ctx) {
            ctx.flush();
        }

        @Override
        public void userEventTriggered(ChannelHandlerContext ctx, Object event) {
            QuicStreamChannel stream = (QuicStreamChannel) ctx.channel();
            boolean finished = event instanceof ChannelInputShutdownEvent
                    || event == ChannelInputShutdownReadComplete.INSTANCE;
            if (finished && !stream.isOutputShutdown()) {
                ctx.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(QuicStreamChannel.SHUTDOWN_OUTPUT);
            }
        }
    }
}
