package io.quicxdp.bench;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;

/**
 * A receiver process, driven by {@link BenchRunner} over stdin/stdout with the same line protocol as the C
 * reference receiver: it prints "ready"; then "drop" / "echo" set the mode, "snap" prints
 * "snap HANDLED ECHOED CPU_NS ALLOCATED_BYTES DROPS", "quit" or end of input exits.
 *
 * <p>usage: ReceiverMain quicxdp IFNAME XSKMAP_PIN PORT | nio PORT | netty PORT
 */
public final class ReceiverMain {

    /** A receiver left behind by a crashed driver goes away on its own. */
    private static final Duration MAX_LIFETIME = Duration.ofMinutes(30);

    private ReceiverMain() {
    }

    public static void main(String[] args) throws Exception {
        Receiver receiver = switch (args[0]) {
            case "quicxdp" -> new QuicXdpReceiver(args[1], Path.of(args[2]), Integer.parseInt(args[3]));
            case "nio" -> new NioReceiver(Integer.parseInt(args[1]));
            case "netty" -> new NettyEpollReceiver(Integer.parseInt(args[1]));
            default -> throw new IllegalArgumentException("unknown receiver " + args[0]);
        };
        Thread guard = LifetimeGuard.start("receiver", MAX_LIFETIME);
        PrintStream out = new PrintStream(System.out, true, StandardCharsets.UTF_8);
        try (receiver) {
            receiver.start();
            out.println("ready");
            BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
            String line;
            while ((line = in.readLine()) != null && !line.equals("quit")) {
                switch (line) {
                    case "drop" -> {
                        receiver.echo = false;
                        out.println("ok");
                    }
                    case "echo" -> {
                        receiver.echo = true;
                        out.println("ok");
                    }
                    case "snap" -> out.println(receiver.snapshot());
                    default -> out.println("error unknown command " + line);
                }
            }
        }
        guard.interrupt();
        System.exit(0);
    }
}
