package io.quicxdp.autoconfigure.http3;

import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.ChannelInputShutdownReadComplete;
import io.netty.channel.socket.nio.NioDatagramChannel;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpStatusClass;
import io.netty.handler.codec.http3.DefaultHttp3DataFrame;
import io.netty.handler.codec.http3.DefaultHttp3Headers;
import io.netty.handler.codec.http3.DefaultHttp3HeadersFrame;
import io.netty.handler.codec.http3.Http3;
import io.netty.handler.codec.http3.Http3ClientConnectionHandler;
import io.netty.handler.codec.http3.Http3DataFrame;
import io.netty.handler.codec.http3.Http3Headers;
import io.netty.handler.codec.http3.Http3HeadersFrame;
import io.netty.handler.codec.quic.QuicChannel;
import io.netty.handler.codec.quic.QuicSslContext;
import io.netty.handler.codec.quic.QuicSslContextBuilder;
import io.netty.handler.codec.quic.QuicStreamChannel;
import io.netty.handler.codec.quic.QuicStreamResetException;
import io.netty.handler.ssl.util.InsecureTrustManagerFactory;
import io.netty.util.AsciiString;
import io.netty.util.ReferenceCountUtil;
import io.quicxdp.datapath.testing.VethNamespace;
import java.io.ByteArrayOutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

/**
 * An HTTP/3 client on Netty's codecs, its socket in the peer namespace, that sends what a test tells it to, frame
 * by frame: fields a library client would refuse to send, a body in parts and at its own pace, trailers, a reset.
 * It reports the response as it came: informational responses, the final HEADERS, the body, or the reset.
 */
final class RawHttp3Client implements AutoCloseable {

