package io.quicxdp.netty.quic;

import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.util.concurrent.EventExecutor;
import java.time.Duration;
import java.util.IdentityHashMap;
import java.util.Map;
import java.util.concurrent.atomic.LongAdder;

/**
 * QUIC connections that follow their connection IDs across the event loops of an XDP datapath: the kernel hands
 * each queue's packets only to the loop that owns that queue, so when a client's address changes (migration, a
 * NAT that rebinds) its packets may arrive on another loop than the one whose codec holds the connection. The
 * connection IDs name their loop ({@link QuicLbConnectionIds}), and a {@link XdpQuicDispatcher} in front of each
 * loop's codec hands such packets to their loop.
 *
 * <p>One routing serves every QUIC port on the group's loops; make a {@link #dispatcher} per port. Its counters
 * add up over all of them.
 */
public final class XdpQuicRouting {

    /** The handshake timeout of a routing made without a limit. */
    private static final Duration DEFAULT_HANDSHAKE_TIMEOUT = Duration.ofSeconds(10);

    private final QuicLbConnectionIds ids;

    /** Each loop's index: its place in the group, which is the queue ids' order for an XDP group. */
    private final Map<EventExecutor, Integer> loops;

    final LongAdder handedOver = new LongAdder();

    final LongAdder handOversDropped = new LongAdder();

    final LongAdder foreign = new LongAdder();

    final LongAdder statelessResets = new LongAdder();

    private final LongAdder migrations = new LongAdder();

    private final ChannelHandler migrationCounter = new MigrationCounter(migrations);

    private final QuicConnectionLimit limit;

    private XdpQuicRouting(QuicLbConnectionIds ids, Map<EventExecutor, Integer> loops, QuicConnectionLimit limit) {
        this.ids = ids;
        this.loops = loops;
        this.limit = limit;
    }

    /**
     * Routing for the loops of {@code group}, one channel per loop as {@code XdpChannels.bindEveryLoop} binds.
     *
     * @throws IllegalArgumentException when the group has more loops than an ID's loop octet can name (256)
     */
    public static XdpQuicRouting create(QuicLbConnectionIds ids, EventLoopGroup group) {
        return create(ids, group, new QuicConnectionLimit(0, 0, DEFAULT_HANDSHAKE_TIMEOUT));
    }

    /**
     * Routing for the loops of {@code group} whose servers take new connections within {@code limit}: the
     * {@link #connectionHandler} takes or refuses each, and the {@linkplain #dispatcher dispatchers} drop Initials
     * while the limit's handshakes are under way.
     *
     * @throws IllegalArgumentException when the group has more loops than an ID's loop octet can name (256)
     */
    public static XdpQuicRouting create(QuicLbConnectionIds ids, EventLoopGroup group, QuicConnectionLimit limit) {
        Map<EventExecutor, Integer> loops = new IdentityHashMap<>();
        for (EventExecutor loop : group) {
            loops.put(loop, loops.size());
        }
        if (loops.size() > QuicLbConnectionIds.MAX_LOOPS) {
            throw new IllegalArgumentException("the group has " + loops.size() + " event loops; connection IDs name "
                    + "at most " + QuicLbConnectionIds.MAX_LOOPS);
        }
        return new XdpQuicRouting(ids, loops, limit);
    }

    /**
     * A dispatcher for one port: add it to the channel of every loop (as a bootstrap's handler, say); on each it
     * has {@code codec} build that loop's QUIC codec behind it, with an ID generator of that loop, and puts the
     * limit's {@linkplain QuicConnectionLimit#amplificationGuard() amplification guard} between the two. A short
     * header whose ID this server did not issue is dropped.
     */
    public XdpQuicDispatcher dispatcher(XdpQuicInitializer codec) {
        return new XdpQuicDispatcher(this, codec, null);
    }

    /**
     * A dispatcher for one port, as {@link #dispatcher(XdpQuicInitializer)}, that answers a short header whose ID
     * this server did not issue with a stateless reset from {@code resets} (or drops it where {@code resets} is
     * {@code null}). With a {@code null} {@code codec}, the codecs are built elsewhere: add the dispatcher in front
     * of the codec of every loop's channel, each codec built with {@code connectionIds().generator(loop)} for the
     * loop's index in the group and {@code localConnectionIdLength(connectionIds().connectionIdLength())}, and a
     * {@linkplain QuicConnectionLimit#amplificationGuard() amplification guard} of their own between the dispatcher
     * and the codec, as the starter's HTTP/3 server does.
     */
    public XdpQuicDispatcher dispatcher(XdpQuicInitializer codec, StatelessResets resets) {
        return new XdpQuicDispatcher(this, codec, resets);
    }

    /** The connection IDs' format. */
    public QuicLbConnectionIds connectionIds() {
        return ids;
    }

    /** The number of event loops. */
    public int loops() {
        return loops.size();
    }

    /**
     * The handler that counts {@link #migrationsSeen()}: add it to every QUIC connection's pipeline (the codec
     * builder's {@code handler}), or use {@link #connectionHandler}. Sharable.
     */
    public ChannelHandler migrationCounter() {
        return migrationCounter;
    }

    /**
     * A connection handler for the codec builder that takes each new connection within the
     * {@linkplain #connectionLimit() limit} (or refuses it), and adds the {@link #migrationCounter()} and then
     * {@code handler}, which must be sharable or a {@code ChannelInitializer}, as the builder requires of its own.
     */
    public ChannelHandler connectionHandler(ChannelHandler handler) {
        return limit.connectionHandler(new MigrationCounting(migrationCounter, handler));
    }

    /** How many connections and handshakes the servers take, over every port; its counts. */
    public QuicConnectionLimit connectionLimit() {
        return limit;
    }

    /** Datagrams that arrived on one loop and were read by the codec of the loop whose connection they are for. */
    public long packetsHandedOver() {
        return handedOver.sum();
    }

    /** Datagrams for another loop dropped instead: its channel closed, or too many waiting for it. */
    public long handOversDropped() {
        return handOversDropped.sum();
    }

    /**
     * Short-header datagrams whose destination ID this server did not issue (another server ID or rotation, a
     * loop that does not exist, or too short to hold an ID): dropped, as no codec here can place them, some of them
     * answered with a {@linkplain #statelessResetsSent() stateless reset}.
     */
    public long foreignPackets() {
        return foreign.sum();
    }

    /** Of the {@link #foreignPackets()}, those answered with a stateless reset. */
    public long statelessResetsSent() {
        return statelessResets.sum();
    }

    /** Connections whose peer moved to a new address, as their {@link #migrationCounter()}s saw. */
    public long migrationsSeen() {
        return migrations.sum();
    }

    /** The index of {@code loop} in the group. */
    int loopOf(EventExecutor loop) {
        Integer index = loops.get(loop);
        if (index == null) {
            throw new IllegalStateException("the channel's event loop " + loop + " is not one of the group this "
                    + "routing was made for");
        }
        return index;
    }

    @Override
    public String toString() {
        return "XdpQuicRouting[" + loops.size() + " loops, " + ids + "]";
    }

    /** Adds the migration counter in front of the application's connection handler. */
    @ChannelHandler.Sharable
    private static final class MigrationCounting extends ChannelInitializer<Channel> {

        private final ChannelHandler counter;

        private final ChannelHandler handler;

        MigrationCounting(ChannelHandler counter, ChannelHandler handler) {
            this.counter = counter;
            this.handler = handler;
        }

        @Override
        protected void initChannel(Channel connection) {
            connection.pipeline().addLast(counter, handler);
        }
    }
}
