package io.quicxdp.bench.load;

import io.quicxdp.bench.LifetimeGuard;
import io.quicxdp.datapath.testing.PeerCapture;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The handshake flood ({@link InitialFlood}) as a process, for the load scripts: run it in the peer namespace,
 * with the source range local there. With {@code --capture IF} it also reads what the server sends back on that
 * interface ({@link PeerCapture}, {@link AmplificationMeter}) while it floods and for {@code --linger} seconds
 * after (the server's retransmissions), and prints the amplification per source and per answered datagram.
 * <pre>
 * flood sent=N bytes=N seconds=S rate=R initial=N undecryptable=N garbage=N errors=N
 * capture frames=N drops=N
 * replies datagrams=N bytes=N initial=N zero_rtt=N handshake=N retry=N short=N version_negotiation=N empty=N
 * amplification_sources count=N answered=N p50=X p99=X max=X over_3=N
 * amplification_datagrams count=N answered=N p50=X p99=X max=X over_3=N
 * </pre>
 * {@code --csv FILE} writes each source's figures (address, datagrams and bytes sent, bytes received back,
 * ratio). Exit status 0, or 2 on bad arguments.
 *
 * <p>usage: {@code java -cp CP io.quicxdp.bench.load.InitialFloodMain --server HOST:PORT --sources CIDR
 * [--ports 4] [--rate 0] [--seconds 10] [--max 100000000] [--mix 1:1:1] [--threads 1] [--alpn h3] [--capture IF]
 * [--linger 5] [--csv FILE]}
 */
public final class InitialFloodMain {

    private InitialFloodMain() {
    }

    public static void main(String[] args) throws Exception {
        PrintStream out = new PrintStream(System.out, true, StandardCharsets.UTF_8);
        InitialFlood.Settings settings;
        ConnectionsMain.Arguments arguments;
        try {
            arguments = ConnectionsMain.Arguments.parse(args);
            String[] weights = arguments.text("mix", "1:1:1").split(":");
            if (weights.length != 3) {
                throw new IllegalArgumentException("--mix is initial:undecryptable:garbage, such as 1:1:1");
            }
            int[] mix = { Integer.parseInt(weights[0]), Integer.parseInt(weights[1]), Integer.parseInt(weights[2]) };
            String sources = arguments.text("sources", null);
            if (sources == null) {
                throw new IllegalArgumentException("--sources CIDR is required, such as 198.18.5.128/25");
            }
            settings = new InitialFlood.Settings(arguments.address("server"), InitialFlood.hostsOf(sources),
                    arguments.integer("ports", 4), arguments.decimal("rate", 0), arguments.seconds("seconds", 10),
                    (long) arguments.decimal("max", 100_000_000), mix, arguments.integer("threads", 1),
                    arguments.text("alpn", "h3"));
        }
        catch (IllegalArgumentException ex) {
            System.err.println("initial flood: " + ex.getMessage());
            System.exit(2);
            return;
        }
        Duration linger = arguments.seconds("linger", 5);
        LifetimeGuard.start("initial flood", settings.duration().plus(linger).plusMinutes(2));
        AmplificationMeter meter = new AmplificationMeter();
        String interfaceName = arguments.text("capture", null);
        PeerCapture capture = interfaceName == null ? null
                : PeerCapture.open(interfaceName, settings.server().getPort(), meter);
        try (InitialFlood flood = InitialFlood.open(settings)) {
            out.println("flooding sources=" + settings.sources().size() + " sockets="
                    + settings.sources().size() * settings.portsPerSource());
            InitialFlood.Result result = flood.run();
            out.println(result.line());
            if (capture != null) {
                capture.close(linger);
                out.println("capture frames=" + capture.frames() + " drops=" + capture.kernelDrops());
                Map<InetAddress, long[]> sent = flood.sentBySource();
                meter.report(sent).forEach(out::println);
                String csv = arguments.text("csv", null);
                if (csv != null) {
                    writeCsv(Path.of(csv), sent, meter.sourceRatios(sent));
                }
            }
        }
        finally {
            if (capture != null) {
                capture.close();
            }
        }
        System.exit(0);
    }

    private static void writeCsv(Path file, Map<InetAddress, long[]> sent, List<Double> ratios) throws Exception {
        List<String> lines = new ArrayList<>();
        lines.add("source,datagrams_sent,bytes_sent,ratio");
        int i = 0;
        for (Map.Entry<InetAddress, long[]> source : sent.entrySet()) {
            if (source.getValue()[1] > 0) {
                lines.add(source.getKey().getHostAddress() + "," + source.getValue()[0] + "," + source.getValue()[1]
                        + "," + ratios.get(i++));
            }
        }
        try (PrintWriter writer = new PrintWriter(Files.newBufferedWriter(file))) {
            lines.forEach(writer::println);
        }
    }
}
