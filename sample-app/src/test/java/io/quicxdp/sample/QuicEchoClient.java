package io.quicxdp.sample;

import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.channel.socket.ChannelInputShutdownReadComplete;
import io.netty.channel.socket.nio.NioDatagramChannel;
import io.netty.handler.codec.quic.QuicChannel;
import io.netty.handler.codec.quic.QuicClientCodecBuilder;
import io.netty.handler.codec.quic.QuicConnectionCloseEvent;
import io.netty.handler.codec.quic.QuicSslContext;
import io.netty.handler.codec.quic.QuicStreamChannel;
import io.netty.handler.codec.quic.QuicStreamType;
import io.netty.util.concurrent.DefaultThreadFactory;
import io.netty.util.concurrent.Promise;
import io.quicxdp.datapath.sandbox.NetworkNamespaces;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Netty's QUIC client over an ordinary socket in the sandbox's network namespace, where the demo burst comes
 * from: one event loop whose thread has entered the namespace, and every socket created on that thread.
 */
final class QuicEchoClient implements AutoCloseable {

    private final MultiThreadIoEventLoopGroup loops;

    private final QuicSslContext tls;

    private final Channel datagrams;

    /** Opens the client's UDP socket inside {@code namespace} (a name under /var/run/netns). */
    QuicEchoClient(String namespace, QuicSslContext tls) throws Exception {
        this.loops = new MultiThreadIoEventLoopGroup(1, inNamespace(namespace), NioIoHandler.newFactory());
        this.tls = tls;
        try {
            EventLoop loop = this.loops.next();
            // a socket belongs to the namespace of the thread that creates it: the loop's
            ChannelFuture bound = loop.submit(() -> new Bootstrap().group(loop)
                .channel(NioDatagramChannel.class)
                .handler(new QuicClientCodecBuilder().sslContext(this.tls)
                    .maxIdleTimeout(10, TimeUnit.SECONDS)
                    .initialMaxData(16 << 20)
                    // a small window: the echo of a longer stream has to wait for this side to read
                    .initialMaxStreamDataBidirectionalLocal(64 << 10)
                    .build())
                .bind(new InetSocketAddress(0))).get(10, TimeUnit.SECONDS);
            bound.get(10, TimeUnit.SECONDS);
            this.datagrams = bound.channel();
        }
        catch (Exception | Error ex) {
            this.loops.shutdownGracefully(0, 2, TimeUnit.SECONDS);
            throw ex;
        }
    }

    private static ThreadFactory inNamespace(String namespace) {
        DefaultThreadFactory threads = new DefaultThreadFactory("quic-echo-client-" + namespace);
        return (task) -> threads.newThread(() -> {
            try {
                NetworkNamespaces.enter("/var/run/netns/" + namespace);
            }
            catch (IOException ex) {
                throw new UncheckedIOException(ex);
            }
            task.run();
        });
    }

    /** Connects to {@code server}, failing when the handshake does not complete within 10 seconds. */
    QuicChannel connect(InetSocketAddress server) throws Exception {
        return QuicChannel.newBootstrap(this.datagrams)
            .handler(new ChannelInboundHandlerAdapter())
            .streamHandler(new ChannelInboundHandlerAdapter())
            .remoteAddress(server)
            .connect()
            .get(10, TimeUnit.SECONDS);
    }

    /**
     * Connects to {@code server} and returns how the server closed the connection, during its handshake or just
     * after; fails when it did not within 10 seconds.
     */
    QuicConnectionCloseEvent closedByServer(InetSocketAddress server) throws Exception {
        CompletableFuture<QuicConnectionCloseEvent> closed = new CompletableFuture<>();
        QuicChannel.newBootstrap(this.datagrams).handler(new ChannelInboundHandlerAdapter() {
            @Override
            public void userEventTriggered(ChannelHandlerContext ctx, Object event) {
                if (event instanceof QuicConnectionCloseEvent close) {
                    closed.complete(close);
                }
                ctx.fireUserEventTriggered(event);
            }
        }).streamHandler(new ChannelInboundHandlerAdapter()).remoteAddress(server).connect();
        return closed.get(10, TimeUnit.SECONDS);
    }

    /**
     * Opens a bidirectional stream on {@code connection}, sends {@code payload} and finishes its side. The
     * echo completes with what came back once at least as many bytes did; it fails when the stream ends or
     * fails before.
     *
     * <p>It does not wait for the server's FIN: with Netty's QUIC client (4.2.18) the FIN of a short echo
     * never reaches the stream's pipeline now and then (in runs of 60 each here: a quarter of the 1 B echoes,
     * one in twelve of the 1 KiB ones, none of the 64 KiB ones), although the server sent it after the data.
     * A FIN that arrives early fails the echo.
     */
    static Echo echo(QuicChannel connection, byte[] payload) throws Exception {
        Collect collect = new Collect(payload.length, connection.eventLoop().newPromise());
        QuicStreamChannel stream = connection.newStreamBootstrap()
            .type(QuicStreamType.BIDIRECTIONAL)
            .option(ChannelOption.ALLOW_HALF_CLOSURE, true)
            .handler(collect)
            .create()
            .get(10, TimeUnit.SECONDS);
        stream.writeAndFlush(Unpooled.wrappedBuffer(payload)).addListener(QuicStreamChannel.SHUTDOWN_OUTPUT);
        return new Echo(collect);
    }

    /** Closes the socket and stops the loop. */
    @Override
    public void close() {
        this.datagrams.close().awaitUninterruptibly(5, TimeUnit.SECONDS);
        this.loops.shutdownGracefully(0, 2, TimeUnit.SECONDS).awaitUninterruptibly(10, TimeUnit.SECONDS);
    }

    /** One stream's echo. */
    static final class Echo {

        private final Collect collect;

        private Echo(Collect collect) {
            this.collect = collect;
        }

        /** What came back, or a failure that says how far the stream got when it did not end in time. */
        byte[] get(long timeout, TimeUnit unit) throws Exception {
            try {
                return this.collect.back.get(timeout, unit);
            }
            catch (TimeoutException ex) {
                throw new AssertionError("the echo did not end within " + timeout + " " + unit + ": "
                        + this.collect.received.size() + " of " + this.collect.expected + " bytes back", ex);
            }
        }
    }

    /** Collects a stream's bytes until as many came back as were sent. */
    private static final class Collect extends ChannelInboundHandlerAdapter {

        private final int expected;

        private final Promise<byte[]> back;

        private final ByteArrayOutputStream received = new ByteArrayOutputStream();

        Collect(int expected, Promise<byte[]> back) {
            this.expected = expected;
            this.back = back;
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            ByteBuf data = (ByteBuf) msg;
            try {
                data.readBytes(this.received, data.readableBytes());
                if (this.received.size() >= this.expected) {
                    this.back.trySuccess(this.received.toByteArray());
                }
            }
            catch (IOException ex) {
                this.back.tryFailure(ex);
            }
            finally {
                data.release();
            }
        }

        @Override
        public void userEventTriggered(ChannelHandlerContext ctx, Object event) {
            if (event instanceof ChannelInputShutdownEvent || event == ChannelInputShutdownReadComplete.INSTANCE) {
                this.back.tryFailure(new IllegalStateException("the server finished the stream after "
                        + this.received.size() + " of " + this.expected + " bytes"));
            }
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            this.back.tryFailure(cause);
            ctx.close();
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            this.back.tryFailure(new IllegalStateException("the stream closed after " + this.received.size()
                    + " of " + this.expected + " bytes"));
        }
    }
}
