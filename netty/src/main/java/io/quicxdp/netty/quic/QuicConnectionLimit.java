package io.quicxdp.netty.quic;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.socket.DatagramPacket;
import io.netty.handler.codec.quic.QuicChannel;
import io.netty.handler.ssl.SslHandshakeCompletionEvent;
import io.netty.util.concurrent.ScheduledFuture;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;

/**
 * How many QUIC connections a server takes, and how much handshake work it takes on, over the codecs of all its
 * event loops. Past either, the server turns new clients away so that the connections it has keep their service:
 *
 * <ul>
 * <li>At {@code maxConnections} connections (handshakes under way included), a new one is closed as soon as the
 * codec has read its first Initial, with QUIC's {@code CONNECTION_REFUSED} transport error: the client sees the
 * refusal at once instead of timing out. Netty's codec sends what quiche has queued before the close, so the
 * server's first flight may go with it and the client's side of the handshake may complete just before the close
 * arrives; the server never takes the connection. Counted in {@link #refused()}, as is a client's Initial sent
 * again after its refusal was read.</li>
 * <li>At {@code maxHandshakes} handshakes under way, datagrams that begin with an Initial packet are dropped in
 * front of the codec ({@link #initialShedder()}): no TLS work, no state, no reply, while the established
 * connections' short-header packets go on. Counted in {@link #initialsShed()}. A flood of Initials that never
 * complete their handshakes fills the budget; {@code handshakeTimeout} closes them, and then new clients are
 * taken again.</li>
 * </ul>
 *
 * Before a client's address is validated, each loop's {@link #amplificationGuard()} holds what the server sends
 * it to three times what it received from it, the limit quiche's probes of its first flight go past. Counted in
 * {@link #amplificationDropped()}.
 *
 * <p>Add {@link #connectionHandler} as the codec builder's connection handler, {@link #initialShedder()} in front
 * of the codec of every loop and an {@link #amplificationGuard()} right in front of each codec (an
 * {@link XdpQuicRouting}'s handlers and dispatchers do all three): the first two are sharable, and the counts are
 * the whole server's.
 */
public final class QuicConnectionLimit {

    /** QUIC's {@code CONNECTION_REFUSED} transport error code (RFC 9000, section 20.1). */
    public static final int CONNECTION_REFUSED = 0x2;

    private static final byte[] REFUSAL = "server at its connection limit".getBytes(StandardCharsets.US_ASCII);

    private static final int NO_LIMIT = Integer.MAX_VALUE;

    /** Unvalidated clients an amplification guard keeps at least. */
    static final int GUARDED_MIN = 1024;

    /** Unvalidated clients an amplification guard keeps without a handshake limit. */
    static final int GUARDED_UNLIMITED = 16384;

    private final int maxConnections;

    private final int maxHandshakes;

    private final long handshakeTimeoutNanos;

    private final AtomicInteger open = new AtomicInteger();

    private final AtomicInteger handshaking = new AtomicInteger();

    private final LongAdder refused = new LongAdder();

    private final LongAdder shed = new LongAdder();

    private final LongAdder timedOut = new LongAdder();

    private final LongAdder amplificationDropped = new LongAdder();

    private final LongAdder amplificationBytesDropped = new LongAdder();

    private final ChannelHandler shedder = new InitialShedder();

    /**
     * @param maxConnections connections taken at most, 0 for no limit
     * @param maxHandshakes handshakes under way at most, 0 for no limit
     * @param handshakeTimeout how long a connection may take to complete its handshake before it is closed
     * @throws IllegalArgumentException if a limit is negative or the timeout not positive
     */
    public QuicConnectionLimit(int maxConnections, int maxHandshakes, Duration handshakeTimeout) {
        if (maxConnections < 0 || maxHandshakes < 0 || handshakeTimeout.isNegative() || handshakeTimeout.isZero()) {
            throw new IllegalArgumentException("the limits must be 0 (none) or positive and the handshake timeout "
                    + "positive, not " + maxConnections + ", " + maxHandshakes + " and " + handshakeTimeout);
        }
        this.maxConnections = (maxConnections > 0) ? maxConnections : NO_LIMIT;
        this.maxHandshakes = (maxHandshakes > 0) ? maxHandshakes : NO_LIMIT;
        this.handshakeTimeoutNanos = handshakeTimeout.toNanos();
    }

    /**
     * The codec builder's connection handler: takes each new connection within the limit and sets it up with
     * {@code handler} (sharable, or a {@code ChannelInitializer}, as the builder requires of its own), or refuses
     * it and adds nothing.
     */
    public ChannelHandler connectionHandler(ChannelHandler handler) {
        return new Admission(handler);
    }

    /**
     * The handler to put in front of the QUIC codec of every loop: drops datagrams that begin with an Initial
     * packet while {@code maxHandshakes} handshakes are under way.
     */
    public ChannelHandler initialShedder() {
        return this.shedder;
    }

