package io.quicxdp.autoconfigure.http3;

import io.netty.channel.Channel;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.IoEventLoop;
import io.netty.util.concurrent.EventExecutor;
import io.quicxdp.autoconfigure.XdpProperties;
import io.quicxdp.netty.XdpDatagramChannel;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import org.springframework.context.SmartLifecycle;
import org.springframework.http.server.reactive.HttpHandler;
import org.springframework.http.server.reactive.ReactorHttpHandlerAdapter;
import reactor.netty.DisposableServer;
import reactor.netty.http.Http3SslContextSpec;
import reactor.netty.http.HttpProtocol;
import reactor.netty.http.server.HttpServer;
import reactor.netty.resources.LoopResources;

/**
 * The application's reactive {@link HttpHandler} over HTTP/3, served by Reactor Netty's HTTP/3 server on the
 * XDP transport: one server per event loop on the same UDP port, so that every queue serves it and a
 * request stays on the loop of the queue that received it.
 *
 * <p>Starts with the TCP web server (after the datapath and its event loops) and stops before the loops
 * shut down and the datapath closes. Stopping closes the connections: HTTP/3 GOAWAY is not sent (Reactor
 * Netty's HTTP/3 server has none), so requests still in flight when it stops are cut.
 */
public class XdpHttp3Server implements SmartLifecycle {

    /** The web server's phase: starts after the datapath's, stops before it. */
    static final int PHASE = SmartLifecycle.DEFAULT_PHASE - 2048;

    private static final Log logger = LogFactory.getLog(XdpHttp3Server.class);

    private final EventLoopGroup loops;

    private final HttpHandler handler;

    private final Http3SslContextSpec tls;

    private final int port;

    private final XdpProperties.Http3 settings;

    private final List<DisposableServer> servers = new ArrayList<>();

    /** One key for every loop's server: a token issued by one is good on another. */
    private final KeyedRetryTokens retryTokens = new KeyedRetryTokens(Clock.systemUTC());

    XdpHttp3Server(EventLoopGroup loops, HttpHandler handler, Http3SslContextSpec tls, int port,
            XdpProperties.Http3 settings) {
        this.loops = loops;
        this.handler = handler;
        this.tls = tls;
        this.port = port;
        this.settings = settings;
    }

    /** The UDP port served. */
    public int port() {
        return this.port;
    }

    @Override
    public synchronized void start() {
        if (!this.servers.isEmpty()) {
            return;
        }
        ReactorHttpHandlerAdapter adapter = new ReactorHttpHandlerAdapter(this.handler);
        try {
            for (EventExecutor loop : this.loops) {
                this.servers.add(HttpServer.create()
                    .port(this.port)
                    .protocol(HttpProtocol.HTTP3)
                    .secure((spec) -> spec.sslContext(this.tls))
                    .http3Settings((spec) -> spec.idleTimeout(this.settings.getIdleTimeout())
                        .maxData(this.settings.getMaxData().toBytes())
                        .maxStreamDataBidirectionalRemote(this.settings.getMaxStreamData().toBytes())
                        .maxStreamDataBidirectionalLocal(this.settings.getMaxStreamData().toBytes())
                        .maxStreamsBidirectional(this.settings.getMaxStreams())
                        .tokenHandler(this.settings.isRetry() ? this.retryTokens : null))
                    .runOn(onLoop((IoEventLoop) loop))
                    .handle(adapter)
                    .bindNow());
            }
        }
        catch (RuntimeException ex) {
            stop();
            throw ex;
        }
        logger.info("HTTP/3 on UDP port " + this.port + " through the XDP datapath, on " + this.servers.size()
                + " event loops");
    }

    @Override
    public synchronized void stop() {
        if (this.servers.isEmpty()) {
            return;
        }
        Duration timeout = this.settings.getShutdownTimeout();
        this.servers.forEach((server) -> server.disposeNow(timeout));
        this.servers.clear();
        logger.info("HTTP/3 on UDP port " + this.port + " stopped");
    }

    @Override
    public synchronized boolean isRunning() {
        return !this.servers.isEmpty();
    }

    @Override
    public int getPhase() {
        return PHASE;
    }

    /**
     * Reactor Netty's resources for one server: the one XDP event loop it runs on, and the XDP datagram
     * channel as its UDP channel. The loops are the datapath's, so disposing these leaves them alone.
     */
    private static LoopResources onLoop(IoEventLoop loop) {
        return new LoopResources() {
            @Override
            public EventLoopGroup onServer(boolean useNative) {
                return loop;
            }

            @Override
            @SuppressWarnings("unchecked")
            public <C extends Channel> C onChannel(Class<C> type, EventLoopGroup group) {
                return (C) new XdpDatagramChannel();
            }
        };
    }
}
