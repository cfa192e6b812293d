package io.quicxdp.bench.quic;

import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.channel.FixedRecvByteBufAllocator;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollChannelOption;
import io.netty.handler.codec.quic.EpollQuicUtils;
import io.netty.handler.codec.quic.QuicChannel;
import io.netty.handler.codec.quic.QuicChannelOption;
import io.netty.handler.codec.quic.QuicSslContext;
import io.netty.handler.codec.quic.QuicSslContextBuilder;
import java.time.Duration;
import java.util.function.Supplier;
import org.springframework.boot.ssl.SslBundle;
import org.springframework.context.SmartLifecycle;
import org.springframework.http.server.reactive.HttpHandler;
import org.springframework.http.server.reactive.ReactorHttpHandlerAdapter;
import reactor.netty.DisposableServer;
import reactor.netty.http.HttpProtocol;
import reactor.netty.http.server.HttpServer;
import reactor.netty.resources.LoopResources;

/**
 * The application's {@link HttpHandler} on Reactor Netty's own HTTP/3 server over epoll, one event loop: what a
 * WebFlux application gets from upstream without quic-xdp, configured as the raw epoll server is (GSO of
 * {@value ServerTransport#GSO_SEGMENTS} datagrams, UDP GRO on reads, 4 MiB socket buffers) and with the QUIC
 * settings of the starter's server in the matrix.
 */
final class ReactorHttp3Server implements SmartLifecycle {

    private final Supplier<HttpHandler> handler;

    private final SslBundle bundle;

    private final int port;

    private final QuicStats quicStats = new QuicStats();

    private LoopResources loops;

    private DisposableServer server;

    ReactorHttp3Server(Supplier<HttpHandler> handler, SslBundle bundle, int port) {
        this.handler = handler;
        this.bundle = bundle;
        this.port = port;
    }

    @Override
    public synchronized void start() {
        Epoll.ensureAvailability();
        QuicSslContext tls = QuicSslContextBuilder.forServer(bundle.getManagers().getKeyManagerFactory(), null)
                .applicationProtocols("h3").build();
        loops = LoopResources.create("bench-h3", 1, true);
        server = HttpServer.create()
                .port(port)
                .protocol(HttpProtocol.HTTP3)
                .secure(spec -> spec.sslContext(tls))
                .http3Settings(spec -> spec.idleTimeout(Duration.ofSeconds(30))
                        .maxData(Http3FileServer.MAX_DATA)
                        .maxStreamDataBidirectionalLocal(Http3FileServer.MAX_STREAM_DATA)
                        .maxStreamDataBidirectionalRemote(Http3FileServer.MAX_STREAM_DATA)
                        .maxStreamsBidirectional(Http3FileServer.MAX_STREAMS))
                // per connection rather than as a server option: Reactor Netty would set its options on the UDP
                // channel as well, and on every connection, which log each option the other does not know
                .doOnChannelInit((observer, connection, remote) -> {
                    connection.config().setOption(QuicChannelOption.SEGMENTED_DATAGRAM_PACKET_ALLOCATOR,
                            EpollQuicUtils.newSegmentedAllocator(ServerTransport.GSO_SEGMENTS));
                    quicStats.track((QuicChannel) connection);
                })
                .runOn(loops, true)
                .handle(new ReactorHttpHandlerAdapter(handler.get()))
                .bindNow();
        // the raw epoll server's socket, set once bound for the same reason
        var udp = server.channel().config();
        udp.setOption(ChannelOption.SO_RCVBUF, ServerTransport.SOCKET_BUFFER);
        udp.setOption(ChannelOption.SO_SNDBUF, ServerTransport.SOCKET_BUFFER);
        udp.setOption(EpollChannelOption.MAX_DATAGRAM_PAYLOAD_SIZE, ServerTransport.GRO_SLOT);
        udp.setOption(ChannelOption.RCVBUF_ALLOCATOR,
                new FixedRecvByteBufAllocator(ServerTransport.GRO_SLOT * ServerTransport.SLOTS_PER_READ));
        if (!udp.setOption(EpollChannelOption.UDP_GRO, true)) {
            throw new IllegalStateException("the UDP channel " + server.channel() + " refused UDP_GRO");
        }
        System.err.println("webflux-server: Reactor Netty HTTP/3 on " + server.channel());
    }

    /** The event loop serving the port. */
    EventLoop loop() {
        return server.channel().eventLoop();
    }

    /** Quiche's statistics of every connection served. */
    QuicStats quicStats() {
        return quicStats;
    }

    @Override
    public synchronized void stop() {
        if (server != null) {
            server.disposeNow(Duration.ofSeconds(5));
            loops.disposeLater(Duration.ZERO, Duration.ofSeconds(2)).block(Duration.ofSeconds(5));
            server = null;
        }
    }

    @Override
    public synchronized boolean isRunning() {
        return server != null;
    }
}
