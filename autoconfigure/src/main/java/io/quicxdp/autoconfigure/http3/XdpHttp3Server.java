package io.quicxdp.autoconfigure.http3;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufHolder;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOption;
import io.netty.channel.ChannelPromise;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.IoEventLoop;
import io.netty.handler.codec.http3.DefaultHttp3GoAwayFrame;
import io.netty.handler.codec.http3.Http3;
import io.netty.handler.codec.quic.QuicChannel;
import io.netty.handler.codec.quic.QuicChannelOption;
import io.netty.handler.codec.quic.QuicSslContext;
import io.netty.handler.codec.quic.QuicStreamChannel;
import io.netty.handler.ssl.SslHandshakeCompletionEvent;
import io.netty.util.concurrent.EventExecutor;
import io.quicxdp.netty.XdpDatagramChannel;
import io.quicxdp.netty.XdpQuic;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Supplier;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import org.springframework.context.SmartLifecycle;
import org.springframework.http.server.reactive.HttpHandler;
import org.springframework.http.server.reactive.ReactorHttpHandlerAdapter;
import reactor.netty.DisposableServer;
import reactor.netty.http.HttpProtocol;
import reactor.netty.http.server.HttpServer;
import reactor.netty.resources.LoopResources;

/**
 * The application's reactive {@link HttpHandler} over HTTP/3, served by Reactor Netty's HTTP/3 server on the
 * XDP transport: one server per event loop on the same UDP port, so that every queue serves it and a
 * request stays on the loop of the queue that received it.
 *
 * <p>Starts with the TCP web server (after the datapath and its event loops) and stops before the loops
 * shut down and the datapath closes. Stopping is graceful: each connection gets an HTTP/3 GOAWAY, so its
 * client opens no new request on it; requests in flight finish, for up to the shutdown timeout; then the
 * connections close with H3_NO_ERROR and the servers let go of the port.
 */
public class XdpHttp3Server implements SmartLifecycle, XdpHttp3Status {

    /** The web server's phase: starts after the datapath's, stops before it. */
    static final int PHASE = SmartLifecycle.DEFAULT_PHASE - 2048;

    private static final Log logger = LogFactory.getLog(XdpHttp3Server.class);

    private final EventLoopGroup loops;

    private final Supplier<HttpHandler> handler;

    private final QuicSslContext tls;

    private final int port;

    private final XdpHttp3Settings settings;

    private final List<DisposableServer> servers = new ArrayList<>();

    /** HTTP/3's H3_NO_ERROR: the connection closes without a problem. */
    private static final int H3_NO_ERROR = 0x100;

    /** The largest client-initiated bidirectional stream id: "no new requests", all in flight kept. */
    private static final long LAST_STREAM_ID = (1L << 62) - 4;

    /** The QUIC connections open now, to send GOAWAY to and close on stop. */
    private final Set<Channel> connections = ConcurrentHashMap.newKeySet();

    /** Request streams open now: their requests are being handled, or their responses sent. */
    private final AtomicInteger openStreams = new AtomicInteger();

    private final ChannelFutureListener streamClosed = (closed) -> this.openStreams.decrementAndGet();

    private final LongAdder requests = new LongAdder();

    private final LongAdder handshakesDone = new LongAdder();

    private final LongAdder handshakesFailed = new LongAdder();

    private final LongAdder bytesReceived = new LongAdder();

    private final LongAdder bytesSent = new LongAdder();

    /** Shared by every loop's server: it keeps no state of its own. */
    private final ChannelHandler datagramBytes = new DatagramBytes();

    /** Shared by every request stream of every loop's server. */
    private final OneFinPerResponse oneFin = new OneFinPerResponse();

    /** One key for every loop's server: a token issued by one is good on another. */
    private final KeyedRetryTokens retryTokens = new KeyedRetryTokens(Clock.systemUTC());

    XdpHttp3Server(EventLoopGroup loops, Supplier<HttpHandler> handler, QuicSslContext tls, int port,
            XdpHttp3Settings settings) {
        this.loops = loops;
        this.handler = handler;
        this.tls = tls;
        this.port = port;
        this.settings = settings;
    }

    /** The UDP port served. */
    public int port() {
        return this.port;
    }

