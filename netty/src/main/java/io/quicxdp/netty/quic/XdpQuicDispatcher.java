package io.quicxdp.netty.quic;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.socket.DatagramPacket;
import io.quicxdp.netty.XdpDatagramChannel;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.atomic.AtomicReferenceArray;

/**
 * In front of each event loop's QUIC codec on one port: reads every datagram's destination connection ID and
 * hands the datagram to the loop whose connection it names. What Netty's {@code QuicCodecDispatcher} does for
 * {@code SO_REUSEPORT} channels, for XDP channels: with QUIC-LB IDs, without allocating per datagram, with
 * counters.
 *
 * <ul>
 * <li>A datagram for this loop's connection goes on to the codec here, in place.</li>
 * <li>So does the first datagram with an ID the client chose (a long header before the client has our ID: the
 * codec here creates the connection, and the ID it gives names this loop); unless it begins with an Initial while
 * the routing's {@link XdpQuicRouting#connectionLimit() limit} of handshakes is under way: then it is dropped and
 * counted. The loop that took it is noted by the ID's hash, and a later datagram with that ID that reaches another
 * loop is handed to it: a flow that does not keep to one queue (a veth fed by XDP redirect picks the sending CPU's;
 * a ClientHello may span two datagrams) still meets the one codec that holds its connection. So do the Handshake
 * packets to an ID another instance of a fleet made (a connection made from its Retry's token keeps that ID, which
 * no loop here is named by). The notes take a fixed table, a newer ID taking an older one's place; an ID whose note
 * is gone stays where it arrives. An ID a client chose that happens to read as ours is routed as if it were: all
 * of that connection's packets then go to the same loop, which creates it.</li>
 * <li>A datagram for another loop's connection is handed to that loop with its UMEM frame: a receive frame may be
 * released on any thread, and goes back to its own queue from there. The receiving loop queues it for the owner
 * (a bounded queue per loop, no allocation) and submits one task per batch, which fires the batch into the
 * owner's codec and then {@code channelReadComplete}, so the codec flushes once per batch. Behind a port whose
 * clients migrated, the loop of the new address keeps handing their packets over: a hand-over costs a queue
 * entry each and a task per batch, and the frame stays held until the owner's codec has read it.</li>
 * <li>A short header whose ID this server did not issue is counted and its frame given back at once. With
 * {@link StatelessResets} (a fleet's shared reset key), it is answered with a stateless reset, which the client
 * recognizes by the token the issuing instance gave it; without, it is dropped: only the issuer would know the
 * token.</li>
 * </ul>
 *
 * The first answer of a loop to an address it has not received from (a migrated client whose packets reach it
 * through another loop) looks up the route, as any first send of a channel to a new address does, and leaves from
 * the address the client sent to ({@code XdpDatagramChannel.answerFrom}), not the route's source address.
 *
 * <p>Add it to the channel of every loop of the routing's group, once each; a channel whose loop already has one
 * fails to register. Sharable.
 */
@ChannelHandler.Sharable
public final class XdpQuicDispatcher extends ChannelInboundHandlerAdapter {

    /** The name of the {@linkplain QuicConnectionLimit#amplificationGuard() amplification guard} behind it. */
    public static final String GUARD = "quicXdp.quic.amplificationGuard";

    /** Datagrams that may wait for one loop; beyond, a hand-over is dropped, like a full socket buffer. */
    static final int INBOX_CAPACITY = 1024;

    /** The header form bit and the fixed bit: a QUIC v1 short header has 0 and 1. */
    private static final int SHORT_HEADER_BITS = 0xc0;

    private static final int FIXED_BIT = 0x40;

    /** Datagrams one task fires before it lets the loop's other work run. */
    private static final int BATCH = 64;

    /** Places for the loops that took the first datagram of an ID a client chose: a power of two. */
    static final int FIRST_LOOPS = 4096;

    private final XdpQuicRouting routing;

    /** Builds each loop's codec behind the dispatcher; {@code null} where the codec is in place already. */
    private final XdpQuicInitializer codec;

    /** Answers foreign short headers; {@code null} drops them. */
    private final StatelessResets resets;

    private final AtomicReferenceArray<Inbox> inboxes;

    /** By the hash of an ID a client chose: the hash in the high half, the loop that took it plus one in the low. */
    private final AtomicLongArray firstLoops = new AtomicLongArray(FIRST_LOOPS);

    XdpQuicDispatcher(XdpQuicRouting routing, XdpQuicInitializer codec, StatelessResets resets) {
        this.routing = routing;
        this.codec = codec;
        this.resets = resets;
        this.inboxes = new AtomicReferenceArray<>(routing.loops());
    }

