package io.quicxdp.bench;

import java.io.File;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * How to start one HTTP/3 server under test, pinned to the server's core: the same Java server on the XDP
 * transport, on epoll and on NIO, and ngtcp2's C server as the anchor.
 */
final class QuicServerSpec {

    /** The server every other one is compared with. */
    static final String BASELINE = "epoll";

    static final String XDP = "xdp";

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
        specs.add(java(config, files, XDP, "quic-xdp (XDP map mode)"));
        specs.add(java(config, files, BASELINE, "Netty epoll (GSO/GRO)"));
        specs.add(java(config, files, "nio", "Netty NIO"));
        if (!config.gtlsserver.isEmpty()) {
            // '*' listens on both families; -q: no per-packet dumps on stderr
            specs.add(new QuicServerSpec("ngtcp2", "ngtcp2 gtlsserver (C)", pinned(config, config.gtlsserver, "-q",
                    "-d", files.htdocs, "*", Integer.toString(QuicBenchRunner.PORT), files.key, files.cert)));
        }
        if (config.quicServers != null) {
            List<String> wanted = Arrays.asList(config.quicServers.split(","));
            specs.removeIf(spec -> !wanted.contains(spec.id));
        }
        return specs;
    }

    private static QuicServerSpec java(Config config, QuicFiles files, String transport, String name) {
        List<String> command = new ArrayList<>(List.of(config.java17, "-Xms512m", "-Xmx512m"));
        command.addAll(List.of("--enable-native-access=ALL-UNNAMED", "-cp", config.classPath,
                "io.quicxdp.bench.quic.QuicServerMain", "--transport", transport,
                "--port", Integer.toString(QuicBenchRunner.PORT), "--htdocs", files.htdocs, "--key", files.key,
                "--cert", files.cert));
        if (transport.equals(XDP)) {
            command.addAll(List.of("--interface", config.appInterface, "--pin", config.quicPin));
        }
        return new QuicServerSpec(transport, name, pinned(config, command.toArray(String[]::new)));
    }

    private static List<String> pinned(Config config, String... command) {
        List<String> full = new ArrayList<>(List.of("taskset", "-c", config.receiverCpu));
        full.addAll(List.of(command));
        return full;
    }

    /** The Java servers speak the line protocol; the C server only serves. */
    boolean speaksLines() {
        return !id.equals("ngtcp2");
    }

    LineProcess start(File log) throws IOException {
        return new LineProcess(id, command, log);
    }

    /** Where the server finds its certificate, key and the files it serves. */
    record QuicFiles(String htdocs, String key, String cert) {
    }
}
