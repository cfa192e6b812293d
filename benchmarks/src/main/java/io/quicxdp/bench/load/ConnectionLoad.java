package io.quicxdp.bench.load;

import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollDatagramChannel;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.channel.socket.DatagramChannel;
import io.netty.channel.socket.nio.NioDatagramChannel;
import io.netty.handler.codec.http3.DefaultHttp3Headers;
import io.netty.handler.codec.http3.DefaultHttp3HeadersFrame;
import io.netty.handler.codec.http3.Http3;
import io.netty.handler.codec.http3.Http3ClientConnectionHandler;
import io.netty.handler.codec.http3.Http3DataFrame;
import io.netty.handler.codec.http3.Http3Headers;
import io.netty.handler.codec.http3.Http3HeadersFrame;
import io.netty.handler.codec.quic.QuicChannel;
import io.netty.handler.codec.quic.QuicConnectionCloseEvent;
import io.netty.handler.codec.quic.QuicSslContext;
import io.netty.handler.codec.quic.QuicSslContextBuilder;
import io.netty.handler.codec.quic.QuicStreamChannel;
import io.netty.handler.ssl.util.InsecureTrustManagerFactory;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.ScheduledFuture;
import io.quicxdp.bench.quic.LatencyHistogram;
import java.net.Inet4Address;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;

/**
 * Many HTTP/3 connections held open against one server (Netty's QUIC client with its HTTP/3 codec): opened at a
 * bounded rate with a bounded number of handshakes in flight, kept alive by a trickle of requests spread over
 * them, and at the end checked one request each. Each event loop owns its share of the UDP sockets and
 * connections, so the state needs no lock; the caller reads figures through {@link #progress()}.
 *
 * <p>The sockets are made on the loops' threads: a client for another network namespace gives thread factories
 * whose threads enter it.
 */
public final class ConnectionLoad implements AutoCloseable {

    /**
     * Why a connection failed when the server refused it with QUIC's CONNECTION_REFUSED, as the check's reasons
     * name it.
     */
    public static final String REFUSED = "refused: CONNECTION_REFUSED";

    /** QUIC's CONNECTION_REFUSED transport error code. */
    private static final int CONNECTION_REFUSED = 0x2;

    /** How often each loop begins handshakes and requests. */
    private static final long TICK_MILLIS = 10;

    /** Every this many ticks, handshakes and requests that took too long fail. */
    private static final int SWEEP_TICKS = 10;

    private static final int MAX_REASONS = 20;

    private final Settings settings;

    private final MultiThreadIoEventLoopGroup group;

    private final List<Shard> shards = new ArrayList<>();

    private final long startNanos = System.nanoTime();

    /**
     * What to load and how.
     *
     * @param server the server's HTTP/3 address
     * @param path the path every request asks for
     * @param connections connections to open and hold
     * @param sockets UDP sockets the connections are spread over (each its own source port, so that the server's
     *     receive queues share them)
     * @param loops event loops, each with its share of sockets and connections
     * @param openRate connections begun per second at most
     * @param handshakesInFlight handshakes under way at once at most
     * @param requestRate requests per second spread round-robin over the open connections (0 for none), each on a
     *     connection that has no request under way
     * @param requestTimeout how long a request or handshake may take before it counts as failed
     * @param idleTimeout the client's QUIC idle timeout; the server's may be shorter, and then it is the one
     */
    public record Settings(InetSocketAddress server, String path, int connections, int sockets, int loops,
            int openRate, int handshakesInFlight, double requestRate, Duration requestTimeout, Duration idleTimeout) {

        public Settings {
            if (connections < 1 || sockets < 1 || loops < 1 || openRate < 1 || handshakesInFlight < 1
                    || requestRate < 0) {
                throw new IllegalArgumentException("connections, sockets, loops, open rate and handshakes in flight "
                        + "must be at least 1, the request rate not negative");
            }
            if (!path.startsWith("/")) {
                throw new IllegalArgumentException("the path '" + path + "' must start with /");
            }
        }
    }

    /**
     * The figures so far.
     *
     * @param seconds since the load began
     * @param open connections open now
     * @param opening handshakes under way
     * @param opened connections whose handshake completed, in all
     * @param handshakesFailed handshakes that failed or took longer than the request timeout
     * @param lost connections closed after they opened (by the server, an idle timeout, an error)
     * @param completed requests answered with status 200
     * @param failed requests that were not: another status, a reset, a timeout, a lost connection
     * @param latency the completed requests' latencies since the previous call
     */
    public record Progress(double seconds, int open, int opening, long opened, long handshakesFailed, long lost,
            long completed, long failed, LatencyHistogram latency) {

        /** One line, as the generator prints it. */
        public String line() {
            return String.format(java.util.Locale.ROOT, "progress t=%.1f open=%d opening=%d opened=%d "
                    + "handshakes_failed=%d lost=%d completed=%d failed=%d window_requests=%d p50_us=%d p99_us=%d",
                    seconds, open, opening, opened, handshakesFailed, lost, completed, failed, latency.count(),
                    latency.valueAt(0.5) / 1000, latency.valueAt(0.99) / 1000);
        }
    }

