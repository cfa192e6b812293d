package io.quicxdp.bench.quic;

import io.netty.channel.EventLoopGroup;
import io.quicxdp.autoconfigure.http3.XdpHttp3Status;
import io.quicxdp.bench.LifetimeGuard;
import io.quicxdp.datapath.XdpDatapath;
import java.time.Duration;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import org.springframework.boot.SpringApplication;
import org.springframework.context.ConfigurableApplicationContext;

/**
 * A WebFlux application as the HTTP/3 server under test: {@link WebFluxBenchApplication}'s handler, which
 * serves the same files as {@link Http3FileServer}, over HTTP/3 either through quic-xdp's HTTP/3 starter on
 * the XDP transport ({@code --transport xdp}) or on Reactor Netty's own HTTP/3 server over epoll
 * ({@code --transport epoll}, {@link ReactorHttp3Server}); the same handler, filters and codecs in both.
 *
 * <p>usage: {@value ServerOptions#USAGE} ({@code xdp} or {@code epoll})
 *
 * <p>It speaks {@link ServerControl}'s protocol. Its snapshots add, through the starter, the HTTP/3 server's
 * state as {@code h3.*} and the datapath's socket counters as {@code xdp.*}; on epoll, quiche's statistics
 * ({@link QuicStats}). The TCP server Boot starts as well listens on 127.0.0.1 only and carries no load.
 */
public final class WebFluxServerMain {

    private static final Duration MAX_LIFETIME = Duration.ofMinutes(30);

    private WebFluxServerMain() {
    }

    public static void main(String[] args) throws Exception {
        ServerOptions options;
        try {
            options = ServerOptions.parse(args);
            if (options.transport().equals("nio")) {
                throw new IllegalArgumentException("--transport must be xdp or epoll for the WebFlux server");
            }
        }
        catch (IllegalArgumentException ex) {
            System.err.println(ex.getMessage());
            System.exit(2);
            return;
        }
        Thread guard = LifetimeGuard.start("webflux-server", MAX_LIFETIME);
        SpringApplication application = new SpringApplication(WebFluxBenchApplication.class);
        application.setDefaultProperties(properties(options));
        try (ConfigurableApplicationContext context = application.run()) {
            if (options.transport().equals("xdp")) {
                XdpHttp3Status http3 = context.getBean(XdpHttp3Status.class);
                XdpDatapath datapath = context.getBean(XdpDatapath.class);
                EventLoopGroup loops = context.getBean("xdpEventLoopGroup", EventLoopGroup.class);
                serve(ServerControl.threadId(loops.next()), () -> {
                    Map<String, Long> figures = new LinkedHashMap<>(RecordCounters.sum("h3.", List.of(http3.state())));
                    figures.putAll(RecordCounters.sum("xdp.", datapath.state().sockets()));
                    return figures;
                });
            }
            else {
                ReactorHttp3Server http3 = context.getBean(ReactorHttp3Server.class);
                serve(ServerControl.threadId(http3.loop()), http3.quicStats()::snapshot);
            }
        }
        guard.interrupt();
        System.exit(0);
    }

    private static void serve(long loopTid, Supplier<Map<String, Long>> figures) throws Exception {
        ServerControl.serve(loopTid, figures);
        System.err.println("webflux-server: closing");
    }

    /**
     * The application's configuration: the files, the certificate as an SSL bundle, and, for the starter, the
     * map and the same QUIC settings as {@link Http3FileServer}'s (flow-control windows, streams, idle timeout)
     * and the same UMEM as {@link ServerTransport}'s XDP server.
     */
    static Map<String, Object> properties(ServerOptions options) {
        Map<String, Object> p = new HashMap<>();
        p.put("spring.main.banner-mode", "off");
        p.put("spring.main.web-application-type", "reactive");
        p.put("logging.level.root", "warn");
        p.put("server.address", "127.0.0.1");
        p.put("server.port", options.port());
        p.put("bench.htdocs", options.htdocs().toString());
        p.put("spring.ssl.bundle.pem.bench.keystore.certificate", "file:" + options.cert().toAbsolutePath());
        p.put("spring.ssl.bundle.pem.bench.keystore.private-key", "file:" + options.key().toAbsolutePath());
        if (options.transport().equals("xdp")) {
            p.put("quic.xdp.maps[0].interface", options.interfaceName());
            p.put("quic.xdp.maps[0].path", options.pin().toString());
            p.put("quic.xdp.maps[0].queues[0]", 0);
            p.put("quic.xdp.umem.frame-count", ServerTransport.XDP_FRAMES);
            p.put("quic.xdp.rings.fill", ServerTransport.XDP_FRAMES);
            p.put("quic.xdp.rings.rx", ServerTransport.XDP_FRAMES / 2);
            p.put("quic.xdp.rings.tx", ServerTransport.XDP_FRAMES / 2);
            p.put("quic.xdp.rings.completion", ServerTransport.XDP_FRAMES / 2);
            p.put("quic.xdp.http3.enabled", true);
            p.put("quic.xdp.http3.port", options.port());
            p.put("quic.xdp.http3.ssl.bundle", "bench");
            p.put("quic.xdp.http3.idle-timeout", "30s");
            p.put("quic.xdp.http3.max-streams", Http3FileServer.MAX_STREAMS);
            p.put("quic.xdp.http3.max-data", Http3FileServer.MAX_DATA + "B");
            p.put("quic.xdp.http3.max-stream-data", Http3FileServer.MAX_STREAM_DATA + "B");
        }
        else {
            p.put("bench.http3", "epoll");
        }
        return p;
    }
}
