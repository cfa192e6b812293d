package io.quicxdp.autoconfigure.http3;

import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufHolder;
import io.netty.channel.Channel;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelPromise;
import io.netty.channel.EventLoopGroup;
import io.netty.handler.codec.http3.Http3;
import io.netty.handler.codec.quic.QuicServerCodecBuilder;
import io.netty.handler.codec.quic.QuicTokenHandler;
import io.netty.util.concurrent.EventExecutor;
import io.quicxdp.autoconfigure.netty.QuicLimitsState;
import io.quicxdp.netty.XdpChannels;
import io.quicxdp.netty.quic.QuicConnectionLimit;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Supplier;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import org.jspecify.annotations.Nullable;
import org.springframework.context.SmartLifecycle;
import org.springframework.http.server.reactive.HttpHandler;

/**
 * The application's reactive {@link HttpHandler} over HTTP/3 on the XDP transport: on each event loop, one
 * datagram channel on the UDP port with Netty's QUIC codec and HTTP/3 codec, and the handler on every request
 * stream ({@link Http3RequestStream}). Every queue serves the port, and a request stays on the loop of the queue
 * that received it. {@link XdpHttp3Quic} says how the codecs are built.
 *
 * <p>Starts with the TCP web server (after the datapath and its event loops) and stops before the loops shut
 * down and the datapath closes. Stopping is graceful: each connection gets an HTTP/3 GOAWAY, so its client opens
 * no new request on it; requests in flight finish, for up to the shutdown timeout; then the connections close with
 * H3_NO_ERROR and the channels let go of the port.
 */
public class XdpHttp3Server implements SmartLifecycle, XdpHttp3Status {

    /** The web server's phase: starts after the datapath's, stops before it. */
    static final int PHASE = SmartLifecycle.DEFAULT_PHASE - 2048;

    /** The name of the handler that sheds Initials in front of the codec ({@link QuicConnectionLimit}). */
    static final String SHEDDER = "quicXdp.http3.initialShedder";

    /** The name of the anti-amplification guard right in front of the codec ({@link QuicConnectionLimit}). */
    static final String GUARD = "quicXdp.http3.amplificationGuard";

    private static final Log logger = LogFactory.getLog(XdpHttp3Server.class);

    private final EventLoopGroup loops;

    private final Supplier<HttpHandler> handler;

    private final int port;

    private final XdpHttp3Settings settings;

    private final XdpHttp3Quic quic;

    private final List<Channel> channels = new ArrayList<>();

    private @Nullable Http3RequestStreams streams;

    private @Nullable Http3Connections connections;

    private final QuicConnectionLimit limit;

    private final LongAdder bytesReceived = new LongAdder();

    private final LongAdder bytesSent = new LongAdder();

    private final LongAdder retries = new LongAdder();

    /** Shared by every loop's channel: it keeps no state of its own. */
    private final ChannelHandler datagramBytes = new DatagramBytes();

    XdpHttp3Server(EventLoopGroup loops, Supplier<HttpHandler> handler, int port, XdpHttp3Settings settings,
            XdpHttp3Quic quic) {
        this.loops = loops;
        this.handler = handler;
        this.port = port;
        this.settings = settings;
        this.quic = quic;
        this.limit = new QuicConnectionLimit(settings.maxConnections(), settings.maxHandshakes(),
                settings.handshakeTimeout());
    }

    /** The UDP port served. */
    public int port() {
        return this.port;
    }

    @Override
    public synchronized void start() {
        if (!this.channels.isEmpty()) {
            return;
        }
        this.streams = new Http3RequestStreams(this.handler.get());
        this.connections = new Http3Connections(this.streams, this.settings.maxFieldSectionSize());
        List<EventExecutor> order = new ArrayList<>();
        this.loops.forEach(order::add);
        QuicTokenHandler tokens = this.quic.tokenHandler();
        QuicTokenHandler counted = (tokens != null) ? new CountedTokens(tokens, this.retries) : null;
        ChannelInitializer<Channel> loopChannel = new ChannelInitializer<>() {
            @Override
            protected void initChannel(Channel channel) throws Exception {
                int loop = order.indexOf(channel.eventLoop());
                channel.pipeline()
                    .addLast(DatagramBytes.NAME, XdpHttp3Server.this.datagramBytes)
                    .addLast(SHEDDER, XdpHttp3Server.this.limit.initialShedder())
                    .addLast(XdpHttp3Quic.CODEC, codec(loop, counted));
                XdpHttp3Server.this.quic.initChannel(loop, channel);
                // after the steps, which may put a dispatcher in front of the codec: it sees what the codec reads
                channel.pipeline()
                    .addBefore(XdpHttp3Quic.CODEC, GUARD, XdpHttp3Server.this.limit.amplificationGuard());
            }
        };
        try {
            this.channels.addAll(XdpChannels.bindEveryLoop(new Bootstrap().handler(loopChannel), this.loops,
                    new InetSocketAddress(this.port)));
        }
        catch (Exception ex) {
            throw new IllegalStateException("HTTP/3 cannot serve UDP port " + this.port + ": " + ex.getMessage(), ex);
        }
        logger.info("HTTP/3 on UDP port " + this.port + " through the XDP datapath, on " + this.channels.size()
                + " event loops");
    }

