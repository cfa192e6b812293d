package io.quicxdp.sample;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.channel.socket.ChannelInputShutdownReadComplete;
import io.netty.handler.codec.quic.Quic;
import io.netty.handler.codec.quic.QuicChannelOption;
import io.netty.handler.codec.quic.QuicConnectionIdGenerator;
import io.netty.handler.codec.quic.QuicServerCodecBuilder;
import io.netty.handler.codec.quic.QuicSslContext;
import io.netty.handler.codec.quic.QuicStreamChannel;
import io.quicxdp.autoconfigure.netty.XdpChannelBinder;
import io.quicxdp.datapath.XdpDatapath;
import io.quicxdp.datapath.state.MapState;
import io.quicxdp.netty.XdpQuic;
import io.quicxdp.netty.quic.XdpQuicInitializer;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import org.jspecify.annotations.Nullable;
import org.springframework.context.SmartLifecycle;

/**
 * The QUIC echo: Netty's QUIC codec on the XDP transport, ALPN {@value #ALPN}, on {@code sample.quic.port} of
 * every address. Each bidirectional stream a peer opens is echoed until the peer finishes its side, then
 * finished in turn.
 *
 * <p>It binds one channel per event loop of {@code xdpEventLoopGroup} with {@link XdpChannelBinder#bindQuic}:
 * each channel has its own codec, the connection ids carry the server id ({@code quic.xdp.quic.*}) and the loop,
 * and a connection's packets that arrive on another queue are handed to its loop. Everything runs on the loops.
 * Starts after the datapath and its loops, and stops before them (the default phase).
 */
class QuicEchoService implements SmartLifecycle {

    /** The application protocol a client must offer. */
    static final String ALPN = "quic-xdp-echo";

    private static final Log logger = LogFactory.getLog(QuicEchoService.class);

    private final XdpDatapath datapath;

    private final @Nullable XdpChannelBinder binder;

    private final SampleProperties.Quic properties;

    private final QuicEchoCertificate certificate;

    private final LongAdder connections = new LongAdder();

    private final LongAdder streams = new LongAdder();

    private final LongAdder echoedBytes = new LongAdder();

    private volatile @Nullable List<Channel> channels;

    /**
     * Creates the echo, which binds when it starts. Without a {@code binder} (quic.xdp.netty.enabled=false) or
     * without Netty's native QUIC library for this platform it serves nothing, and says so.
     */
    QuicEchoService(XdpDatapath datapath, @Nullable XdpChannelBinder binder, SampleProperties.Quic properties,
            QuicEchoCertificate certificate) {
        this.datapath = datapath;
        this.binder = binder;
        this.properties = properties;
        this.certificate = certificate;
    }

    /** Connections whose handshake completed. */
    long connections() {
        return this.connections.sum();
    }

    /** Bidirectional streams that peers opened. */
    long streams() {
        return this.streams.sum();
    }

    /** Stream bytes read and written back. */
    long echoedBytes() {
        return this.echoedBytes.sum();
    }

    /** The port, {@code sample.quic.port}. */
    int port() {
        return this.properties.getPort();
    }

    @Override
    public synchronized void start() {
        if (this.channels != null) {
            return;
        }
        XdpChannelBinder channelBinder = this.binder;
        if (channelBinder == null) {
            logger.warn("No QUIC echo on port " + port() + ": it runs on the Netty transport, which "
                    + "quic.xdp.netty.enabled=false switches off");
            return;
        }
        if (!Quic.isAvailable()) {
            // the sample ships Netty's native QUIC library for linux-x86_64 only: the UDP echo still serves
            logger.warn("No QUIC echo on port " + port() + ": Netty's native QUIC library is not available here ("
                    + Quic.unavailabilityCause() + ")");
            return;
        }
        logger.info("QUIC echo certificate: " + this.certificate.description());
        List<Channel> bound;
        try {
            bound = channelBinder.bindQuic(port(), new Codec(this.certificate.sslContext(),
                    channelBinder.quicRouting().connectionHandler(new Connection())));
        }
        catch (IllegalStateException ex) {
            throw new EchoPortUnavailableException("QUIC echo", "sample.quic.port", port(), ex);
        }
        catch (Exception ex) {
            throw new IllegalStateException("Binding the QUIC echo on UDP port " + port() + " failed: " + ex, ex);
        }
        this.channels = bound;
        for (MapState map : this.datapath.state().maps()) {
            logger.info("QUIC echo (ALPN " + ALPN + ") on UDP port " + port() + " (IPv4 and IPv6) on "
                    + map.interfaceName() + " queues " + map.keysHeld() + ", one channel on each of the "
                    + bound.size() + " event loops");
        }
    }