    private final EventLoopGroup loop = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());

    private final Channel channel;

    private final QuicChannel connection;

    private final String authority;

    private RawHttp3Client(VethNamespace net, InetAddress server, int port) throws Exception {
        QuicSslContext tls = QuicSslContextBuilder.forClient().trustManager(InsecureTrustManagerFactory.INSTANCE)
            .applicationProtocols(Http3.supportedApplicationProtocols())
            .build();
        // the socket belongs to the namespace of the thread that opens it
        this.channel = net.inPeer(() -> new Bootstrap().group(this.loop).channel(NioDatagramChannel.class)
            .handler(Http3.newQuicClientCodecBuilder().sslContext(tls).maxIdleTimeout(60, TimeUnit.SECONDS)
                .initialMaxData(64 << 20).initialMaxStreamDataBidirectionalLocal(16 << 20).initialMaxStreamsBidirectional(100)
                .build())
            .bind(0).sync().channel());
        this.connection = QuicChannel.newBootstrap(this.channel).handler(new Http3ClientConnectionHandler())
            .remoteAddress(new InetSocketAddress(server, port))
            .connect()
            .get(10, TimeUnit.SECONDS);
        this.authority = server.getHostAddress() + ":" + port;
    }

    static RawHttp3Client connect(VethNamespace net, InetAddress server, int port) throws Exception {
        return new RawHttp3Client(net, server, port);
    }

    QuicChannel connection() {
        return this.connection;
    }

    /** A request's fields: {@code :method}, {@code :path}, {@code :scheme https} and {@code :authority}. */
    Http3Headers fields(String method, String path) {
        Http3Headers fields = new DefaultHttp3Headers();
        // an AsciiString, as Netty's client compares it when it checks the body of a response to HEAD
        fields.method(AsciiString.of(method)).path(path).scheme("https").authority(this.authority);
        return fields;
    }

    /** Opens a request stream and sends {@code fields} on it, nothing more yet. */
    Exchange open(Http3Headers fields) throws Exception {
        Exchange exchange = new Exchange();
        QuicStreamChannel stream = Http3.newRequestStream(this.connection, exchange).get(10, TimeUnit.SECONDS);
        exchange.stream = stream;
        stream.writeAndFlush(new DefaultHttp3HeadersFrame(fields)).sync();
        return exchange;
    }

    /** Sends {@code fields} and {@code body}, ends the request and waits for the response. */
    Response send(Http3Headers fields, byte[] body) throws Exception {
        Exchange exchange = open(fields);
        if (body.length > 0) {
            exchange.data(body);
        }
        exchange.end();
        return exchange.response();
    }

    @Override
    public void close() throws Exception {
        this.connection.close().await(5, TimeUnit.SECONDS);
        this.channel.close().await(5, TimeUnit.SECONDS);
        this.loop.shutdownGracefully(0, 1, TimeUnit.SECONDS).await(5, TimeUnit.SECONDS);
    }

    /** What came back on a request stream. */
    record Response(List<Http3Headers> informational, Http3Headers fields, byte[] body) {

        int status() {
            return HttpResponseStatus.parseLine(this.fields.status()).code();
        }
    }

    /** One request stream: its frames sent as the test says, its response collected. */
    static final class Exchange extends ChannelInboundHandlerAdapter {

        private QuicStreamChannel stream;

        private final List<Http3Headers> informational = new CopyOnWriteArrayList<>();

        private volatile Http3Headers fields;

        private final ByteArrayOutputStream body = new ByteArrayOutputStream();

        private final CompletableFuture<Response> response = new CompletableFuture<>();

        final CompletableFuture<Http3Headers> headers = new CompletableFuture<>();

        final CompletableFuture<Void> informed = new CompletableFuture<>();

        QuicStreamChannel stream() {
            return this.stream;
        }

        void data(byte[] bytes) throws InterruptedException {
            this.stream.writeAndFlush(new DefaultHttp3DataFrame(Unpooled.wrappedBuffer(bytes))).sync();
        }

        void trailers(Http3Headers trailers) throws InterruptedException {
            this.stream.writeAndFlush(new DefaultHttp3HeadersFrame(trailers)).sync();
        }

        /** Finishes the request: a FIN. */
        void end() throws InterruptedException {
            this.stream.shutdownOutput().sync();
        }

        /** Resets the request stream with {@code code}, in both directions. */
        void reset(int code) throws InterruptedException {
            this.stream.shutdown(code).sync();
        }

        /** The whole response, or the server's reset as a {@link QuicStreamResetException}. */
        Response response() throws Exception {
            return this.response.get(20, TimeUnit.SECONDS);
        }

        /** The body received so far. */
        int received() {
            synchronized (this.body) {
                return this.body.size();
            }
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            if (msg instanceof Http3HeadersFrame frame) {
                Http3Headers received = frame.headers();
                if (this.fields == null
                        && HttpStatusClass.valueOf(received.status()) == HttpStatusClass.INFORMATIONAL) {
                    this.informational.add(received);
                    this.informed.complete(null);
                }
                else if (this.fields == null) {
                    this.fields = received;
                    this.headers.complete(received);
                }
            }
            else if (msg instanceof Http3DataFrame data) {
                ByteBuf content = data.content();
                byte[] bytes = new byte[content.readableBytes()];
                content.readBytes(bytes);
                synchronized (this.body) {
                    this.body.writeBytes(bytes);
                }
            }
            ReferenceCountUtil.release(msg);
        }

        @Override
        public void userEventTriggered(ChannelHandlerContext ctx, Object event) {
            if (event == ChannelInputShutdownReadComplete.INSTANCE) {
                synchronized (this.body) {
                    this.response.complete(new Response(this.informational, this.fields, this.body.toByteArray()));
                }
            }
            ReferenceCountUtil.release(event);
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            this.response.completeExceptionally(cause);
            this.headers.completeExceptionally(cause);
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            this.response.completeExceptionally(new IllegalStateException("the stream closed without a response"));
            this.headers.completeExceptionally(new IllegalStateException("the stream closed without headers"));
        }

        /** The code the server reset the stream with. */
        static long resetCode(Throwable failure) {
            Throwable cause = (failure.getCause() != null) ? failure.getCause() : failure;
            return (cause instanceof QuicStreamResetException reset) ? reset.applicationProtocolCode() : -1;
        }
    }
}
