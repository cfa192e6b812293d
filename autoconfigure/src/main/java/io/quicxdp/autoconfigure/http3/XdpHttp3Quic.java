package io.quicxdp.autoconfigure.http3;

import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.handler.codec.quic.QuicChannelOption;
import io.netty.handler.codec.quic.QuicConnectionIdGenerator;
import io.netty.handler.codec.quic.QuicResetTokenGenerator;
import io.netty.handler.codec.quic.QuicServerCodecBuilder;
import io.netty.handler.codec.quic.QuicSslContext;
import io.netty.handler.codec.quic.QuicTokenHandler;
import io.netty.handler.codec.quic.SegmentedDatagramPacketAllocator;
import io.quicxdp.netty.XdpQuic;
import java.util.ArrayList;
import java.util.List;
import java.util.function.IntFunction;
import org.jspecify.annotations.Nullable;
import org.springframework.util.Assert;

/**
 * What the HTTP/3 server builds the QUIC codec of each event loop with, beyond {@code quic.xdp.http3.*}: the TLS
 * context, how connection IDs, Retry tokens and stateless-reset tokens are made, how datagrams are handed to the
 * channel, and the handlers in front of the codec. {@link XdpHttp3QuicCustomizer} beans adjust it before the
 * server starts; changes after that do not apply.
 *
 * <p>Each event loop has one datagram channel on the HTTP/3 port, whose pipeline is the datagram counter, then the
 * handler that drops Initials past {@code quic.xdp.http3.max-handshakes}, then whatever the
 * {@linkplain #channelStep channel steps} put before the codec, then the codec ({@link #CODEC}).
 */
public final class XdpHttp3Quic {

    /** The name of the QUIC codec in each event loop's channel pipeline. */
    public static final String CODEC = "quicXdp.http3.codec";

    private final QuicSslContext sslContext;

    private final int loops;

    private @Nullable QuicTokenHandler tokenHandler;

    private @Nullable QuicResetTokenGenerator resetTokenGenerator;

    private int connectionIdLength;

    private @Nullable IntFunction<QuicConnectionIdGenerator> connectionIds;

    private @Nullable SegmentedDatagramPacketAllocator segmentedDatagrams = XdpQuic.segmentedAllocator();

    private @Nullable ByteBufAllocator datagramAllocator = XdpQuic.txFrameAllocator();

    private final List<ChannelStep> channelSteps = new ArrayList<>();

    private final List<CodecStep> codecSteps = new ArrayList<>();

    private final List<ChannelHandler> connectionHandlers = new ArrayList<>();

    /**
     * @param sslContext the server's TLS, shared by every loop's codec
     * @param loops how many event loops the server runs on
     * @param tokenHandler the Retry token handler, or {@code null} for no Retry
     */
    XdpHttp3Quic(QuicSslContext sslContext, int loops, @Nullable QuicTokenHandler tokenHandler) {
        this.sslContext = sslContext;
        this.loops = loops;
        this.tokenHandler = tokenHandler;
    }

    /**
     * The server's TLS context, shared by every loop's codec: its session-ticket keys can be set (and set again to
     * rotate them) through {@code sslContext().sessionContext().setTicketKeys(...)}. They are made at random at
     * start-up unless a customizer sets its own.
     */
    public QuicSslContext sslContext() {
        return this.sslContext;
    }

    /** How many event loops the server runs on: each has its own channel and codec, numbered from 0. */
    public int loops() {
        return this.loops;
    }

    /**
     * Validates new clients' addresses with a Retry carrying a token from {@code tokenHandler}, on every loop; with
     * {@code quic.xdp.http3.retry} on, a handler keyed at random for this process is set at first. {@code null}
     * sends no Retry. Each token written counts in {@link Http3State#retriesSent()}.
     */
    public XdpHttp3Quic tokenHandler(@Nullable QuicTokenHandler tokenHandler) {
        this.tokenHandler = tokenHandler;
        return this;
    }

    /** The Retry token handler, or {@code null} when no Retry is sent. */
    public @Nullable QuicTokenHandler tokenHandler() {
        return this.tokenHandler;
    }

    /**
     * Makes the stateless-reset tokens of every loop's connection IDs; {@code null} keeps Netty's default (keyed per
     * process).
     */
    public XdpHttp3Quic resetTokenGenerator(@Nullable QuicResetTokenGenerator resetTokenGenerator) {
        this.resetTokenGenerator = resetTokenGenerator;
        return this;
    }

    /** The stateless-reset token generator, or {@code null} for Netty's default. */
    public @Nullable QuicResetTokenGenerator resetTokenGenerator() {
        return this.resetTokenGenerator;
    }

    /**
     * Issues the server's connection IDs, {@code length} bytes long, on each event loop from
     * {@code generators.apply(loop)} (called once per loop as the server starts), so that an ID can say which loop
     * (or which server) holds its connection. Netty's random IDs of 20 bytes otherwise.
     *
     * @throws IllegalArgumentException if {@code length} is not from 1 to 20
     */
    public XdpHttp3Quic connectionIds(int length, IntFunction<QuicConnectionIdGenerator> generators) {
        Assert.isTrue(length >= 1 && length <= 20, "A QUIC connection ID has 1 to 20 bytes, not " + length);
        this.connectionIdLength = length;
        this.connectionIds = generators;
        return this;
    }

    /** What makes each loop's connection ID generator, or {@code null} for Netty's random IDs. */
    @Nullable IntFunction<QuicConnectionIdGenerator> connectionIdGenerators() {
        return this.connectionIds;
    }

