package io.quicxdp.bench;

import java.io.File;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * How to start one HTTP/3 server under test: the same Java server on the XDP transport (its batches sent through
 * AF_XDP, or through the kernel's UDP GSO), on epoll and on NIO; a
 * WebFlux application through the HTTP/3 starter on XDP and on Reactor Netty's HTTP/3 over epoll; and ngtcp2's
 * C server as the anchor. All send datagrams of at most {@value #MAX_UDP_PAYLOAD} bytes and grant the client
 * the same flow-control windows and streams.
 *
 * <p>The Java servers start on both cores with the same JVM settings (heap, G1, a fixed set of compiler threads
 * so that their CPU time stays countable, Netty's leak detection off, one allocator); the runner then moves the
 * event loop alone onto the server's core and every other thread to the other ({@link Affinity}). ngtcp2 has
 * one thread and runs on the server's core from the start.
 */
final class QuicServerSpec {

    /** The server every other one is compared with. */
    static final String BASELINE = "epoll";

    static final String XDP = "xdp";

    /** The same XDP server with its batches sent through the kernel's UDP GSO ({@code tx-path=kernel-gso}). */
    static final String XDP_GSO = "xdp-gso";

    static final String WEBFLUX_XDP = "webflux-xdp";

    static final String WEBFLUX_EPOLL = "webflux-epoll";

    static final String NGTCP2 = "ngtcp2";

    /** quiche's default, which Reactor Netty's HTTP/3 server (and so the starter's) cannot change. */
    static final int MAX_UDP_PAYLOAD = 1200;

    final String id;

    final String name;

    private final List<String> command;

    private QuicServerSpec(String id, String name, List<String> command) {
        this.id = id;
        this.name = name;
        this.command = command;
    }

    /** In the order each round runs them. */
    static List<QuicServerSpec> all(Config config, QuicFiles files) {
        List<QuicServerSpec> specs = new ArrayList<>();
        specs.add(java(config, files, XDP, "quic-xdp (XDP map mode)", "QuicServerMain", "xdp"));
        specs.add(java(config, files, XDP_GSO, "quic-xdp, TX by kernel GSO", "QuicServerMain", "xdp", "--tx-path",
                "kernel-gso"));
        specs.add(java(config, files, BASELINE, "Netty epoll (GSO/GRO)", "QuicServerMain", "epoll"));
        specs.add(java(config, files, "nio", "Netty NIO", "QuicServerMain", "nio"));
        specs.add(java(config, files, WEBFLUX_XDP, "WebFlux, HTTP/3 starter (XDP)", "WebFluxServerMain", "xdp"));
        specs.add(java(config, files, WEBFLUX_EPOLL, "WebFlux, Reactor Netty HTTP/3 (epoll)", "WebFluxServerMain",
                "epoll"));
        if (!config.gtlsserver.isEmpty()) {
            // '*' listens on both families; -q: no per-packet dumps on stderr; the Java servers' windows and streams
            specs.add(new QuicServerSpec(NGTCP2, "ngtcp2 gtlsserver (C)", List.of("taskset", "-c", config.receiverCpu,
                    config.gtlsserver, "-q", "-d", files.htdocs, "--max-udp-payload-size=" + MAX_UDP_PAYLOAD,
                    "--no-pmtud", "--max-data=64M", "--max-stream-data-bidi-remote=16M", "--max-streams-bidi=1000",
                    "*", Integer.toString(QuicBenchRunner.PORT), files.key, files.cert)));
        }
        if (config.quicServers != null) {
            List<String> wanted = Arrays.asList(config.quicServers.split(","));
            specs.removeIf(spec -> !wanted.contains(spec.id));
        }
        return specs;
    }

    private static QuicServerSpec java(Config config, QuicFiles files, String id, String name, String main,
            String transport, String... more) {
        List<String> command = new ArrayList<>(List.of(config.java17, "-Xms512m", "-Xmx512m", "-XX:+UseG1GC",
                "-XX:-UseDynamicNumberOfCompilerThreads", "-Dio.netty.leakDetection.level=disabled",
                "-Dio.netty.allocator.type=" + config.nettyAllocator, "--enable-native-access=ALL-UNNAMED",
                "-cp", config.classPath, "io.quicxdp.bench.quic." + main, "--transport", transport,
                "--port", Integer.toString(QuicBenchRunner.PORT), "--htdocs", files.htdocs, "--key", files.key,
                "--cert", files.cert));
        if (transport.equals(XDP)) {
            command.addAll(List.of("--interface", config.appInterface, "--pin", config.quicPin));
        }
        command.addAll(List.of(more));
        return new QuicServerSpec(id, name, command);
    }

    /** The Java servers speak {@code ServerControl}'s protocol; the C server only serves. */
    boolean speaksLines() {
        return !id.equals(NGTCP2);
    }

    LineProcess start(File log) throws IOException {
        return new LineProcess(id, command, log);
    }

    /** Where the server finds its certificate, key and the files it serves. */
    record QuicFiles(String htdocs, String key, String cert) {
    }
}
