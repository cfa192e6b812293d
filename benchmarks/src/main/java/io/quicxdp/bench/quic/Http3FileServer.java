package io.quicxdp.bench.quic;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.handler.codec.http3.DefaultHttp3DataFrame;
import io.netty.handler.codec.http3.DefaultHttp3Headers;
import io.netty.handler.codec.http3.DefaultHttp3HeadersFrame;
import io.netty.handler.codec.http3.Http3;
import io.netty.handler.codec.http3.Http3DataFrame;
import io.netty.handler.codec.http3.Http3HeadersFrame;
import io.netty.handler.codec.http3.Http3RequestStreamInboundHandler;
import io.netty.handler.codec.http3.Http3ServerConnectionHandler;
import io.netty.handler.codec.quic.QuicChannel;
import io.netty.handler.codec.quic.QuicServerCodecBuilder;
import io.netty.handler.codec.quic.QuicSslContext;
import io.netty.handler.codec.quic.QuicStreamChannel;
import io.netty.handler.ssl.SslHandshakeCompletionEvent;
import io.netty.util.AsciiString;
import io.netty.util.ReferenceCountUtil;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;

/**
 * The benchmark's HTTP/3 server, independent of the transport below it: Netty's QUIC server codec with
 * Netty's HTTP/3 server codec on top, answering {@code GET /<name>} with the file {@code name} of a directory,
 * every one read into one direct buffer at start, and 404 otherwise.
 *
 * <p>A response costs what Netty's codecs need and little more: the body is a retained duplicate of the
 * file's buffer (no copy), and the headers frame of each file is built once and written again for every
 * request (the HTTP/3 codec only reads it, encoding it with QPACK on the writing thread). Nothing is logged
 * per request.
 */
final class Http3FileServer implements AutoCloseable {

    /** The largest UDP payload sent, quiche's default: every server of the matrix sends datagrams this size. */
    static final int MAX_UDP_PAYLOAD = 1200;

    /** Flow control and streams, wide enough that no cell is window-bound; the WebFlux servers get the same. */
    static final long MAX_DATA = 64L << 20;

    static final long MAX_STREAM_DATA = 16L << 20;

    static final long MAX_STREAMS = 1000;

    private static final AsciiString GET = AsciiString.cached("GET");

    private static final AsciiString NOT_FOUND = AsciiString.cached("404");

    private static final AsciiString OK = AsciiString.cached("200");

    private static final AsciiString CONTENT_LENGTH = AsciiString.cached("content-length");

    /** The path of each file ("/" + name) to its response. */
    private final Map<AsciiString, Response> files;

    private final Http3HeadersFrame notFound;

    private final LongAdder requests = new LongAdder();

    private final LongAdder handshakes = new LongAdder();

    private final ChannelHandler requestHandler = new RequestHandler();

    private final ChannelHandler handshakeCounter = new HandshakeCounter();

    private final QuicStats quicStats = new QuicStats();

    private Http3FileServer(Map<AsciiString, Response> files) {
        this.files = files;
        this.notFound = headers(NOT_FOUND, 0);
    }

    /**
     * Reads every regular file of {@code htdocs} into memory.
     *
     * @throws IOException when the directory or a file cannot be read
     */
    static Http3FileServer load(Path htdocs) throws IOException {
        if (!Files.isDirectory(htdocs)) {
            throw new IOException("--htdocs '" + htdocs + "' is not a directory; give the directory of the files "
                    + "to serve");
        }
        Map<AsciiString, Response> files = new HashMap<>();
        List<Path> regular;
        try (Stream<Path> listing = Files.list(htdocs)) {
            regular = listing.filter(Files::isRegularFile).toList();
        }
        try {
            for (Path file : regular) {
                long size = Files.size(file);
                if (size > Integer.MAX_VALUE) {
                    throw new IOException(file + " is over 2 GiB: a file is served from one buffer");
                }
                // pooled, so that each response's retainedDuplicate comes from the recycler
                ByteBuf body = PooledByteBufAllocator.DEFAULT.directBuffer((int) size, (int) size);
                files.put(new AsciiString("/" + file.getFileName()), new Response(headers(OK, size), body));
                // straight into the direct buffer, no heap copy on the way
                try (FileChannel in = FileChannel.open(file)) {
                    while (body.isWritable() && body.writeBytes(in, body.writerIndex(), body.writableBytes()) >= 0) {
                        // until full, or the file ended early
                    }
                }
                if (body.readableBytes() != size) {
                    throw new IOException(file + " changed while it was read");
                }
            }
        }
        catch (IOException | RuntimeException ex) {
            files.values().forEach(response -> response.body.release());
            throw ex;
        }
        return new Http3FileServer(files);
    }