    @Override
    public synchronized void stop() {
        List<Channel> bound = this.channels;
        if (bound != null) {
            bound.forEach((channel) -> channel.close().syncUninterruptibly());
            this.channels = null;
            logger.info("QUIC echo on port " + port() + " stopped after " + connections() + " connections, "
                    + streams() + " streams, " + echoedBytes() + " bytes echoed");
        }
    }

    @Override
    public boolean isRunning() {
        return this.channels != null;
    }

    /** Gives every channel of the binder its own QUIC server codec. */
    private final class Codec implements XdpQuicInitializer {

        private final QuicSslContext tls;

        private final ChannelHandler connection;

        private final ChannelHandler streams = new Streams();

        /** {@code connection} counts the handshakes, behind the routing's migration counter. */
        Codec(QuicSslContext tls, ChannelHandler connection) {
            this.tls = tls;
            this.connection = connection;
        }

        @Override
        public void initChannel(Channel channel, int localConnectionIdLength, QuicConnectionIdGenerator ids) {
            // no token handler: no Retry round trip; the anti-amplification limit still bounds unvalidated peers
            channel.pipeline()
                .addLast(new QuicServerCodecBuilder().sslContext(this.tls)
                    .localConnectionIdLength(localConnectionIdLength)
                    .connectionIdAddressGenerator(ids)
                    .maxIdleTimeout(30, TimeUnit.SECONDS)
                    .initialMaxData(16 << 20)
                    .initialMaxStreamDataBidirectionalRemote(1 << 20)
                    .initialMaxStreamsBidirectional(100)
                    // the datagrams of one turn go to the XDP channel as batches
                    .option(QuicChannelOption.SEGMENTED_DATAGRAM_PACKET_ALLOCATOR, XdpQuic.segmentedAllocator())
                    // written by quiche straight into TX frames, and sent from there
                    .option(ChannelOption.ALLOCATOR, XdpQuic.txFrameAllocator())
                    .handler(this.connection)
                    // a stream echoes after the peer finished its side, so it must stay open half-closed
                    .streamOption(ChannelOption.ALLOW_HALF_CLOSURE, true)
                    .streamHandler(this.streams)
                    .build());
        }
    }

    /** Counts the connections whose handshake completed. */
    @ChannelHandler.Sharable
    private final class Connection extends ChannelInboundHandlerAdapter {

        @Override
        public void channelActive(ChannelHandlerContext ctx) {
            QuicEchoService.this.connections.increment();
            ctx.fireChannelActive();
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            logger.debug("QUIC echo connection " + ctx.channel().remoteAddress() + " failed", cause);
            ctx.close();
        }
    }

    /** Counts the streams that peers open, and gives each its echo. */
    @ChannelHandler.Sharable
    private final class Streams extends ChannelInitializer<QuicStreamChannel> {

        @Override
        protected void initChannel(QuicStreamChannel stream) {
            QuicEchoService.this.streams.increment();
            stream.pipeline().addLast(new EchoStream());
        }
    }

    /**
     * Writes back what a stream reads, and finishes the stream once the peer has finished its side. Reading
     * pauses while the stream is not writable (the peer's flow-control window is used up), so that a peer
     * that sends without reading is held back by this side's window instead of filling the heap.
     */
    private final class EchoStream extends ChannelInboundHandlerAdapter {

        private boolean finished;

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            QuicEchoService.this.echoedBytes.add(((ByteBuf) msg).readableBytes());
            ctx.write(msg);
        }

        @Override
        public void channelReadComplete(ChannelHandlerContext ctx) {
            ctx.flush();
            if (!ctx.channel().isWritable()) {
                ctx.channel().config().setAutoRead(false);
            }
        }

        @Override
        public void channelWritabilityChanged(ChannelHandlerContext ctx) {
            if (ctx.channel().isWritable()) {
                ctx.channel().config().setAutoRead(true);
            }
            ctx.fireChannelWritabilityChanged();
        }

        @Override
        public void userEventTriggered(ChannelHandlerContext ctx, Object event) {
            // Netty's QUIC fires either or both when the peer's FIN arrives: finish once
            if (!this.finished && (event instanceof ChannelInputShutdownEvent
                    || event == ChannelInputShutdownReadComplete.INSTANCE)) {
                this.finished = true;
                ctx.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(QuicStreamChannel.SHUTDOWN_OUTPUT);
            }
            ctx.fireUserEventTriggered(event);
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            logger.debug("QUIC echo stream " + ctx.channel() + " failed", cause);
            ctx.close();
        }
    }
}