    /**
     * Lets the codec hand the channel several datagrams to one peer as one packet, made by {@code allocator}
     * ({@code QuicChannelOption.SEGMENTED_DATAGRAM_PACKET_ALLOCATOR}); {@code null}, one write per datagram. By
     * default {@link XdpQuic#segmentedAllocator()}: a turn's datagrams to a client leave as one batch.
     */
    public XdpHttp3Quic segmentedDatagrams(@Nullable SegmentedDatagramPacketAllocator allocator) {
        this.segmentedDatagrams = allocator;
        return this;
    }

    /**
     * Where the codec has quiche write each datagram: the QUIC connections' {@code ChannelOption.ALLOCATOR}. By
     * default {@link XdpQuic#txFrameAllocator()}, whose buffers are TX frames of the loop's queue, so that a
     * datagram is sent from where quiche wrote it; {@code null}, Netty's default allocator (each datagram copied
     * into a TX frame as it is sent).
     */
    public XdpHttp3Quic datagramAllocator(@Nullable ByteBufAllocator allocator) {
        this.datagramAllocator = allocator;
        return this;
    }

    /**
     * Adds a step to the set-up of every event loop's channel, run once the codec is in its pipeline: the place for
     * handlers in front of the codec ({@code pipeline.addBefore(XdpHttp3Quic.CODEC, ...)}), such as a dispatcher
     * that hands a connection's packets to the loop that holds it. Steps run in the order added.
     */
    public XdpHttp3Quic channelStep(ChannelStep step) {
        this.channelSteps.add(step);
        return this;
    }

    /**
     * Adds a change to the codec builder of every event loop, made after the server's own settings and the hooks
     * above: for what they do not cover (congestion control, UDP payload sizes, ...). The codec's connection and
     * stream handlers are the server's and are set after these.
     */
    public XdpHttp3Quic codecStep(CodecStep step) {
        this.codecSteps.add(step);
        return this;
    }

    /**
     * Adds {@code handler} to the pipeline of every QUIC connection, in front of the server's own handlers: for
     * what watches connections (their events, such as a peer's migration), not their request streams. It must be
     * {@link ChannelHandler.Sharable} or a {@link ChannelInitializer}. Handlers go in the order added.
     */
    public XdpHttp3Quic connectionHandler(ChannelHandler handler) {
        this.connectionHandlers.add(handler);
        return this;
    }

    /** The codec's connection handler: the {@linkplain #connectionHandler added handlers}, then {@code server}. */
    ChannelHandler connectionPipeline(ChannelHandler server) {
        if (this.connectionHandlers.isEmpty()) {
            return server;
        }
        ChannelHandler[] handlers = this.connectionHandlers.toArray(ChannelHandler[]::new);
        return new ConnectionPipeline(handlers, server);
    }

    /**
     * Applies the hooks to the codec builder of the loop numbered {@code loop}, with {@code tokens} standing for
     * the token handler (the server's count of the Retry packets around it).
     */
    void configure(QuicServerCodecBuilder codec, int loop, @Nullable QuicTokenHandler tokens) {
        codec.sslContext(this.sslContext).tokenHandler(tokens).resetTokenGenerator(this.resetTokenGenerator);
        if (this.connectionIds != null) {
            QuicConnectionIdGenerator generator = this.connectionIds.apply(loop);
            if (generator.maxConnectionIdLength() < this.connectionIdLength) {
                throw new IllegalStateException("The connection ID generator of event loop " + loop + " makes IDs of "
                        + generator.maxConnectionIdLength() + " bytes at most, not " + this.connectionIdLength);
            }
            codec.localConnectionIdLength(this.connectionIdLength).connectionIdAddressGenerator(generator);
        }
        if (this.segmentedDatagrams != null) {
            codec.option(QuicChannelOption.SEGMENTED_DATAGRAM_PACKET_ALLOCATOR, this.segmentedDatagrams);
        }
        if (this.datagramAllocator != null) {
            codec.option(ChannelOption.ALLOCATOR, this.datagramAllocator);
        }
        for (CodecStep step : this.codecSteps) {
            step.configure(loop, codec);
        }
    }

    /** Runs the channel steps on the channel of the loop numbered {@code loop}. */
    void initChannel(int loop, Channel channel) throws Exception {
        for (ChannelStep step : this.channelSteps) {
            step.initChannel(loop, channel);
        }
    }

    /** Puts the added connection handlers and then the server's on each new QUIC connection. */
    @ChannelHandler.Sharable
    private static final class ConnectionPipeline extends ChannelInitializer<Channel> {

        private final ChannelHandler[] handlers;

        private final ChannelHandler server;

        ConnectionPipeline(ChannelHandler[] handlers, ChannelHandler server) {
            this.handlers = handlers;
            this.server = server;
        }

        @Override
        protected void initChannel(Channel connection) {
            connection.pipeline().addLast(this.handlers).addLast(this.server);
        }
    }

    /** A step in the set-up of each event loop's channel. */
    @FunctionalInterface
    public interface ChannelStep {

        /**
         * Sets up the channel of one event loop.
         *
         * @param loop the loop's number, from 0 to {@link XdpHttp3Quic#loops()} - 1
         * @param channel the loop's datagram channel, its codec in place ({@link XdpHttp3Quic#CODEC}), not yet bound
         * @throws Exception to fail the server's start
         */
        void initChannel(int loop, Channel channel) throws Exception;
    }

    /** A change to the codec builder of each event loop. */
    @FunctionalInterface
    public interface CodecStep {

        /**
         * Changes the codec builder of one event loop.
         *
         * @param loop the loop's number, from 0 to {@link XdpHttp3Quic#loops()} - 1
         * @param codec the builder, with the server's settings and the hooks applied
         */
        void configure(int loop, QuicServerCodecBuilder codec);
    }
}
