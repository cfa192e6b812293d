package io.quicxdp.bench;

import java.io.File;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/** How to start one receiver under test, pinned to the receiver's core. */
final class ReceiverSpec {

    /** The reference every other receiver is compared with. */
    static final String REFERENCE = "C libxdp (reference)";

    final String id;

    final String name;

    private final List<String> command;

    private ReceiverSpec(String id, String name, List<String> command) {
        this.id = id;
        this.name = name;
        this.command = command;
    }

    /** In the order each round runs them; the C reference first. */
    static List<ReceiverSpec> all(Config config) {
        List<ReceiverSpec> specs = new ArrayList<>();
        String port = Integer.toString(BenchRunner.PORT);
        specs.add(new ReceiverSpec("c", REFERENCE, pinned(config, config.nativeDir + "/xsk_recv",
                config.appInterface, "0", config.pin, port)));
        specs.add(new ReceiverSpec("quicxdp17", "quic-xdp, Java 17", java(config, config.java17, "quicxdp",
                config.appInterface, config.pin, port)));
        if (!config.java25.isEmpty()) {
            specs.add(new ReceiverSpec("quicxdp25", "quic-xdp, Java 25", java(config, config.java25, "quicxdp",
                    config.appInterface, config.pin, port)));
        }
        specs.add(new ReceiverSpec("nio", "NIO DatagramChannel, Java 17", java(config, config.java17, "nio", port)));
        specs.add(new ReceiverSpec("netty", "Netty 4.2.18 epoll, Java 17", java(config, config.java17, "netty",
                port)));
        if (config.receivers != null) {
            List<String> wanted = Arrays.asList(config.receivers.split(","));
            specs.removeIf(spec -> !wanted.contains(spec.id));
        }
        return specs;
    }

    private static List<String> java(Config config, String java, String... args) {
        List<String> command = new ArrayList<>(List.of(java, "-Xms256m", "-Xmx256m",
                "--enable-native-access=ALL-UNNAMED", "-cp", config.classPath, ReceiverMain.class.getName()));
        command.addAll(List.of(args));
        return pinned(config, command.toArray(String[]::new));
    }

    private static List<String> pinned(Config config, String... command) {
        List<String> full = new ArrayList<>(List.of("taskset", "-c", config.receiverCpu));
        full.addAll(List.of(command));
        return full;
    }

    LineProcess start(File log) throws IOException {
        return new LineProcess(id, command, log);
    }
}
