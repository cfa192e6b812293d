package io.quicxdp.bench.load;

import io.quicxdp.bench.LifetimeGuard;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.Executors;

/**
 * The connections generator ({@link ConnectionLoad}) as a process, for the load scripts: run it in the peer
 * namespace. It opens the connections, holds them for a while with the trickle of requests, then checks every one,
 * printing one line per step on stdout:
 * <pre>
 * ready
 * progress t=S open=N opening=N opened=N handshakes_failed=N lost=N completed=N failed=N window_requests=N p50_us=N p99_us=N
 * opened connections=N open=N handshakes_failed=N seconds=S      (every connection attempted)
 * idle seconds=S                                                  (with --idle: no requests for S seconds)
 * holding seconds=S                                               (the hold with the trickle begins)
 * check connections=N served=N failed=N seconds=S
 * reason COUNT TEXT                                               (why connections failed the check)
 * </pre>
 * A progress line follows every interval, whatever the phase. Exit status 0 when every connection was served, 1
 * when some were not, 2 on bad arguments.
 *
 * <p>usage: {@code java -cp CP io.quicxdp.bench.load.ConnectionsMain --server HOST:PORT [--path /]
 * [--connections 10000] [--sockets 64] [--loops 2] [--open-rate 500] [--in-flight 200] [--rate 100]
 * [--idle 0] [--hold 60] [--interval 1] [--timeout 10] [--idle-timeout 600]} (seconds throughout)
 */
public final class ConnectionsMain {

    private ConnectionsMain() {
    }

    public static void main(String[] args) throws Exception {
        PrintStream out = new PrintStream(System.out, true, StandardCharsets.UTF_8);
        Arguments arguments;
        ConnectionLoad.Settings settings;
        try {
            arguments = Arguments.parse(args);
            settings = new ConnectionLoad.Settings(arguments.address("server"), arguments.text("path", "/"),
                    arguments.integer("connections", 10_000), arguments.integer("sockets", 64),
                    arguments.integer("loops", 2), arguments.integer("open-rate", 500),
                    arguments.integer("in-flight", 200), arguments.decimal("rate", 100),
                    arguments.seconds("timeout", 10), arguments.seconds("idle-timeout", 600));
        }
        catch (IllegalArgumentException ex) {
            System.err.println("connections: " + ex.getMessage());
            System.exit(2);
            return;
        }
        Duration hold = arguments.seconds("hold", 60);
        Duration idle = arguments.seconds("idle", 0);
        long interval = arguments.seconds("interval", 1).toMillis();
        // opening at the rate, the hold, the check, and a margin: a generator left behind goes away by itself
        long opening = settings.connections() / settings.openRate() + 120;
        LifetimeGuard.start("connections generator",
                Duration.ofSeconds(opening).plus(idle).plus(hold).multipliedBy(2));
        try (ConnectionLoad load = ConnectionLoad.start(settings, Executors.defaultThreadFactory())) {
            out.println("ready");
            long next = System.currentTimeMillis() + interval;
            long openDeadline = System.nanoTime() + Duration.ofSeconds(opening).toNanos();
            while (!load.attempted() && System.nanoTime() < openDeadline) {
                next = progressAt(load, out, next, interval);
            }
            ConnectionLoad.Progress opened = load.progress();
            out.printf("opened connections=%d open=%d handshakes_failed=%d seconds=%.1f%n", settings.connections(),
                    opened.open(), opened.handshakesFailed(), opened.seconds());
            if (!idle.isZero()) {
                load.trickle(false);
                out.printf("idle seconds=%d%n", idle.toSeconds());
                long idleEnd = System.nanoTime() + idle.toNanos();
                while (System.nanoTime() < idleEnd) {
                    next = progressAt(load, out, next, interval);
                }
                load.trickle(true);
            }
            out.printf("holding seconds=%d%n", hold.toSeconds());
            long holdEnd = System.nanoTime() + hold.toNanos();
            while (System.nanoTime() < holdEnd) {
                next = progressAt(load, out, next, interval);
            }
            out.println(load.progress().line());
            ConnectionLoad.Check check = load.checkEveryConnection();
            out.println(check.line());
            check.reasons().forEach((reason, count) -> out.println("reason " + count + " " + reason));
            System.exit(check.failed() == 0 ? 0 : 1);
        }
    }

    /** Sleeps until {@code next} in small steps and prints a progress line there; returns the next time. */
    private static long progressAt(ConnectionLoad load, PrintStream out, long next, long interval) throws Exception {
        long wait = next - System.currentTimeMillis();
        if (wait > 0) {
            Thread.sleep(Math.min(wait, 100));
            if (System.currentTimeMillis() < next) {
                return next;
            }
        }
        out.println(load.progress().line());
        return next + interval;
    }

    /** {@code --name value} pairs. */
    static final class Arguments {

        private final java.util.Map<String, String> values;

        private Arguments(java.util.Map<String, String> values) {
            this.values = values;
        }

        static Arguments parse(String[] args) {
            java.util.Map<String, String> values = new java.util.HashMap<>();
            for (int i = 0; i < args.length; i += 2) {
                if (!args[i].startsWith("--") || i + 1 >= args.length) {
                    throw new IllegalArgumentException("expected --name value pairs, found '" + args[i] + "'");
                }
                values.put(args[i].substring(2), args[i + 1]);
            }
            return new Arguments(values);
        }

        String text(String name, String otherwise) {
            return values.getOrDefault(name, otherwise);
        }

        int integer(String name, int otherwise) {
            return (int) decimal(name, otherwise);
        }

        double decimal(String name, double otherwise) {
            String value = values.get(name);
            try {
                return value == null ? otherwise : Double.parseDouble(value);
            }
            catch (NumberFormatException ex) {
                throw new IllegalArgumentException("--" + name + " " + value + " is not a number");
            }
        }

        Duration seconds(String name, double otherwise) {
            return Duration.ofMillis((long) (decimal(name, otherwise) * 1000));
        }

        /** HOST:PORT, HOST an IPv4 or a bracketed IPv6 literal. */
        InetSocketAddress address(String name) {
            String value = values.get(name);
            int colon = value == null ? -1 : value.lastIndexOf(':');
            if (colon < 0) {
                throw new IllegalArgumentException("--" + name + " HOST:PORT is required");
            }
            String host = value.substring(0, colon).replace("[", "").replace("]", "");
            return new InetSocketAddress(host, Integer.parseInt(value.substring(colon + 1)));
        }
    }
}