    /**
     * What the final check found: of the connections asked to open, how many answered one request each.
     *
     * @param connections connections the load was to hold
     * @param served those that answered the check's request with status 200
     * @param failed the rest: never opened, lost, or their request failed
     * @param seconds how long the check took
     * @param reasons why they failed, with counts
     */
    public record Check(int connections, int served, int failed, double seconds, Map<String, Integer> reasons) {

        public String line() {
            return String.format(java.util.Locale.ROOT, "check connections=%d served=%d failed=%d seconds=%.1f",
                    connections, served, failed, seconds);
        }
    }

    private ConnectionLoad(Settings settings, ThreadFactory threads) {
        this.settings = settings;
        IoHandlerFactory io = Epoll.isAvailable() ? EpollIoHandler.newFactory() : NioIoHandler.newFactory();
        this.group = new MultiThreadIoEventLoopGroup(settings.loops(), threads, io);
    }

    /**
     * Binds the sockets and begins opening connections.
     *
     * @param threads makes the loops' threads (a namespace of their own, a name)
     */
    public static ConnectionLoad start(Settings settings, ThreadFactory threads) throws Exception {
        ConnectionLoad load = new ConnectionLoad(settings, threads);
        try {
            QuicSslContext tls = QuicSslContextBuilder.forClient()
                .trustManager(InsecureTrustManagerFactory.INSTANCE)
                .applicationProtocols(Http3.supportedApplicationProtocols())
                .build();
            int index = 0;
            for (io.netty.util.concurrent.EventExecutor executor : load.group) {
                int first = index;
                Shard shard = new Shard(settings, (EventLoop) executor, tls, index);
                load.shards.add(shard);
                index++;
                // made on the loop's thread, in its namespace; bound once the loop has run the registration
                for (ChannelFuture bound : shard.loop.submit(() -> shard.bind(first)).get(10, TimeUnit.SECONDS)) {
                    if (!bound.await(10, TimeUnit.SECONDS) || !bound.isSuccess()) {
                        throw new IllegalStateException("cannot bind a UDP socket: " + bound.cause());
                    }
                }
            }
            for (Shard shard : load.shards) {
                shard.loop.execute(shard::begin);
            }
            return load;
        }
        catch (Exception | Error ex) {
            load.close();
            throw ex;
        }
    }

    public Settings settings() {
        return settings;
    }

    /** The figures so far; the latencies are those since the previous call. */
    public Progress progress() throws Exception {
        int open = 0;
        int opening = 0;
        long opened = 0;
        long handshakesFailed = 0;
        long lost = 0;
        long completed = 0;
        long failed = 0;
        LatencyHistogram latency = new LatencyHistogram();
        for (Shard shard : shards) {
            Progress part = shard.loop.submit(shard::progress).get(10, TimeUnit.SECONDS);
            open += part.open();
            opening += part.opening();
            opened += part.opened();
            handshakesFailed += part.handshakesFailed();
            lost += part.lost();
            completed += part.completed();
            failed += part.failed();
            latency.add(part.latency());
        }
        return new Progress((System.nanoTime() - startNanos) / 1e9, open, opening, opened, handshakesFailed, lost,
                completed, failed, latency);
    }

    /** Pauses the trickle of requests ({@code false}) or resumes it: the connections stay open, idle. */
    public void trickle(boolean on) throws Exception {
        for (Shard shard : shards) {
            shard.loop.submit(() -> shard.trickling = on).get(10, TimeUnit.SECONDS);
        }
    }

    /** Whether every connection has been attempted and none is opening. */
    public boolean attempted() throws Exception {
        for (Shard shard : shards) {
            if (!shard.loop.submit(shard::attempted).get(10, TimeUnit.SECONDS)) {
                return false;
            }
        }
        return true;
    }

