package io.quicxdp.bench.quic;

import com.sun.management.ThreadMXBean;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.channel.FixedRecvByteBufAllocator;
import io.netty.channel.epoll.EpollChannelOption;
import io.netty.channel.epoll.EpollDatagramChannel;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http3.DefaultHttp3HeadersFrame;
import io.netty.handler.codec.http3.Http3;
import io.netty.handler.codec.http3.Http3ClientConnectionHandler;
import io.netty.handler.codec.http3.Http3DataFrame;
import io.netty.handler.codec.http3.Http3Headers;
import io.netty.handler.codec.http3.Http3HeadersFrame;
import io.netty.handler.codec.quic.QuicChannel;
import io.netty.handler.codec.quic.QuicConnectionPathStats;
import io.netty.handler.codec.quic.QuicSslContext;
import io.netty.handler.codec.quic.QuicStreamChannel;
import io.netty.handler.codec.quic.QuicStreamLimitChangedEvent;
import io.netty.handler.codec.quic.QuicStreamType;
import io.netty.util.AsciiString;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.GenericFutureListener;
import io.netty.util.concurrent.Promise;
import io.netty.util.concurrent.PromiseCombiner;
import io.netty.util.concurrent.ScheduledFuture;

import java.lang.management.ManagementFactory;
import java.net.Inet4Address;
import java.net.InetSocketAddress;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * One load command's run: its UDP socket and QUIC client codec, its connections and request streams, and the
 * window's figures. Everything but {@link #start} and the blocking calls the main thread makes runs on the one
 * event loop, so the state needs no locks; per request it reuses a pooled {@link Request} and the prebuilt
 * request headers.
 */
final class LoadRun {

    /** A request or handshake making no progress this long fails. */
    private static final long STALL_NANOS = TimeUnit.SECONDS.toNanos(5);

    private static final long SWEEP_NANOS = TimeUnit.MILLISECONDS.toNanos(100);

    private static final int STALL_SWEEPS = (int) (STALL_NANOS / SWEEP_NANOS);

    /** Pause before replacing a failed connection, so a refusing server is not spun on. */
    private static final long RETRY_NANOS = TimeUnit.MILLISECONDS.toNanos(10);

    /** Latency mode: most requests waiting for a stream per connection; beyond that they fail. */
    private static final int MAX_PENDING = 1 << 16;

    /** Messages logged per run before the rest are only counted. */
    private static final int MAX_LOGGED = 20;

    /** Receive buffer per read: one GRO batch (up to 64 KiB), or 32 datagrams read with recvmmsg. */
    private static final int READ_BUFFER = 64 * 1024;

    private static final int DATAGRAM = 2048;

    /**
     * Paced mode: the stream's flow-control window. Small, so that the server can only send as fast as the
     * client reads: quiche extends the window as the application takes the data.
     */
    private static final long PACED_WINDOW = 256 * 1024;

    /** Paced mode: reads are allowed every tick, and the bucket keeps at most two ticks of refill. */
    private static final long PACE_TICK_NANOS = TimeUnit.MILLISECONDS.toNanos(1);

    private static final AsciiString STATUS = Http3Headers.PseudoHeaderName.STATUS.value();

    private static final ThreadMXBean THREADS = (ThreadMXBean) ManagementFactory.getThreadMXBean();

    private final LoadCommand command;

    private final EventLoop loop;

    private final QuicSslContext ssl;

    private final WindowStats stats = new WindowStats();

    private final Target target;

    /** Latency mode: how late requests left against their intended start; says whether the generator kept up. */
    private final LatencyHistogram sendLag = new LatencyHistogram();

    /** The connection each lane (persistent mode) or cycle (handshakes) currently uses. */
    private final Connection[] slots;

    /** Latency mode: intended start times waiting for a stream, per lane. */
    private final LongQueue[] pending;

    private final ArrayDeque<Request> idle = new ArrayDeque<>();

    private final List<Request> requests = new ArrayList<>();

    private final Runnable tickTask = this::tick;

    /** Paced mode: the reads' token bucket; null otherwise. */
    private PacedReads pacer;

    private ScheduledFuture<?> pacing;

    private Channel udp;

    private boolean running;

    private ScheduledFuture<?> sweeper;

    private ScheduledFuture<?> ticker;

    private long rateOrigin;

    private long issued;

    private int logged;

    /** Sweeps so far: lets each connection work out its progress once per sweep. */
    private long sweeps;

    private long windowCpuNanos;

    private long windowAllocated;