    private static Http3HeadersFrame headers(AsciiString status, long contentLength) {
        Http3HeadersFrame frame = new DefaultHttp3HeadersFrame(new DefaultHttp3Headers());
        frame.headers().status(status).setLong(CONTENT_LENGTH, contentLength);
        return frame;
    }

    /** The paths served, for the log. */
    List<String> paths() {
        return files.keySet().stream().map(AsciiString::toString).sorted().toList();
    }

    /** HTTP/3 requests answered so far. */
    long requests() {
        return requests.sum();
    }

    /** QUIC handshakes completed so far. */
    long handshakes() {
        return handshakes.sum();
    }

    /** Quiche's statistics of every connection served. */
    QuicStats quicStats() {
        return quicStats;
    }

    /**
     * A new QUIC server codec serving these files with {@code tls}: one per datagram channel, as Netty's codec
     * is not sharable. The QUIC settings follow the project's HTTP/3 server (quic.xdp.http3.*: 30 s idle
     * timeout, no Retry, no early data) except for the flow-control windows, which are wide enough that a
     * bulk transfer is not window-bound. Datagrams stay at quiche's default size, {@value #MAX_UDP_PAYLOAD}
     * bytes, said here because the matrix runs every server at that size: Reactor Netty's HTTP/3 server, and
     * so the starter's, cannot change it. {@code transportOptions} adds what the transport below needs.
     */
    ChannelHandler newCodec(QuicSslContext tls, UnaryOperator<QuicServerCodecBuilder> transportOptions) {
        QuicServerCodecBuilder builder = Http3.newQuicServerCodecBuilder()
                .sslContext(tls)
                .maxIdleTimeout(30, TimeUnit.SECONDS)
                .initialMaxData(MAX_DATA)
                .initialMaxStreamDataBidirectionalLocal(MAX_STREAM_DATA)
                .initialMaxStreamDataBidirectionalRemote(MAX_STREAM_DATA)
                .initialMaxStreamsBidirectional(MAX_STREAMS)
                .maxSendUdpPayloadSize(MAX_UDP_PAYLOAD)
                .handler(new ChannelInitializer<QuicChannel>() {
                    @Override
                    protected void initChannel(QuicChannel connection) {
                        quicStats.track(connection);
                        connection.pipeline().addLast(handshakeCounter, new Http3ServerConnectionHandler(requestHandler));
                    }
                });
        return transportOptions.apply(builder).build();
    }

    @Override
    public void close() {
        files.values().forEach(response -> response.body.release());
    }

    /** A file's response: its headers frame, shared by every request, and its content. */
    private record Response(Http3HeadersFrame headers, ByteBuf body) {
    }

    /** Answers a request stream on its headers; a request body, if any, is dropped. */
    @ChannelHandler.Sharable
    private final class RequestHandler extends Http3RequestStreamInboundHandler {

        @Override
        protected void channelRead(ChannelHandlerContext ctx, Http3HeadersFrame frame) {
            Response response = GET.contentEquals(frame.headers().method()) ? lookup(frame.headers().path()) : null;
            if (response == null) {
                ctx.writeAndFlush(notFound).addListener(QuicStreamChannel.SHUTDOWN_OUTPUT);
            }
            else {
                ctx.write(response.headers, ctx.voidPromise());
                ctx.writeAndFlush(new DefaultHttp3DataFrame(response.body.retainedDuplicate()))
                        .addListener(QuicStreamChannel.SHUTDOWN_OUTPUT);
            }
            requests.increment();
        }

        private Response lookup(CharSequence path) {
            if (path == null) {
                return null;
            }
            // QPACK decodes to AsciiString: the lookup then allocates nothing
            return files.get(path instanceof AsciiString ascii ? ascii : new AsciiString(path));
        }

        @Override
        protected void channelRead(ChannelHandlerContext ctx, Http3DataFrame frame) {
            ReferenceCountUtil.release(frame);
        }

        @Override
        protected void channelInputClosed(ChannelHandlerContext ctx) {
            // the response was sent on the headers: nothing waits for the end of the request
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            // a broken stream is closed without a log line: the benchmark counts what is answered
            ctx.close();
        }
    }

    /** Counts the connections whose QUIC (TLS) handshake completed. */
    @ChannelHandler.Sharable
    private final class HandshakeCounter extends ChannelInboundHandlerAdapter {

        @Override
        public void userEventTriggered(ChannelHandlerContext ctx, Object event) {
            if (event instanceof SslHandshakeCompletionEvent completion && completion.isSuccess()) {
                handshakes.increment();
            }
            ctx.fireUserEventTriggered(event);
        }
    }
}
