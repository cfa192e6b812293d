package io.quicxdp.autoconfigure.http3.cost;

import java.io.File;
import java.time.Duration;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.context.SmartLifecycle;
import org.springframework.http.server.reactive.HttpHandler;
import org.springframework.http.server.reactive.ReactorHttpHandlerAdapter;
import reactor.netty.DisposableServer;
import reactor.netty.http.Http3SslContextSpec;
import reactor.netty.http.HttpProtocol;
import reactor.netty.http.server.HttpServer;
import reactor.netty.resources.LoopResources;

/**
 * The same application's handler over Reactor Netty's HTTP/3 server on the kernel's UDP path (epoll), one event
 * loop, with the starter's default settings (and the benchmark's 1000 streams): what WebFlux over HTTP/3 costs
 * without the starter and without XDP.
 */
class EpollHttp3Server implements SmartLifecycle {

    private final ObjectProvider<HttpHandler> handler;

    private final int port;

    private final File key;

    private final File certificate;

    private final LoopResources loop = LoopResources.create("cost-epoll", 1, true);

    private DisposableServer server;

    EpollHttp3Server(ObjectProvider<HttpHandler> handler, int port, File key, File certificate) {
        this.handler = handler;
        this.port = port;
        this.key = key;
        this.certificate = certificate;
    }

    @Override
    public void start() {
        this.server = HttpServer.create()
            .port(this.port)
            .protocol(HttpProtocol.HTTP3)
            .secure((spec) -> spec.sslContext(Http3SslContextSpec.forServer(this.key, null, this.certificate)))
            .http3Settings((spec) -> spec.idleTimeout(Duration.ofSeconds(30))
                .maxData(10 * 1024 * 1024)
                .maxStreamDataBidirectionalRemote(1024 * 1024)
                .maxStreamDataBidirectionalLocal(1024 * 1024)
                .maxStreamsBidirectional(1000))
            .runOn(this.loop)
            .handle(new ReactorHttpHandlerAdapter(this.handler.getObject()))
            .bindNow();
        System.out.println("HTTP/3 over epoll on UDP port " + this.port);
    }

    @Override
    public void stop() {
        this.server.disposeNow();
        this.loop.disposeLater().block(Duration.ofSeconds(5));
        this.server = null;
    }

    @Override
    public boolean isRunning() {
        return this.server != null;
    }
}