    /** The QUIC codec of the loop numbered {@code loop}: the settings, then the hooks, then the server's handler. */
    private ChannelHandler codec(int loop, @Nullable QuicTokenHandler tokens) {
        QuicServerCodecBuilder codec = Http3.newQuicServerCodecBuilder()
            .maxIdleTimeout(this.settings.idleTimeout().toMillis(), TimeUnit.MILLISECONDS)
            .initialMaxData(this.settings.maxData())
            .initialMaxStreamDataBidirectionalLocal(this.settings.maxStreamData())
            .initialMaxStreamDataBidirectionalRemote(this.settings.maxStreamData())
            .initialMaxStreamsBidirectional(this.settings.maxStreams());
        this.quic.configure(codec, loop, tokens);
        // the limit admits first; an admitted connection gets the hooks' handlers, then the server's
        return codec.handler(this.limit.connectionHandler(this.quic.connectionPipeline(this.connections))).build();
    }

    @Override
    public synchronized void stop() {
        if (this.channels.isEmpty()) {
            return;
        }
        long deadline = System.nanoTime() + this.settings.shutdownTimeout().toNanos();
        this.connections.goAway();
        while (this.streams.open() > 0 && System.nanoTime() - deadline < 0) {
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(10));
        }
        int cut = this.streams.open();
        long rest = Math.max(deadline - System.nanoTime(), TimeUnit.MILLISECONDS.toNanos(100));
        this.connections.closeAll(rest);
        for (Channel channel : this.channels) {
            channel.close().awaitUninterruptibly(Math.max(rest / 1_000_000, 100));
        }
        this.channels.clear();
        logger.info("HTTP/3 on UDP port " + this.port + " stopped" + ((cut > 0) ? ", cutting " + cut
                + " requests that did not finish within " + this.settings.shutdownTimeout() : ""));
    }

    /** Requests in flight now. */
    int requestsInFlight() {
        return (this.streams != null) ? this.streams.open() : 0;
    }

    @Override
    public Http3State state() {
        Http3Connections connections = this.connections;
        Http3RequestStreams streams = this.streams;
        return new Http3State(this.port, isRunning(), (connections != null) ? connections.open() : 0,
                (connections != null) ? connections.handshakesDone() : 0,
                (connections != null) ? connections.handshakesFailed() : 0,
                (streams != null) ? streams.requests() : 0, requestsInFlight(), this.bytesReceived.sum(),
                this.bytesSent.sum(), this.retries.sum(), QuicLimitsState.of(this.limit));
    }

    @Override
    public synchronized boolean isRunning() {
        return !this.channels.isEmpty();
    }

    @Override
    public int getPhase() {
        return PHASE;
    }

    /**
     * Counts the bytes of the QUIC packets (UDP payloads) a loop's channel receives and sends, in front of the QUIC
     * codec: per datagram, with nothing on the connections or their streams.
     */
    @ChannelHandler.Sharable
    private final class DatagramBytes extends ChannelDuplexHandler {

        static final String NAME = "quicXdp.datagramBytes";

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            XdpHttp3Server.this.bytesReceived.add(size(msg));
            ctx.fireChannelRead(msg);
        }

        @Override
        public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
            XdpHttp3Server.this.bytesSent.add(size(msg));
            ctx.write(msg, promise);
        }

        private static int size(Object msg) {
            if (msg instanceof ByteBuf bytes) {
                return bytes.readableBytes();
            }
            return (msg instanceof ByteBufHolder holder) ? holder.content().readableBytes() : 0;
        }
    }

    /** A token handler whose tokens count as Retry packets sent. */
    private static final class CountedTokens implements QuicTokenHandler {

        private final QuicTokenHandler tokens;

        private final LongAdder written;

        CountedTokens(QuicTokenHandler tokens, LongAdder written) {
            this.tokens = tokens;
            this.written = written;
        }

        @Override
        public boolean writeToken(ByteBuf out, ByteBuf dcid, InetSocketAddress address) {
            boolean wrote = this.tokens.writeToken(out, dcid, address);
            if (wrote) {
                this.written.increment();
            }
            return wrote;
        }

        @Override
        public int validateToken(ByteBuf token, InetSocketAddress address) {
            return this.tokens.validateToken(token, address);
        }

        @Override
        public int maxTokenLength() {
            return this.tokens.maxTokenLength();
        }
    }
}