    private LoadRun(LoadCommand command, EventLoop loop, QuicSslContext ssl, String smallPath) {
        this.command = command;
        this.loop = loop;
        this.ssl = ssl;
        boolean download = command.kind == LoadCommand.Kind.BULK || command.kind == LoadCommand.Kind.PACED;
        this.target = new Target(download ? "/bulk" : smallPath, "localhost");
        int lanes = download ? 1 : command.first;
        this.slots = new Connection[lanes];
        this.pending = new LongQueue[command.kind == LoadCommand.Kind.LATENCY ? lanes : 0];
        for (int i = 0; i < pending.length; i++) {
            pending[i] = new LongQueue(MAX_PENDING);
        }
    }

    /**
     * Binds the UDP socket and starts the load, requesting {@code smallPath} in every kind but bulk; returns once
     * the first connections are under way. Called off the loop.
     */
    static LoadRun start(LoadCommand command, EventLoop loop, QuicSslContext ssl, boolean gro, String smallPath)
            throws Exception {
        LoadRun run = new LoadRun(command, loop, ssl, smallPath);
        Bootstrap bootstrap = new Bootstrap().group(loop)
                .channel(EpollDatagramChannel.class)
                .option(ChannelOption.SO_RCVBUF, 4 << 20)
                .option(ChannelOption.SO_SNDBUF, 4 << 20)
                .option(ChannelOption.RCVBUF_ALLOCATOR, new FixedRecvByteBufAllocator(READ_BUFFER))
                .option(EpollChannelOption.UDP_GRO, gro)
                .option(EpollChannelOption.MAX_DATAGRAM_PAYLOAD_SIZE, gro ? 0 : DATAGRAM)
                .handler(run.codec());
        InetSocketAddress wildcard = new InetSocketAddress(
                command.server.getAddress() instanceof Inet4Address ? "0.0.0.0" : "::", 0);
        ChannelFuture bound = bootstrap.bind(wildcard);
        if (!bound.await(2, TimeUnit.SECONDS) || !bound.isSuccess()) {
            bound.channel().close();
            throw new IllegalStateException("cannot bind a UDP socket to " + wildcard + ": " + bound.cause());
        }
        run.udp = bound.channel();
        try {
            loop.submit(run::begin).get(2, TimeUnit.SECONDS);
        }
        catch (Exception ex) {
            run.stop();
            throw ex;
        }
        return run;
    }

    /** Opens the measured window; called off the loop. */
    void openWindow() throws Exception {
        loop.submit(() -> {
            sendLag.reset();
            windowCpuNanos = THREADS.getCurrentThreadCpuTime();
            windowAllocated = THREADS.getCurrentThreadAllocatedBytes();
            stats.open(System.nanoTime());
        }).get(2, TimeUnit.SECONDS);
    }

    /** Closes the window and returns the result line; called off the loop. */
    String closeWindow() throws Exception {
        return loop.submit(() -> {
            String result = stats.close(System.nanoTime(), meanRttNanos());
            long completed = Math.max(1, stats.completed());
            System.err.printf("generator: %d ns CPU and %d bytes allocated on the loop per completed request%n",
                    (THREADS.getCurrentThreadCpuTime() - windowCpuNanos) / completed,
                    (THREADS.getCurrentThreadAllocatedBytes() - windowAllocated) / completed);
            if (sendLag.count() > 0) {
                System.err.printf("latency: requests left %d us (p50) / %d us (p99) after their intended start%n",
                        sendLag.valueAt(0.5) / 1000, sendLag.valueAt(0.99) / 1000);
            }
            return result;
        }).get(2, TimeUnit.SECONDS);
    }

    /**
     * Stops the load and closes every connection, then the socket, within about 5 s whatever the peer does; off
     * the loop.
     */
    void stop() throws InterruptedException {
        try {
            Future<Future<Void>> halted = loop.submit(this::halt);
            if (halted.await(1, TimeUnit.SECONDS) && halted.isSuccess()) {
                halted.getNow().await(2, TimeUnit.SECONDS);
            }
        }
        finally {
            udp.close().await(2, TimeUnit.SECONDS);
            if (logged > MAX_LOGGED) {
                System.err.println("run: " + (logged - MAX_LOGGED) + " more messages not logged");
            }
        }
    }

    /**
     * The mean smoothed round-trip time of the open connections' first path, as quiche estimates it on this
     * side; 0 without an open connection. On the loop: the statistics are read at once.
     */
    private long meanRttNanos() {
        long sum = 0;
        int count = 0;
        for (Connection connection : slots) {
            if (connection != null && connection.open && !connection.done) {
                Future<QuicConnectionPathStats> path = connection.channel.collectPathStats(0);
                if (path.isSuccess() && path.getNow().rtt() > 0) {
                    sum += path.getNow().rtt();
                    count++;
                }
            }
        }
        return count == 0 ? 0 : sum / count;
    }