    /**
     * A new guard of QUIC's anti-amplification limit, for one channel: put it right in front of that channel's QUIC
     * codec, behind the {@link #initialShedder()} and any dispatcher, so that it sees every datagram the codec reads
     * and writes. Until a client's address is validated, it holds back the datagrams of long headers that would take
     * what the server sent it past three times what it received from it (RFC 9000, section 8.1), which quiche's
     * probes of its first flight do under a handshake flood. It keeps up to {@code maxHandshakes} answered,
     * unvalidated clients (at least 1024; 16,384 without a limit), the oldest forgotten first. Not sharable.
     */
    public ChannelHandler amplificationGuard() {
        int capacity = (this.maxHandshakes != NO_LIMIT) ? Math.max(GUARDED_MIN, this.maxHandshakes)
                : GUARDED_UNLIMITED;
        return new AmplificationGuard(capacity, this.amplificationDropped, this.amplificationBytesDropped);
    }

    /** Connections taken at most; 0 for no limit. */
    public int maxConnections() {
        return (this.maxConnections != NO_LIMIT) ? this.maxConnections : 0;
    }

    /** Handshakes under way at most; 0 for no limit. */
    public int maxHandshakes() {
        return (this.maxHandshakes != NO_LIMIT) ? this.maxHandshakes : 0;
    }

    /** Connections taken and not closed, handshakes under way included. */
    public int open() {
        return this.open.get();
    }

    /** Handshakes under way now. */
    public int handshaking() {
        return this.handshaking.get();
    }

    /** New connections refused with {@code CONNECTION_REFUSED}, the server being at {@code maxConnections}. */
    public long refused() {
        return this.refused.sum();
    }

    /** Datagrams beginning with an Initial dropped in front of the codec, {@code maxHandshakes} being under way. */
    public long initialsShed() {
        return this.shed.sum();
    }

    /** Connections closed because their handshake did not complete within the handshake timeout. */
    public long handshakesTimedOut() {
        return this.timedOut.sum();
    }

    /**
     * Datagrams to clients whose address was not validated yet held back by the {@linkplain #amplificationGuard()
     * amplification guards}, as they would have taken what the server sent those clients past three times what it
     * received from them.
     */
    public long amplificationDropped() {
        return this.amplificationDropped.sum();
    }

    /** The bytes of the {@link #amplificationDropped()} datagrams. */
    public long amplificationBytesDropped() {
        return this.amplificationBytesDropped.sum();
    }

    private boolean take() {
        for (int now = this.open.get(); now < this.maxConnections; now = this.open.get()) {
            if (this.open.compareAndSet(now, now + 1)) {
                return true;
            }
        }
        return false;
    }

    /** Whether to drop {@code content}, an Initial while the handshake budget is spent; counts it if so. */
    boolean shed(ByteBuf content) {
        if (this.handshaking.get() >= this.maxHandshakes && isInitial(content)) {
            this.shed.increment();
            return true;
        }
        return false;
    }

    /** Whether {@code content} begins with a QUIC version 1 Initial packet (RFC 9000, 17.2.2). */
    static boolean isInitial(ByteBuf content) {
        int at = content.readerIndex();
        if (content.readableBytes() < 5) {
            return false;
        }
        int first = content.getUnsignedByte(at);
        return (first & 0xf0) == 0xc0 && content.getInt(at + 1) == 1;
    }

    /** Takes or refuses each new connection. */
    @ChannelHandler.Sharable
    private final class Admission extends ChannelInitializer<QuicChannel> {

        private final ChannelHandler handler;

        Admission(ChannelHandler handler) {
            this.handler = handler;
        }

        @Override
        protected void initChannel(QuicChannel connection) {
            if (!take()) {
                QuicConnectionLimit.this.refused.increment();
                // once the codec has read the Initial: quiche then has the keys to send the close with
                connection.eventLoop().execute(() -> connection.close(false, CONNECTION_REFUSED,
                        Unpooled.wrappedBuffer(REFUSAL)));
                return;
            }
            QuicConnectionLimit.this.handshaking.incrementAndGet();
            Handshake handshake = new Handshake();
            connection.closeFuture().addListener((closed) -> {
                QuicConnectionLimit.this.open.decrementAndGet();
                handshake.ended();
            });
            connection.pipeline().addLast(handshake, this.handler);
        }
    }

    /** One connection's handshake: under way until it completes, fails or the connection closes. */
    private final class Handshake extends ChannelInboundHandlerAdapter {

        private boolean underWay = true;

        private ScheduledFuture<?> timeout;

        @Override
        public void handlerAdded(ChannelHandlerContext ctx) {
            Channel connection = ctx.channel();
            this.timeout = ctx.executor().schedule(() -> {
                if (this.underWay) {
                    QuicConnectionLimit.this.timedOut.increment();
                    connection.close();
                }
            }, QuicConnectionLimit.this.handshakeTimeoutNanos, TimeUnit.NANOSECONDS);
        }

        @Override
        public void userEventTriggered(ChannelHandlerContext ctx, Object event) {
            if (event instanceof SslHandshakeCompletionEvent) {
                ended();
            }
            ctx.fireUserEventTriggered(event);
        }

        void ended() {
            if (this.underWay) {
                this.underWay = false;
                QuicConnectionLimit.this.handshaking.decrementAndGet();
                if (this.timeout != null) {
                    this.timeout.cancel(false);
                }
            }
        }
    }

    /** Drops Initials in front of the codec while the handshake budget is spent. */
    @ChannelHandler.Sharable
    private final class InitialShedder extends ChannelInboundHandlerAdapter {

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            if (msg instanceof DatagramPacket packet && shed(packet.content())) {
                packet.release();
                return;
            }
            ctx.fireChannelRead(msg);
        }
    }
}
