package io.quicxdp.netty;

import io.netty.buffer.ByteBuf;
import io.netty.channel.AbstractChannel;
import io.netty.channel.AddressedEnvelope;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelMetadata;
import io.netty.channel.ChannelOutboundBuffer;
import io.netty.channel.ChannelPromise;
import io.netty.channel.DefaultChannelPipeline;
import io.netty.channel.EventLoop;
import io.netty.channel.IoEvent;
import io.netty.channel.IoEventLoop;
import io.netty.channel.IoRegistration;
import io.netty.channel.socket.DatagramChannel;
import io.netty.channel.socket.DatagramPacket;
import io.netty.util.internal.StringUtil;
import io.quicxdp.datapath.DatagramBatch;
import io.quicxdp.datapath.DatagramHandler;
import io.quicxdp.datapath.ReceivedDatagram;
import io.quicxdp.datapath.UdpEndpoint;
import io.quicxdp.datapath.UdpPeer;
import io.quicxdp.datapath.driver.QueueDriver;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.NetworkInterface;
import java.net.SocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A Netty {@link DatagramChannel} on the XDP datapath: registered on an event loop of
 * {@link XdpIoHandlerFactory}, bound on that loop's queues, reading and writing through their UMEM frames.
 *
 * <p>Reads are {@link DatagramPacket}s whose recipient is the datagram's real destination and whose content
 * is the payload in place in its UMEM frame (no copy, writable); releasing it, on any thread, gives the
 * frame back to its queue. {@code channelReadComplete} fires once per turn of the loop's queues. Writes of
 * {@link DatagramPacket} or {@code AddressedEnvelope<ByteBuf, InetSocketAddress>} (and {@link ByteBuf} when
 * connected) are copied into TX frames with their checksums, and their promise completes once the frame
 * is on the TX ring; an {@link XdpSegmentedDatagramPacket} goes as one batch of datagrams, its promise complete
 * once the last is on the TX ring; when the TX frames run out the writes wait for the next turn, and writability follows
 * the outbound buffer's water marks. A datagram written into a buffer of {@link XdpTxFrameAllocator} on this
 * channel's loop is not copied: its TX frame goes on the ring, headers written in front of it.
 *
 * <p>A channel receives only the datagrams of its own loop's queues: to serve a port on every queue, bind
 * one channel per loop, as with {@code SO_REUSEPORT} ({@link XdpChannels#bindEveryLoop}). The first datagram
 * to an address never heard from waits on the loop for the next hop's resolution (at most the datapath's
 * neighbour timeout); answers to senders go straight out.
 */
public final class XdpDatagramChannel extends AbstractChannel implements DatagramChannel {

    private static final ChannelMetadata METADATA = new ChannelMetadata(true, 64);

    /** Beyond this many remembered peers, the map starts afresh rather than grow without end. */
    private static final int MAX_PEERS = 65536;

    private final XdpDatagramChannelConfig config;

    private final List<UdpEndpoint> endpoints = new ArrayList<>();

    /** Where to send, by address: learned from received datagrams (their sender's MAC and queue) or looked up. */
    private final Map<InetSocketAddress, UdpPeer> peers = new HashMap<>();

    private volatile boolean open = true;

    private volatile InetSocketAddress local;

    private volatile InetSocketAddress remote;

    private IoRegistration registration;

    private XdpIoHandler loop;

    private boolean readPending;

    private boolean readInTurn;

    private boolean writePending;

    /** The packet being read, while the pipeline handles it on this loop. */
    private FramePacket reading;

    /** The segmented packet being written, as the datapath takes a batch; reused. */
    private final Segments segments = new Segments();

    /** Creates an unregistered channel; register it on a loop of an {@link XdpIoHandlerFactory} group. */
    public XdpDatagramChannel() {
        super(null);
        this.config = new XdpDatagramChannelConfig(this);
    }

    @Override
    public XdpDatagramChannelConfig config() {
        return config;
    }

    @Override
    public ChannelMetadata metadata() {
        return METADATA;
    }

    @Override
    public boolean isOpen() {
        return open;
    }

    @Override
    public boolean isActive() {
        return open && local != null;
    }

    @Override
    public boolean isConnected() {
        return remote != null;
    }

    @Override
    public InetSocketAddress localAddress() {
        return (InetSocketAddress) super.localAddress();
    }

    @Override
    public InetSocketAddress remoteAddress() {
        return (InetSocketAddress) super.remoteAddress();
    }

    @Override
    protected SocketAddress localAddress0() {
        return local;
    }

    @Override
    protected SocketAddress remoteAddress0() {
        return remote;
    }

    @Override
    protected boolean isCompatible(EventLoop loop) {
        return loop instanceof IoEventLoop ioLoop && ioLoop.isCompatible(XdpUnsafe.class);
    }

    @Override
    protected AbstractUnsafe newUnsafe() {
        return new XdpUnsafe();
    }

    @Override
    protected void doRegister(ChannelPromise promise) {
        ((IoEventLoop) eventLoop()).register((XdpUnsafe) unsafe()).addListener(future -> {
            if (future.isSuccess()) {
                registration = (IoRegistration) future.getNow();
                loop = registration.attachment();
                promise.setSuccess();
            }
            else {
                promise.setFailure(future.cause());
            }
        });
    }

    @Override
    protected void doDeregister() {
        if (registration != null) {
            registration.cancel();
        }
    }

    @Override
    protected void doBind(SocketAddress localAddress) {
        InetSocketAddress address = (InetSocketAddress) localAddress;
        if (address.isUnresolved()) {
            throw new IllegalArgumentException("cannot bind to the unresolved address " + address);
        }
        int port = address.getPort();
        try {
            for (QueueDriver queue : loop.queues()) {
                UdpEndpoint endpoint = loop.datapath().bind(new InetSocketAddress(address.getAddress(), port),
                        new Reader(queue), queue);
                endpoints.add(endpoint);
                // port 0 took an ephemeral port on the first queue: the others serve the same one
                port = endpoint.localAddress().getPort();
            }
        }
        catch (RuntimeException ex) {
            closeEndpoints();
            throw ex;
        }
        local = endpoints.get(0).localAddress();
    }

    @Override
    protected void doDisconnect() {
        remote = null;
    }

    @Override
    protected void doClose() {
        open = false;
        closeEndpoints();
    }

    private void closeEndpoints() {
        endpoints.forEach(UdpEndpoint::close);
        endpoints.clear();
    }

    @Override
    protected void doBeginRead() {
        readPending = true;
    }

    @Override
    protected Object filterOutboundMessage(Object msg) {
        if (msg instanceof DatagramPacket packet) {
            return checkRecipient(packet.recipient(), msg);
        }
        if (msg instanceof AddressedEnvelope<?, ?> envelope && envelope.content() instanceof ByteBuf
                && envelope.recipient() instanceof InetSocketAddress recipient) {
            return checkRecipient(recipient, msg);
        }
        if (msg instanceof ByteBuf && remote != null) {
            return msg;
        }
        throw new UnsupportedOperationException("unsupported message type: " + StringUtil.simpleClassName(msg)
                + " (expected DatagramPacket, AddressedEnvelope<ByteBuf, InetSocketAddress>, or ByteBuf when connected)");
    }

    private static Object checkRecipient(InetSocketAddress recipient, Object msg) {
        if (recipient.isUnresolved()) {
            throw new IllegalArgumentException("cannot send to the unresolved address " + recipient);
        }
        return msg;
    }

    @Override
    protected void doWrite(ChannelOutboundBuffer in) throws Exception {
        if (!isActive()) {
            throw new ClosedChannelException();
        }
        for (Object msg = in.current(); msg != null; msg = in.current()) {
            boolean sent;
            try {
                if (msg instanceof XdpSegmentedDatagramPacket segmented) {
                    sent = sendSegments(segmented, in);
                }
                else if (msg instanceof AddressedEnvelope<?, ?> envelope) {
                    sent = send((InetSocketAddress) envelope.recipient(), (ByteBuf) envelope.content());
                }
                else {
                    sent = send(remote, (ByteBuf) msg);
                }
            }
            catch (RuntimeException ex) {
                // a datagram that cannot go (too large, no route) fails alone; the channel goes on
                in.remove(ex);
                continue;
            }
            if (!sent) {
                // every TX frame is in flight: the next turn of the loop tries again
                writePending = true;
                return;
            }
            in.remove();
        }
        writePending = false;
    }

    private boolean send(InetSocketAddress to, ByteBuf content) {
        if (!content.isReadable()) {
            // nothing goes on the wire, as with NIO and epoll: Netty's QUIC codec writes an empty datagram to a
            // connection's peer as it closes, only to learn when the writes before it are done
            return true;
        }
        UdpPeer peer = peer(to);
        int length = content.readableBytes();
        if (length > 0) {
            segments.set(content, length);
            try {
                if (segments.lender(0) != null) {
                    // written into a TX frame: it goes from there, as a batch of one
                    return endpoints.get(0).send(peer, segments, 0) == 1;
                }
            }
            finally {
                segments.set(null, 1);
            }
        }
        ByteBuffer payload = content.nioBufferCount() == 1
                ? content.internalNioBuffer(content.readerIndex(), content.readableBytes())
                : content.nioBuffer();
        return endpoints.get(0).send(peer, payload);
    }

    /**
     * Sends what is left of a segmented packet as one batch; on back-pressure the datagrams that went are
     * skipped, so that the next turn sends the rest.
     *
     * @return whether all of it went
     */
    private boolean sendSegments(XdpSegmentedDatagramPacket packet, ChannelOutboundBuffer in) {
        ByteBuf content = packet.content();
        segments.set(content, packet.segmentSize());
        int count = segments.count();
        int sent;
        try {
            sent = endpoints.get(0).send(peer(packet.recipient()), segments, 0);
        }
        finally {
            segments.set(null, 1);
        }
        if (sent == count) {
            return true;
        }
        int bytes = sent * packet.segmentSize();
        content.skipBytes(bytes);
        in.progress(bytes);
        return false;
    }

    /**
     * Answers to {@code sender} leave from {@code recipient}'s address, the one it sent to, even before this
     * channel has heard from it: for a datagram that another loop's channel received and handed to this one
     * ({@code XdpQuicDispatcher} does). Without, the first answer would leave from the source address of the
     * kernel's route to the sender, which is not the one it sent to where the host serves an address on its
     * loopback behind a load balancer. Call it on this channel's event loop.
     */
    public void answerFrom(InetSocketAddress sender, InetSocketAddress recipient) {
        UdpPeer peer = peer(sender);
        if (!peer.answersFromWhereItSent()) {
            peer.answerFrom(recipient.getAddress());
        }
    }

    /** The peer kept for {@code address}, made the first time it is seen. */
    private UdpPeer peer(InetSocketAddress address) {
        UdpPeer peer = peers.get(address);
        if (peer == null) {
            if (peers.size() >= MAX_PEERS) {
                peers.clear();
            }
            peer = UdpPeer.of(address);
            peers.put(address, peer);
        }
        return peer;
    }

    /** A datagram for this channel from one of its queues, on the loop thread. */
    private void read(Reader reader, ReceivedDatagram datagram) {
        if (!open || (!readPending && !config.isAutoRead())) {
            // not reading: like a full socket buffer, the datagram is dropped
            return;
        }
        InetSocketAddress sender = datagram.sourceAddress();
        InetSocketAddress connected = remote;
        if (connected != null && !connected.equals(sender)) {
            return;
        }
        datagram.copySourceTo(peer(sender));
        // the descriptor's address points into the frame, past the kernel's headroom
        long frame = reader.queue.retain() & reader.frameMask;
        ByteBuffer payload = datagram.payload();
        FramePacket packet = reader.packet(frame, payload.position() - (int) frame)
                .addresses(sender, datagram.destinationAddress());
        ((FrameBuf) packet.content()).reuse(payload.remaining());
        readPending = false;
        readInTurn = true;
        reading = packet;
        try {
            pipeline().fireChannelRead(packet);
        }
        finally {
            reading = null;
        }
    }

    @Override
    protected DefaultChannelPipeline newChannelPipeline() {
        return new DefaultChannelPipeline(this) {
            @Override
            protected void onUnhandledInboundException(Throwable cause) {
                // a handler threw while reading the packet and no handler took care of it: a handler that throws
                // releases nothing, and a frame never released is lost to its queue for good. Hostile input can
                // make a codec throw, so the frame goes back unless something still shares it.
                FramePacket leaked = reading;
                if (leaked != null && leaked.refCnt() == 1) {
                    reading = null;
                    leaked.release();
                }
                super.onUnhandledInboundException(cause);
            }
        };
    }

    private void turnComplete() {
        if (readInTurn) {
            readInTurn = false;
            pipeline().fireChannelReadComplete();
        }
        if (writePending) {
            ((XdpUnsafe) unsafe()).retryWrites();
            if (writePending) {
                loop.writesWaiting();
            }
        }
    }

    private static ChannelFuture noMulticast(ChannelPromise promise) {
        return promise.setFailure(new UnsupportedOperationException(
                "an XDP datagram channel has no multicast: the datapath receives what the XDP program redirects"));
    }

    @Override
    public ChannelFuture joinGroup(InetAddress multicastAddress) {
        return joinGroup(multicastAddress, newPromise());
    }

    @Override
    public ChannelFuture joinGroup(InetAddress multicastAddress, ChannelPromise promise) {
        return noMulticast(promise);
    }

    @Override
    public ChannelFuture joinGroup(InetSocketAddress multicastAddress, NetworkInterface networkInterface) {
        return joinGroup(multicastAddress, networkInterface, newPromise());
    }

    @Override
    public ChannelFuture joinGroup(InetSocketAddress multicastAddress, NetworkInterface networkInterface,
            ChannelPromise promise) {
        return noMulticast(promise);
    }

    @Override
    public ChannelFuture joinGroup(InetAddress multicastAddress, NetworkInterface networkInterface,
            InetAddress source) {
        return joinGroup(multicastAddress, networkInterface, source, newPromise());
    }

    @Override
    public ChannelFuture joinGroup(InetAddress multicastAddress, NetworkInterface networkInterface,
            InetAddress source, ChannelPromise promise) {
        return noMulticast(promise);
    }

    @Override
    public ChannelFuture leaveGroup(InetAddress multicastAddress) {
        return leaveGroup(multicastAddress, newPromise());
    }

    @Override
    public ChannelFuture leaveGroup(InetAddress multicastAddress, ChannelPromise promise) {
        return noMulticast(promise);
    }

    @Override
    public ChannelFuture leaveGroup(InetSocketAddress multicastAddress, NetworkInterface networkInterface) {
        return leaveGroup(multicastAddress, networkInterface, newPromise());
    }

    @Override
    public ChannelFuture leaveGroup(InetSocketAddress multicastAddress, NetworkInterface networkInterface,
            ChannelPromise promise) {
        return noMulticast(promise);
    }

    @Override
    public ChannelFuture leaveGroup(InetAddress multicastAddress, NetworkInterface networkInterface,
            InetAddress source) {
        return leaveGroup(multicastAddress, networkInterface, source, newPromise());
    }

    @Override
    public ChannelFuture leaveGroup(InetAddress multicastAddress, NetworkInterface networkInterface,
            InetAddress source, ChannelPromise promise) {
        return noMulticast(promise);
    }

    @Override
    public ChannelFuture block(InetAddress multicastAddress, NetworkInterface networkInterface,
            InetAddress sourceToBlock) {
        return block(multicastAddress, networkInterface, sourceToBlock, newPromise());
    }

    @Override
    public ChannelFuture block(InetAddress multicastAddress, NetworkInterface networkInterface,
            InetAddress sourceToBlock, ChannelPromise promise) {
        return noMulticast(promise);
    }

    @Override
    public ChannelFuture block(InetAddress multicastAddress, InetAddress sourceToBlock) {
        return block(multicastAddress, sourceToBlock, newPromise());
    }

    @Override
    public ChannelFuture block(InetAddress multicastAddress, InetAddress sourceToBlock, ChannelPromise promise) {
        return noMulticast(promise);
    }

    /**
     * The channel's handler on one queue, with a buffer and a packet for each receive frame and payload
     * offset within it (one per IP version, as a rule), made the first time they occur, so that reading
     * allocates nothing once the frames have been round.
     */
    private final class Reader implements DatagramHandler {

        /** Payload offsets remembered per frame: IPv4 and IPv6 without options. */
        private static final int OFFSETS_PER_FRAME = 2;

        final QueueDriver queue;

        final long frameMask;

        private final FramePacket[] packets;

        private final int frameShift;

        Reader(QueueDriver queue) {
            this.queue = queue;
            this.frameShift = Integer.numberOfTrailingZeros(queue.frameSize());
            this.frameMask = ~((long) queue.frameSize() - 1);
            this.packets = new FramePacket[queue.receiveFrames() * OFFSETS_PER_FRAME];
        }

        @Override
        public void onDatagram(ReceivedDatagram datagram) {
            read(this, datagram);
        }

        /** The packet of {@code frame} whose buffer starts {@code offset} bytes into it. */
        FramePacket packet(long frame, int offset) {
            int first = (int) (frame >>> frameShift) * OFFSETS_PER_FRAME;
            for (int slot = first; slot < first + OFFSETS_PER_FRAME; slot++) {
                FramePacket packet = packets[slot];
                if (packet == null || ((FrameBuf) packet.content()).offset() == offset) {
                    if (packet == null) {
                        packet = new FramePacket(new FrameBuf(queue, frame, offset));
                        packets[slot] = packet;
                    }
                    return packet;
                }
            }
            // a third offset for this frame (IP options, extension headers): it replaces the second
            FramePacket packet = new FramePacket(new FrameBuf(queue, frame, offset));
            packets[first + OFFSETS_PER_FRAME - 1] = packet;
            return packet;
        }
    }

    /**
     * A segmented packet's content as a batch of datagrams, each {@code segmentSize} bytes but the last. A datagram
     * written into a TX frame ({@link XdpTxFrameAllocator}) and lying whole in it, its buffer's only reference, is
     * offered to the datapath in place.
     */
    private static final class Segments extends DatagramBatch {

        /** Finds the TX frame a datagram lies in; the datapath asks about one datagram at a time. */
        private final PayloadProbe probe = new PayloadProbe();

        private ByteBuf content;

        private int segmentSize;

        /**
         * The datagram last probed, or -1; and what was found: a buffer in a TX frame holding it or part of it, and
         * whether it holds it whole, from where.
         */
        private int probed = -1;

        private TxFrameBuf frameBuffer;

        private boolean whole;

        private int frameIndex;

        void set(ByteBuf content, int segmentSize) {
            this.content = content;
            this.segmentSize = segmentSize;
            this.probed = -1;
            this.frameBuffer = null;
        }

        private TxFrameBuf frameBuffer(int index) {
            if (probed != index) {
                probed = index;
                frameBuffer = probe.find(content, content.readerIndex() + index * segmentSize, length(index));
                whole = probe.whole();
                frameIndex = probe.index();
            }
            return frameBuffer;
        }

        @Override
        public QueueDriver lender(int index) {
            TxFrameBuf buffer = frameBuffer(index);
            return buffer == null ? null : buffer.owner().queue();
        }

        @Override
        public long inPlace(int index) {
            TxFrameBuf buffer = frameBuffer(index);
            // a buffer someone else still references is not handed to the kernel under them
            return buffer != null && whole && buffer.inFrame() && buffer.refCnt() == 1
                    ? buffer.owner().payloadAt(buffer.frame()) + frameIndex : NOT_IN_PLACE;
        }

        @Override
        protected void sentInPlace(int index) {
            frameBuffer(index).sent();
        }

        @Override
        public int count() {
            return (content.readableBytes() + segmentSize - 1) / segmentSize;
        }

        @Override
        public int length(int index) {
            return Math.min(segmentSize, content.readableBytes() - index * segmentSize);
        }

        @Override
        public void copyTo(int index, ByteBuffer target) {
            content.getBytes(content.readerIndex() + index * segmentSize, target);
        }
    }

    /** The channel's I/O handle on its loop. */
    private final class XdpUnsafe extends AbstractUnsafe implements XdpIoHandle {

        @Override
        public void connect(SocketAddress remoteAddress, SocketAddress localAddress, ChannelPromise promise) {
            if (!promise.setUncancellable() || !ensureOpen(promise)) {
                return;
            }
            try {
                InetSocketAddress target = (InetSocketAddress) remoteAddress;
                if (target.isUnresolved()) {
                    throw new IllegalArgumentException("cannot connect to the unresolved address " + target);
                }
                boolean wasActive = isActive();
                if (local == null) {
                    doBind(localAddress != null ? localAddress : new InetSocketAddress(0));
                }
                remote = target;
                promise.setSuccess();
                if (!wasActive && isActive()) {
                    pipeline().fireChannelActive();
                }
            }
            catch (RuntimeException ex) {
                promise.setFailure(ex);
                closeIfClosed();
            }
        }

        @Override
        public void handle(IoRegistration registration, IoEvent event) {
            turnComplete();
        }

        void retryWrites() {
            writePending = false;
            flush0();
        }

        @Override
        public void close() {
            close(voidPromise());
        }

        @Override
        public String toString() {
            return "XdpUnsafe[" + XdpDatagramChannel.this + "]";
        }
    }
}