    private ChannelHandler codec() {
        int port = command.server.getPort();
        boolean paced = command.kind == LoadCommand.Kind.PACED;
        return Http3.newQuicClientCodecBuilder()
                .sslEngineProvider(quic -> ssl.newEngine(quic.alloc(), "localhost", port))
                .maxIdleTimeout(10, TimeUnit.SECONDS)
                .initialMaxData(paced ? 4 * PACED_WINDOW : 64L << 20)
                .initialMaxStreamDataBidirectionalLocal(paced ? PACED_WINDOW : 16L << 20)
                .build();
    }

    private void begin() {
        running = true;
        for (int i = 0; i < slots.length; i++) {
            connect(i);
        }
        sweeper = loop.scheduleAtFixedRate(this::sweep, SWEEP_NANOS, SWEEP_NANOS, TimeUnit.NANOSECONDS);
        if (command.kind == LoadCommand.Kind.PACED) {
            pacer = new PacedReads(command.first * 1_000_000L, 2 * PACE_TICK_NANOS, System.nanoTime());
            pacing = loop.scheduleAtFixedRate(this::pace, PACE_TICK_NANOS, PACE_TICK_NANOS, TimeUnit.NANOSECONDS);
        }
        if (command.kind == LoadCommand.Kind.LATENCY) {
            rateOrigin = System.nanoTime();
            tick();
        }
    }

    private Future<Void> halt() {
        running = false;
        if (sweeper != null) {
            sweeper.cancel(false);
        }
        if (ticker != null) {
            ticker.cancel(false);
        }
        if (pacing != null) {
            pacing.cancel(false);
        }
        for (Request request : requests) {
            request.active = false;
        }
        PromiseCombiner closing = new PromiseCombiner(loop);
        for (Connection connection : slots) {
            if (connection != null && connection.channel != null) {
                connection.done = true;
                closing.add(connection.channel.close());
            }
        }
        Promise<Void> closed = loop.newPromise();
        closing.finish(closed);
        return closed;
    }

    private void connect(int slot) {
        Connection connection = new Connection(slot, System.nanoTime());
        slots[slot] = connection;
        QuicChannel.newBootstrap(udp)
                .handler(connection)
                .remoteAddress(command.server)
                .connect()
                .addListener(connection);
    }

    private void reconnectLater(int slot) {
        loop.schedule(() -> {
            if (running) {
                connect(slot);
            }
        }, RETRY_NANOS, TimeUnit.NANOSECONDS);
    }

    /** Latency mode: issues every request whose intended start has come, then sleeps until the next one. */
    private void tick() {
        if (!running) {
            return;
        }
        long now = System.nanoTime();
        long rate = command.second;
        while (true) {
            long due = rateOrigin + issued * 1_000_000_000L / rate;
            if (due > now) {
                ticker = loop.schedule(tickTask, due - now, TimeUnit.NANOSECONDS);
                return;
            }
            int lane = (int) (issued % slots.length);
            issued++;
            if (pending[lane].offer(due)) {
                feed(slots[lane]);
            }
            else {
                stats.failed();
            }
        }
    }

    /**
     * Paced mode: reads once more from the downloading stream (its auto-read is off) while the bucket allows;
     * each read takes at most one buffer, so the reads follow the rate closely.
     */
    private void pace() {
        if (!running || !pacer.mayRead(System.nanoTime())) {
            return;
        }
        for (Request request : requests) {
            if (request.active && request.stream != null) {
                request.stream.read();
            }
        }
    }

    /** Starts as many requests on {@code connection} as its kind wants and the peer's stream limit allows. */
    private void feed(Connection connection) {
        QuicChannel channel = connection.channel;
        if (!running || !connection.open || connection.done || !channel.isActive()) {
            return;
        }
        switch (command.kind) {
            case HANDSHAKES -> {
                if (connection.inFlight == 0 && channel.peerAllowedStreams(QuicStreamType.BIDIRECTIONAL) > 0) {
                    send(connection, connection.startedNanos);
                }
            }
            case REQUESTS, BULK, PACED -> {
                int wanted = switch (command.kind) {
                    case BULK -> command.first;
                    case PACED -> 1;
                    default -> command.second;
                };
                while (connection.inFlight < wanted && channel.peerAllowedStreams(QuicStreamType.BIDIRECTIONAL) > 0) {
                    send(connection, System.nanoTime());
                }
            }
            case LATENCY -> {
                LongQueue waiting = pending[connection.slot];
                while (!waiting.isEmpty() && channel.peerAllowedStreams(QuicStreamType.BIDIRECTIONAL) > 0) {
                    send(connection, waiting.poll());
                }
            }
        }
    }