    @Override
    public synchronized void start() {
        if (!this.servers.isEmpty()) {
            return;
        }
        ReactorHttpHandlerAdapter adapter = new ReactorHttpHandlerAdapter(this.handler.get());
        try {
            for (EventExecutor loop : this.loops) {
                DisposableServer server = HttpServer.create()
                    .port(this.port)
                    .protocol(HttpProtocol.HTTP3)
                    // Reactor's default, which an XDP channel refuses (and Reactor would log so for each loop)
                    .option(ChannelOption.SO_REUSEADDR, null)
                    // Reactor sets it on each QUIC connection: the codec hands the channel batches of datagrams
                    .option(QuicChannelOption.SEGMENTED_DATAGRAM_PACKET_ALLOCATOR, XdpQuic.segmentedAllocator())
                    .secure((spec) -> spec.sslContext(this.tls))
                    .http3Settings((spec) -> spec.idleTimeout(this.settings.idleTimeout())
                        .maxData(this.settings.maxData())
                        .maxStreamDataBidirectionalRemote(this.settings.maxStreamData())
                        .maxStreamDataBidirectionalLocal(this.settings.maxStreamData())
                        .maxStreamsBidirectional(this.settings.maxStreams())
                        .tokenHandler(this.settings.retry() ? this.retryTokens : null))
                    .doOnChannelInit((observer, connection, remote) -> {
                        this.connections.add(connection);
                        connection.closeFuture().addListener((closed) -> this.connections.remove(connection));
                        connection.pipeline().addFirst(new ConnectionCounters());
                    })
                    .doOnConnection((stream) -> {
                        Channel channel = stream.channel();
                        this.requests.increment();
                        this.openStreams.incrementAndGet();
                        channel.closeFuture().addListener(this.streamClosed);
                        this.oneFin.install(channel.pipeline());
                    })
                    .runOn(onLoop((IoEventLoop) loop))
                    .handle(adapter)
                    .bindNow();
                this.servers.add(server);
                server.channel().pipeline().addFirst(DatagramBytes.NAME, this.datagramBytes);
            }
        }
        catch (RuntimeException ex) {
            stop();
            throw ex;
        }
        logger.info("HTTP/3 on UDP port " + this.port + " through the XDP datapath, on " + this.servers.size()
                + " event loops");
    }

    @Override
    public synchronized void stop() {
        if (this.servers.isEmpty()) {
            return;
        }
        long deadline = System.nanoTime() + this.settings.shutdownTimeout().toNanos();
        for (Channel connection : this.connections) {
            QuicStreamChannel control = Http3.getLocalControlStream(connection);
            if (control != null) {
                control.writeAndFlush(new DefaultHttp3GoAwayFrame(LAST_STREAM_ID));
            }
        }
        while (this.openStreams.get() > 0 && System.nanoTime() - deadline < 0) {
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(10));
        }
        int cut = this.openStreams.get();
        for (Channel connection : this.connections) {
            if (connection instanceof QuicChannel quic) {
                quic.close(true, H3_NO_ERROR, Unpooled.EMPTY_BUFFER);
            }
        }
        Duration rest = Duration.ofNanos(Math.max(deadline - System.nanoTime(), TimeUnit.MILLISECONDS.toNanos(100)));
        this.servers.forEach((server) -> server.disposeNow(rest));
        this.servers.clear();
        logger.info("HTTP/3 on UDP port " + this.port + " stopped" + ((cut > 0) ? ", cutting " + cut
                + " requests that did not finish within " + this.settings.shutdownTimeout() : ""));
    }

    /** Requests in flight now. */
    int requestsInFlight() {
        return this.openStreams.get();
    }

    @Override
    public Http3State state() {
        return new Http3State(this.port, isRunning(), this.connections.size(), this.handshakesDone.sum(),
                this.handshakesFailed.sum(), this.requests.sum(), this.openStreams.get(), this.bytesReceived.sum(), this.bytesSent.sum(),
                this.retryTokens.issued());
    }

    /** Counts a connection's TLS handshake as done or failed, as the QUIC codec reports it. */
    private final class ConnectionCounters extends ChannelInboundHandlerAdapter {

        @Override
        public void userEventTriggered(ChannelHandlerContext ctx, Object event) {
            if (event instanceof SslHandshakeCompletionEvent handshake) {
                (handshake.isSuccess() ? XdpHttp3Server.this.handshakesDone : XdpHttp3Server.this.handshakesFailed)
                    .increment();
            }
            ctx.fireUserEventTriggered(event);
        }
    }

    /**
     * Counts the bytes of the QUIC packets (UDP payloads) a server's datagram channel receives and sends, in
     * front of the QUIC codec: per datagram, with nothing on the connections or their streams.
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

    @Override
    public synchronized boolean isRunning() {
        return !this.servers.isEmpty();
    }

    @Override
    public int getPhase() {
        return PHASE;
    }

    /**
     * Reactor Netty's resources for one server: the one XDP event loop it runs on, and the XDP datagram
     * channel as its UDP channel. The loops are the datapath's, so disposing these leaves them alone.
     */
    private static LoopResources onLoop(IoEventLoop loop) {
        return new LoopResources() {
            @Override
            public EventLoopGroup onServer(boolean useNative) {
                return loop;
            }

            @Override
            @SuppressWarnings("unchecked")
            public <C extends Channel> C onChannel(Class<C> type, EventLoopGroup group) {
                return (C) new XdpDatagramChannel();
            }
        };
    }
}