    /** Waits until every connection has been attempted and none is opening; false on timeout. */
    public boolean awaitAttempted(Duration timeout) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!attempted()) {
            if (System.nanoTime() > deadline) {
                return false;
            }
            Thread.sleep(100);
        }
        return true;
    }

    /**
     * Stops the trickle and sends one request on every connection; each must answer within the request timeout.
     * A connection that never opened, or was lost, fails the check.
     */
    public Check checkEveryConnection() throws Exception {
        long began = System.nanoTime();
        for (Shard shard : shards) {
            shard.loop.submit(shard::beginCheck).get(10, TimeUnit.SECONDS);
        }
        long deadline = System.nanoTime() + settings.requestTimeout().toNanos() + TimeUnit.SECONDS.toNanos(30);
        Map<String, Integer> reasons = new TreeMap<>();
        int served = 0;
        for (Shard shard : shards) {
            while (!shard.loop.submit(shard::checkDone).get(10, TimeUnit.SECONDS)) {
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("the check did not end within the request timeout");
                }
                Thread.sleep(50);
            }
            served += shard.loop.submit(() -> shard.served).get(10, TimeUnit.SECONDS);
            shard.loop.submit(() -> shard.reasons).get(10, TimeUnit.SECONDS)
                .forEach((reason, count) -> reasons.merge(reason, count, Integer::sum));
        }
        return new Check(settings.connections(), served, settings.connections() - served,
                (System.nanoTime() - began) / 1e9, reasons);
    }

    /** Closes every connection and socket, then the loops; within about 10 s whatever the server does. */
    @Override
    public void close() throws InterruptedException {
        for (Shard shard : shards) {
            try {
                shard.loop.submit(shard::stop).get(5, TimeUnit.SECONDS).await(5, TimeUnit.SECONDS);
            }
            catch (Exception ex) {
                // closing anyway: the loops' shutdown closes what is left
            }
        }
        group.shutdownGracefully(0, 2, TimeUnit.SECONDS).await(10, TimeUnit.SECONDS);
    }

    /** One loop's share: its sockets, its connections, its figures. Everything here runs on {@link #loop}. */
    private static final class Shard {

        private final Settings settings;

        final EventLoop loop;

        private final QuicSslContext tls;

        private final Http3Headers headers;

        private final List<Channel> sockets = new ArrayList<>();

        private final List<Connection> connections = new ArrayList<>();

        private final LatencyHistogram window = new LatencyHistogram();

        private final Map<String, Integer> reasons = new TreeMap<>();

        private final double requestsPerTick;

        private final double opensPerTick;

        private final int maxOpening;

        private ScheduledFuture<?> ticker;

        private boolean running = true;

        private boolean checking;

        boolean trickling = true;

        private long ticks;

        private int nextToOpen;

        private int nextToAsk;

        private int opening;

        private int open;

        private long opened;

        private long handshakesFailed;

        private long lost;

        private long completed;

        private long failed;

        private double requestCredit;

        private double openCredit;

        private int served;

        private int checked;

        Shard(Settings settings, EventLoop loop, QuicSslContext tls, int index) {
            this.settings = settings;
            this.loop = loop;
            this.tls = tls;
            this.headers = new DefaultHttp3Headers().method("GET").scheme("https").authority("localhost")
                .path(settings.path());
            int loops = settings.loops();
            this.requestsPerTick = settings.requestRate() / loops * TICK_MILLIS / 1000.0;
            this.opensPerTick = (double) settings.openRate() / loops * TICK_MILLIS / 1000.0;
            this.maxOpening = Math.max(1, settings.handshakesInFlight() / loops);
            for (int i = index; i < settings.connections(); i += loops) {
                connections.add(new Connection(i));
            }
        }

        /** Binds this loop's sockets: every loops-th of them, starting at {@code first}. */
        List<ChannelFuture> bind(int first) {
            boolean v4 = settings.server().getAddress() instanceof Inet4Address;
            Class<? extends DatagramChannel> type = Epoll.isAvailable() ? EpollDatagramChannel.class
                    : NioDatagramChannel.class;
            List<ChannelFuture> bound = new ArrayList<>();
            for (int i = first; i < settings.sockets(); i += settings.loops()) {
                ChannelHandler codec = Http3.newQuicClientCodecBuilder()
                    .sslEngineProvider((quic) -> tls.newEngine(quic.alloc(), "localhost", settings.server().getPort()))
                    .maxIdleTimeout(settings.idleTimeout().toMillis(), TimeUnit.MILLISECONDS)
                    .initialMaxData(1 << 20)
                    .initialMaxStreamDataBidirectionalLocal(256 << 10)
                    .build();
                ChannelFuture binding = new Bootstrap().group(loop)
                    .channel(type)
                    .option(ChannelOption.SO_RCVBUF, 4 << 20)
                    .option(ChannelOption.SO_SNDBUF, 4 << 20)
                    .handler(codec)
                    .bind(new InetSocketAddress(v4 ? "0.0.0.0" : "::", 0));
                sockets.add(binding.channel());
                bound.add(binding);
            }
            return bound;
        }

        void begin() {
            ticker = loop.scheduleAtFixedRate(this::tick, 0, TICK_MILLIS, TimeUnit.MILLISECONDS);
        }

        private void tick() {
            if (!running) {
                return;
            }
            long now = System.nanoTime();
            openCredit = Math.min(openCredit + opensPerTick, Math.max(1, opensPerTick));
            while (nextToOpen < connections.size() && opening < maxOpening && openCredit >= 1) {
                openCredit--;
                Connection connection = connections.get(nextToOpen++);
                connection.connect(sockets.get(connection.index / settings.loops() % sockets.size()), now);
            }
            if (!checking && trickling && open > 0) {
                requestCredit = Math.min(requestCredit + requestsPerTick, Math.max(1, requestsPerTick));
                for (int tries = 0; requestCredit >= 1 && tries < connections.size(); tries++) {
                    Connection connection = connections.get(nextToAsk);
                    nextToAsk = (nextToAsk + 1) % connections.size();
                    if (connection.open && connection.request == null) {
                        requestCredit--;
                        connection.ask(now);
                    }
                }
            }
            if (++ticks % SWEEP_TICKS == 0) {
                long timeout = settings.requestTimeout().toNanos();
                for (Connection connection : connections) {
                    connection.sweep(now, timeout);
                }
            }
        }

        Progress progress() {
            LatencyHistogram latency = new LatencyHistogram();
            latency.add(window);
            window.reset();
            return new Progress(0, open, opening, opened, handshakesFailed, lost, completed, failed, latency);
        }

        void beginCheck() {
            checking = true;
            for (Connection connection : connections) {
                if (connection.request != null) {
                    connection.request.cancel();
                }
                connection.checkPending = true;
                if (!connection.open) {
                    connection.checkPending = false;
                    checked++;
                    reason(connection.channel == null ? "never attempted"
                            : connection.why != null ? connection.why : "not open");
                }
                else {
                    connection.ask(System.nanoTime());
                }
            }
        }

        boolean attempted() {
            return nextToOpen == connections.size() && opening == 0;
        }

        boolean checkDone() {
            return checked == connections.size();
        }

        Future<?> stop() {
            running = false;
            if (ticker != null) {
                ticker.cancel(false);
            }
            io.netty.util.concurrent.PromiseCombiner closing = new io.netty.util.concurrent.PromiseCombiner(loop);
            for (Connection connection : connections) {
                if (connection.channel != null) {
                    connection.closing = true;
                    closing.add(connection.channel.close());
                }
            }
            for (Channel socket : sockets) {
                closing.add(socket.close());
            }
            io.netty.util.concurrent.Promise<Void> closed = loop.newPromise();
            closing.finish(closed);
            return closed;
        }

        private void reason(String why) {
            if (reasons.size() < MAX_REASONS || reasons.containsKey(why)) {
                reasons.merge(why, 1, Integer::sum);
            }
            else {
                reasons.merge("other reasons", 1, Integer::sum);
            }
        }

        /** A request ended: counts it, and during the check settles its connection's part. */
        private void ended(Connection connection, boolean ok, String why, long latency) {
            if (ok) {
                completed++;
                window.record(latency);
            }
            else {
                failed++;
            }
            if (checking && connection.checkPending) {
                connection.checkPending = false;
                checked++;
                if (ok) {
                    served++;
                }
                else {
                    // what befell the connection (a refusal, say) says more than its stream closing with it
                    reason((connection.why != null) ? connection.why : why);
                }
            }
        }

        /** One connection over its life: the handler on its QUIC channel and its one request at a time. */
        private final class Connection extends ChannelInboundHandlerAdapter {

            final int index;

            QuicChannel channel;

            long startedNanos;

            boolean open;

            boolean closing;

            boolean checkPending;

            String why;

            Request request;

            Connection(int index) {
                this.index = index;
            }

            void connect(Channel socket, long now) {
                startedNanos = now;
                opening++;
                Future<QuicChannel> connected = QuicChannel.newBootstrap(socket)
                    .handler(this)
                    .remoteAddress(settings.server())
                    .connect();
                connected.addListener((done) -> {
                    if (channel == null && connected.isSuccess()) {
                        channel = connected.getNow();
                    }
                    if (done.isSuccess() && !closing && opening > 0 && !open && why == null) {
                        opening--;
                        open = true;
                        opened++;
                        Shard.this.open++;
                    }
                    else if (!done.isSuccess()) {
                        handshakeFailed("handshake failed: " + done.cause());
                    }
                });
            }

            private void handshakeFailed(String reason) {
                if (why == null && !open) {
                    why = reason;
                    opening--;
                    handshakesFailed++;
                }
            }

            @Override
            public void handlerAdded(ChannelHandlerContext ctx) {
                channel = (QuicChannel) ctx.channel();
                ctx.pipeline().addBefore(ctx.name(), null, new Http3ClientConnectionHandler());
            }

            @Override
            public void channelInactive(ChannelHandlerContext ctx) {
                if (open) {
                    open = false;
                    Shard.this.open--;
                    if (!closing) {
                        lost++;
                        if (why == null) {
                            why = "lost: closed by the server, an idle timeout or an error";
                        }
                    }
                }
                else {
                    handshakeFailed("closed during the handshake");
                }
                if (request != null) {
                    request.fail("connection closed");
                }
            }

            @Override
            public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
                if (why == null && !closing) {
                    why = "error: " + cause;
                }
            }

            /**
             * The server's CONNECTION_CLOSE, which quiche reports before the connection goes inactive: a refusal may
             * come before the client's side of the handshake completes, or just after.
             */
            @Override
            public void userEventTriggered(ChannelHandlerContext ctx, Object event) {
                if (event instanceof QuicConnectionCloseEvent close) {
                    boolean refused = !close.isApplicationClose() && close.error() == CONNECTION_REFUSED;
                    if (!open) {
                        handshakeFailed(refused ? REFUSED : "closed by the server during the handshake: " + close);
                    }
                    else if (refused && why == null) {
                        why = REFUSED;
                    }
                }
                ctx.fireUserEventTriggered(event);
            }

            void ask(long now) {
                Request asked = new Request(this, now);
                request = asked;
                Http3.newRequestStream(channel, asked).addListener((Future<QuicStreamChannel> created) -> {
                    if (!created.isSuccess()) {
                        asked.fail("cannot open a stream: " + created.cause());
                    }
                    else if (asked.done) {
                        created.getNow().close();
                    }
                    else {
                        asked.stream = created.getNow();
                        asked.stream.writeAndFlush(new DefaultHttp3HeadersFrame(headers))
                            .addListener(QuicStreamChannel.SHUTDOWN_OUTPUT);
                    }
                });
            }

            void sweep(long now, long timeout) {
                if (!open && why == null && channel != null && !closing && now - startedNanos > timeout) {
                    handshakeFailed("handshake took longer than " + settings.requestTimeout());
                    channel.close();
                }
                if (request != null && now - request.startNanos > timeout) {
                    request.fail("no response within " + settings.requestTimeout());
                }
            }
        }

        /** One GET on a stream of its own; the handler on that stream. */
        private final class Request extends ChannelInboundHandlerAdapter {

            private final Connection connection;

            final long startNanos;

            QuicStreamChannel stream;

            boolean done;

            private int status = -1;

            Request(Connection connection, long startNanos) {
                this.connection = connection;
                this.startNanos = startNanos;
            }

            @Override
            public void channelRead(ChannelHandlerContext ctx, Object message) {
                if (message instanceof Http3HeadersFrame response && status == -1) {
                    status = response.headers().getInt(Http3Headers.PseudoHeaderName.STATUS.value(), 0);
                }
                else if (message instanceof Http3DataFrame) {
                    // the body is not checked, only that it ends
                }
                ReferenceCountUtil.release(message);
            }

            @Override
            public void userEventTriggered(ChannelHandlerContext ctx, Object event) {
                if (event == ChannelInputShutdownEvent.INSTANCE) {
                    if (status == 200) {
                        finish(true, null);
                    }
                    else {
                        fail("status " + status);
                    }
                }
                ReferenceCountUtil.release(event);
            }

            @Override
            public void channelInactive(ChannelHandlerContext ctx) {
                fail("stream closed before the response ended");
            }

            @Override
            public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
                fail("stream error: " + cause);
            }

            void fail(String why) {
                finish(false, why);
            }

            /** Ends it without counting: the check takes over the connection. */
            void cancel() {
                done = true;
                connection.request = null;
                if (stream != null) {
                    stream.close();
                }
            }

            private void finish(boolean ok, String why) {
                if (done) {
                    return;
                }
                done = true;
                connection.request = null;
                if (stream != null) {
                    stream.close();
                }
                ended(connection, ok, why, System.nanoTime() - startNanos);
            }
        }
    }
}