    private void send(Connection connection, long startNanos) {
        Request request = idle.poll();
        if (request == null) {
            request = new Request();
            requests.add(request);
        }
        request.begin(connection, startNanos);
        if (command.kind == LoadCommand.Kind.LATENCY && stats.isOpen()) {
            sendLag.record(System.nanoTime() - startNanos);
        }
        Http3.newRequestStream(connection.channel, request).addListener(request);
    }

    /** A request finished, well or not: its stream is closed and it is back in the pool. */
    private void finished(Request request, Connection connection) {
        idle.push(request);
        connection.inFlight--;
        if (command.kind == LoadCommand.Kind.HANDSHAKES) {
            if (!connection.done) {
                connection.done = true;
                connection.channel.close();
                if (running) {
                    connect(connection.slot);
                }
            }
        }
        else {
            feed(connection);
        }
    }

    /** A connection failed before opening, or closed under the load: replace it. */
    private void lost(Connection connection, boolean beforeOpen, Throwable cause) {
        if (connection.done) {
            return;
        }
        connection.done = true;
        connection.open = false;
        if (!running) {
            return;
        }
        if (beforeOpen) {
            stats.failed();
        }
        log("connection " + (beforeOpen ? "failed" : "lost") + ": " + cause);
        if (slots[connection.slot] == connection) {
            reconnectLater(connection.slot);
        }
    }

    /**
     * Fails requests that saw nothing for {@link #STALL_NANOS} while their connection saw nothing either (a server
     * may serve parallel streams one after another, so a waiting stream alone is no fault), and handshakes that
     * took that long; in latency mode, requests that waited that long for a stream.
     */
    private void sweep() {
        sweeps++;
        long now = System.nanoTime();
        // by index: a failed request's replacement may join the list
        for (int i = 0, n = requests.size(); i < n; i++) {
            Request request = requests.get(i);
            if (request.active && request.stream != null) {
                if (request.progress != request.progressSeen || request.connection.movedSinceLastSweep()) {
                    request.progressSeen = request.progress;
                    request.stalledSweeps = 0;
                }
                else if (++request.stalledSweeps >= STALL_SWEEPS) {
                    request.failWithConnection("no progress for " + STALL_NANOS / 1_000_000 + " ms");
                }
            }
        }
        for (Connection connection : slots) {
            if (connection != null && !connection.open && !connection.done
                    && now - connection.startedNanos > STALL_NANOS) {
                lost(connection, true, new IllegalStateException("handshake took over " + STALL_NANOS / 1_000_000
                        + " ms"));
                if (connection.channel != null) {
                    connection.channel.close();
                }
            }
        }
        for (LongQueue waiting : pending) {
            while (!waiting.isEmpty() && now - waiting.peek() > STALL_NANOS) {
                waiting.poll();
                stats.failed();
            }
        }
    }

    private void log(String message) {
        if (logged++ < MAX_LOGGED) {
            System.err.println(command.kind.name().toLowerCase() + ": " + message);
        }
    }

    /** One QUIC connection attempt and its life: the handler on its channel and the connect listener. */
    private final class Connection extends ChannelInboundHandlerAdapter
            implements GenericFutureListener<Future<QuicChannel>> {

        final int slot;

        final long startedNanos;

        QuicChannel channel;

        int inFlight;

        /** The handshake completed and the connection has not been lost. */
        boolean open;

        /** Closed, replaced or given up: nothing it reports matters any more. */
        boolean done;

        /** Response frames its streams have seen. */
        long progress;

        private long progressSeen;

        private long checkedAtSweep = -1;

        private boolean moved;

        Connection(int slot, long startedNanos) {
            this.slot = slot;
            this.startedNanos = startedNanos;
        }

        /** Whether its streams saw anything since the previous sweep that asked. */
        boolean movedSinceLastSweep() {
            if (checkedAtSweep != sweeps) {
                checkedAtSweep = sweeps;
                moved = progress != progressSeen;
                progressSeen = progress;
            }
            return moved;
        }

        @Override
        public void handlerAdded(ChannelHandlerContext ctx) {
            channel = (QuicChannel) ctx.channel();
            ctx.pipeline().addBefore(ctx.name(), null, new Http3ClientConnectionHandler());
        }

        @Override
        public void operationComplete(Future<QuicChannel> future) {
            if (!future.isSuccess()) {
                lost(this, true, future.cause());
            }
            else if (done || !running) {
                future.getNow().close();
            }
            else {
                open = true;
                feed(this);
            }
        }

        @Override
        public void userEventTriggered(ChannelHandlerContext ctx, Object event) {
            if (event instanceof QuicStreamLimitChangedEvent) {
                feed(this);
            }
            ReferenceCountUtil.release(event);
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            lost(this, !open, new IllegalStateException("closed by the peer or idle timeout"));
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            if (running && !done) {
                log("connection error: " + cause);
            }
        }
    }