    /** What the codecs' {@code localConnectionIdLength} is. */
    public int connectionIdLength() {
        return routing.connectionIds().connectionIdLength();
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) throws Exception {
        int loop = routing.loopOf(ctx.channel().eventLoop());
        Inbox inbox = new Inbox(ctx);
        if (!inboxes.compareAndSet(loop, null, inbox)) {
            throw new IllegalStateException("event loop " + loop + " has a channel with this dispatcher already: add "
                    + "a dispatcher to one channel per loop, and make one dispatcher per port");
        }
        if (codec == null) {
            return;
        }
        try {
            codec.initChannel(ctx.channel(), connectionIdLength(), routing.connectionIds().generator(loop));
            // behind the hand-overs, in front of the codec: it sees all the codec reads and writes
            ctx.pipeline().addAfter(ctx.name(), GUARD, routing.connectionLimit().amplificationGuard());
        }
        catch (Exception | Error ex) {
            inboxes.compareAndSet(loop, inbox, null);
            throw ex;
        }
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        for (int loop = 0; loop < inboxes.length(); loop++) {
            Inbox inbox = inboxes.get(loop);
            if (inbox != null && inbox.ctx == ctx) {
                inboxes.compareAndSet(loop, inbox, null);
                inbox.releaseAll();
            }
        }
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (!(msg instanceof DatagramPacket packet)) {
            ctx.fireChannelRead(msg);
            return;
        }
        int route = QuicDatagrams.route(packet.content(), routing.connectionIds(), inboxes.length());
        if (route == QuicDatagrams.LOCAL) {
            if (routing.connectionLimit().shed(packet.content())) {
                packet.release();
                return;
            }
            int here = routing.loopOf(ctx.channel().eventLoop());
            int first = firstLoop(packet, here);
            Inbox owner = (first != here) ? inboxes.get(first) : null;
            if (owner == null) {
                ctx.fireChannelRead(msg);
            }
            else {
                handOver(owner, packet);
            }
            return;
        }
        if (route == QuicDatagrams.FOREIGN) {
            routing.foreign.increment();
            if (resets != null) {
                reset(ctx, packet);
            }
            packet.release();
            return;
        }
        Inbox owner = inboxes.get(route);
        if (owner != null && owner.ctx == ctx) {
            ctx.fireChannelRead(msg);
        }
        else {
            handOver(owner, packet);
        }
    }

    /** Queues {@code packet} for {@code owner}'s loop, or drops and counts it when there is none or it is full. */
    private void handOver(Inbox owner, DatagramPacket packet) {
        if (owner == null || !owner.offer(packet)) {
            routing.handOversDropped.increment();
            packet.release();
        }
    }

    /**
     * The loop that took the first datagram with the client's ID this datagram carries, noting {@code here} as that
     * loop when none has, or when another ID took its place.
     */
    private int firstLoop(DatagramPacket packet, int here) {
        int hash = QuicDatagrams.clientIdHash(packet.content());
        if (hash == 0) {
            return here;
        }
        int place = hash & (FIRST_LOOPS - 1);
        long mine = ((long) hash << 32) | (here + 1);
        for (;;) {
            long noted = firstLoops.get(place);
            if ((int) (noted >>> 32) == hash) {
                return (int) noted - 1;
            }
            if (firstLoops.compareAndSet(place, noted, mine)) {
                return here;
            }
        }
    }

    /** Answers a QUIC short header (fixed bit set) with a stateless reset, if one may be sent now. */
    private void reset(ChannelHandlerContext ctx, DatagramPacket packet) {
        ByteBuf content = packet.content();
        if (!content.isReadable()
                || (content.getUnsignedByte(content.readerIndex()) & SHORT_HEADER_BITS) != FIXED_BIT) {
            return;
        }
        ByteBuf reset = resets.resetFor(content, connectionIdLength(), ctx.alloc());
        if (reset != null) {
            routing.statelessResets.increment();
            ctx.writeAndFlush(new DatagramPacket(reset, packet.sender(), packet.recipient()), ctx.voidPromise());
        }
    }

    @Override
    public String toString() {
        return "XdpQuicDispatcher[" + routing + "]";
    }

    /** The datagrams handed to one loop's codec, and the task that fires them there. */
    private final class Inbox implements Runnable {

        final ChannelHandlerContext ctx;

        private final ArrayBlockingQueue<DatagramPacket> packets = new ArrayBlockingQueue<>(INBOX_CAPACITY);

        /** Whether a task to drain is submitted and has not started draining yet. */
        private final AtomicBoolean scheduled = new AtomicBoolean();

        Inbox(ChannelHandlerContext ctx) {
            this.ctx = ctx;
        }

        /** Queues a datagram, from another loop; false when the queue is full or the loop is gone. */
        boolean offer(DatagramPacket packet) {
            if (!packets.offer(packet)) {
                return false;
            }
            schedule();
            return true;
        }

        private void schedule() {
            if (scheduled.compareAndSet(false, true)) {
                try {
                    ctx.executor().execute(this);
                }
                catch (RejectedExecutionException shutDown) {
                    // the loop is shutting down: nobody will read what waits
                    releaseAll();
                }
            }
        }

        @Override
        public void run() {
            // before draining: a datagram queued from now on schedules the next run
            scheduled.set(false);
            if (ctx.isRemoved()) {
                releaseAll();
                return;
            }
            int fired = 0;
            for (DatagramPacket packet = packets.poll(); packet != null; packet = packets.poll()) {
                if (ctx.channel() instanceof XdpDatagramChannel xdp && packet.recipient() != null) {
                    // the answers go from where the client sent, as they would from the loop that received it
                    xdp.answerFrom(packet.sender(), packet.recipient());
                }
                ctx.fireChannelRead(packet);
                if (++fired == BATCH) {
                    break;
                }
            }
            if (fired > 0) {
                routing.handedOver.add(fired);
                ctx.fireChannelReadComplete();
            }
            if (!packets.isEmpty()) {
                schedule();
            }
        }

        /** Gives back the frames of what waits, counted as dropped hand-overs. */
        void releaseAll() {
            for (DatagramPacket packet = packets.poll(); packet != null; packet = packets.poll()) {
                routing.handOversDropped.increment();
                packet.release();
            }
        }
    }
}