    /**
     * One request at a time: the handler on its stream (shared across the streams it serves over time, so it
     * ignores events from any stream but its current one) and the stream-creation listener.
     */
    @ChannelHandler.Sharable
    private final class Request extends ChannelInboundHandlerAdapter
            implements GenericFutureListener<Future<QuicStreamChannel>> {

        Connection connection;

        QuicStreamChannel stream;

        /** When the request started, or in latency mode was meant to. */
        long startNanos;

        boolean active;

        int status;

        long announced;

        long received;

        /** Frames seen; the sweep compares it with {@link #progressSeen} to find stalled requests. */
        long progress;

        long progressSeen;

        int stalledSweeps;

        void begin(Connection connection, long startNanos) {
            this.connection = connection;
            this.startNanos = startNanos;
            this.stream = null;
            this.active = true;
            this.status = -1;
            this.announced = -1;
            this.received = 0;
            this.progress = 0;
            this.progressSeen = 0;
            this.stalledSweeps = 0;
            connection.inFlight++;
        }

        @Override
        public void operationComplete(Future<QuicStreamChannel> future) {
            if (!active) {
                if (future.isSuccess()) {
                    future.getNow().close();
                }
                return;
            }
            if (!future.isSuccess()) {
                failWithConnection("cannot open a stream: " + future.cause());
                return;
            }
            QuicStreamChannel opened = future.getNow();
            stream = opened;
            if (!opened.isActive()) {
                failWithConnection("stream closed at once");
                return;
            }
            if (pacer != null) {
                opened.config().setAutoRead(false);
            }
            opened.writeAndFlush(new DefaultHttp3HeadersFrame(target.headers))
                    .addListener(QuicStreamChannel.SHUTDOWN_OUTPUT);
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object message) {
            if (ctx.channel() != stream || !active) {
                ReferenceCountUtil.release(message);
                return;
            }
            progress++;
            connection.progress++;
            if (message instanceof Http3DataFrame data) {
                int length = data.content().readableBytes();
                received += length;
                stats.bytes(length);
                if (pacer != null) {
                    pacer.consumed(length);
                }
                data.release();
            }
            else if (message instanceof Http3HeadersFrame headers) {
                if (status == -1) {
                    // trailers, if any, come later and change nothing
                    status = headers.headers().getInt(STATUS, 0);
                    announced = headers.headers().getLong(HttpHeaderNames.CONTENT_LENGTH, -1);
                }
            }
            else {
                ReferenceCountUtil.release(message);
            }
        }

        @Override
        public void userEventTriggered(ChannelHandlerContext ctx, Object event) {
            if (event == ChannelInputShutdownEvent.INSTANCE && ctx.channel() == stream && active) {
                if (target.accepts(status, announced, received)) {
                    long latency = System.nanoTime() - startNanos;
                    end();
                    stats.completed(latency);
                }
                else {
                    fail("bad response: status " + status + ", " + received + " body bytes, content-length "
                            + announced);
                }
            }
            ReferenceCountUtil.release(event);
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            if (ctx.channel() == stream && active) {
                fail("stream closed before the response ended");
            }
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            if (ctx.channel() == stream && active) {
                fail(cause.toString());
            }
        }

        /**
         * Fails and gives up the connection too: one that cannot open streams, or is silent, is of no use, and
         * retrying on it would spin.
         */
        void failWithConnection(String why) {
            Connection broken = connection;
            boolean close = !broken.done;
            lost(broken, false, new IllegalStateException(why));
            fail(why);
            if (close) {
                broken.channel.close();
            }
        }

        void fail(String why) {
            if (running) {
                log(why);
            }
            end();
            stats.failed();
        }

        /** Closes the stream (a reset if the response is incomplete) and hands the request back. */
        private void end() {
            active = false;
            QuicStreamChannel ended = stream;
            stream = null;
            if (ended != null) {
                ended.close();
            }
            finished(this, connection);
        }
    }
}
