package io.quicxdp.bench;

import io.quicxdp.bench.QuicBenchRunner.Sample;
import io.quicxdp.bench.QuicBenchRunner.Trial;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.Map;
import java.util.function.ToDoubleFunction;

/**
 * The QUIC and HTTP/3 results as Markdown: one table per cell, medians with min–max over rounds and ratios to
 * the epoll server, then the targets for the XDP server.
 */
final class QuicReport {

    private final Config config;

    private final List<QuicServerSpec> servers;

    private final Map<String, Map<Trial, List<Sample>>> results;

    private final double minutes;

    private final StringBuilder out = new StringBuilder();

    QuicReport(Config config, List<QuicServerSpec> servers, Map<String, Map<Trial, List<Sample>>> results,
            double minutes) {
        this.config = config;
        this.servers = servers;
        this.results = results;
        this.minutes = minutes;
    }

    String markdown() {
        line("### QUIC and HTTP/3: run of " + ZonedDateTime.now().format(DateTimeFormatter.ISO_OFFSET_DATE_TIME));
        line();
        line("- command: `" + config.command + "` (QUIC_ROUNDS=" + config.quicRounds + ", QUIC_DURATION="
                + config.quicDuration + " s per cell after a 1 s ramp, QUIC_LATENCY_RATE=" + config.quicLatencyRate
                + "/s); took " + String.format("%.1f", minutes) + " min");
        line("- machine: " + Report.cpuModel() + ", " + Runtime.getRuntime().availableProcessors() + " cores, "
                + Report.memory() + "; kernel " + Report.read("/proc/sys/kernel/osrelease"));
        line("- server pinned to core " + config.receiverCpu + ", load generator (Netty QUIC client, one event "
                + "loop) to core " + config.generatorCpu + " in the peer namespace; veth pair, 1 queue; the "
                + "reference XDP program redirects UDP port " + QuicBenchRunner.PORT + " into the pinned XSKMAP "
                + "(copy mode; for the other servers its slot is empty and packets pass to the stack)");
        line("- Java: " + Report.javaVersion(config.java17));
        line("- servers: " + String.join("; ", servers.stream().map(s -> s.name).toList()));
        line();
        table("Handshakes: a new connection per request (16 in flight), GET /small", "handshakes",
                new Column("handshakes/s", "%.0f", Sample::rate, true),
                new Column("CPU µs/handshake", "%.0f", s -> s.cpu() / 1e3, true),
                new Column("alloc KB/handshake", "%.1f", s -> s.alloc() / 1024, false),
                new Column("server busy", "%.2f", Sample::busy, false),
                new Column("kernel share", "%.2f", Sample::system, false));
        table("Small requests: 8 connections × 8 streams in flight, GET /small (100 B)", "requests",
                new Column("requests/s", "%.0f", Sample::rate, true),
                new Column("CPU µs/request", "%.1f", s -> s.cpu() / 1e3, true),
                new Column("alloc B/request", "%.0f", Sample::alloc, false),
                new Column("p50 µs", "%.0f", Sample::p50, false),
                new Column("p99 µs", "%.0f", Sample::p99, false),
                new Column("server busy", "%.2f", Sample::busy, false),
                new Column("kernel share", "%.2f", Sample::system, false));
        table("Bulk, one stream: GET /bulk back to back on one connection", "bulk1",
                new Column("MB/s", "%.1f", Sample::megabytes, true),
                new Column("CPU ms/MB", "%.2f", s -> s.cpu() / 1e6, true),
                new Column("alloc KB/MB", "%.1f", s -> s.alloc() / 1024, false),
                new Column("server busy", "%.2f", Sample::busy, false),
                new Column("kernel share", "%.2f", Sample::system, false));
        table("Bulk, eight streams: GET /bulk on 8 streams of one connection", "bulk8",
                new Column("MB/s", "%.1f", Sample::megabytes, true),
                new Column("CPU ms/MB", "%.2f", s -> s.cpu() / 1e6, true),
                new Column("alloc KB/MB", "%.1f", s -> s.alloc() / 1024, false),
                new Column("server busy", "%.2f", Sample::busy, false),
                new Column("kernel share", "%.2f", Sample::system, false));
        table("Latency at " + config.quicLatencyRate + " requests/s over 8 connections, GET /small, from the "
                + "intended start", "latency",
                new Column("p50 µs", "%.0f", Sample::p50, true),
                new Column("p99 µs", "%.0f", Sample::p99, true),
                new Column("CPU µs/request", "%.1f", s -> s.cpu() / 1e3, true),
                new Column("alloc B/request", "%.0f", Sample::alloc, false),
                new Column("requests/s", "%.0f", Sample::rate, false));
        line("Failed requests (reset, timed out or short) are counted by the generator; " + failures() + ".");
        line();
        targets();
        return out.toString();
    }

    private void table(String title, String cell, Column... columns) {
        line("#### " + title + ": median (min–max) over " + config.quicRounds + " rounds");
        line();
        StringBuilder header = new StringBuilder("| server | IP |");
        StringBuilder rule = new StringBuilder("|---|---|");
        for (Column column : columns) {
            header.append(' ').append(column.label).append(" |");
            rule.append("---|");
            if (column.compared) {
                header.append(" × ").append(QuicServerSpec.BASELINE).append(" |");
                rule.append("---|");
            }
        }
        line(header.toString());
        line(rule.toString());
        for (int family : List.of(4, 6)) {
            Trial trial = new Trial(cell, family);
            for (QuicServerSpec server : servers) {
                if (values(server.name, trial, Sample::rate).length == 0) {
                    continue;
                }
                StringBuilder row = new StringBuilder("| " + server.name + " | IPv" + family + " |");
                for (Column column : columns) {
                    double[] v = values(server.name, trial, column.field);
                    row.append(' ').append(v.length == 0 ? "n/a" : Report.spread(v, column.format)).append(" |");
                    if (column.compared) {
                        row.append(' ').append(ratio(server.name, trial, column.field)).append(" |");
                    }
                }
                line(row.toString());
            }
        }
        line();
    }

    /** The targets for the XDP server against the epoll one, per cell and IP version. */
    private void targets() {
        String xdp = name(QuicServerSpec.XDP);
        String epoll = baselineName();
        if (xdp == null || epoll == null) {
            return;
        }
        line("#### Targets: " + xdp + " against " + epoll + " (medians)");
        line();
        line("| cell | IP | ahead of epoll | target | met |");
        line("|---|---|---|---|---|");
        for (int family : List.of(4, 6)) {
            target("handshakes", family, "handshakes/s " + rate("handshakes", family, Sample::rate),
                    ahead("handshakes", family, Sample::rate), "ahead", ahead("handshakes", family, Sample::rate));
            double rate = ratioOf("requests", family, Sample::rate);
            double cpu = ratioOf("requests", family, Sample::cpu);
            target("requests", family, String.format("requests/s %.2f×, CPU/request %.2f×", rate, cpu), rate > 1,
                    "≥ 1.25× rate at ≤ 0.8× CPU/request", rate >= 1.25 && cpu <= 0.8);
            for (String bulk : List.of("bulk1", "bulk8")) {
                double mb = ratioOf(bulk, family, Sample::megabytes);
                target(bulk, family, String.format("MB/s %.2f×", mb), mb > 1, "≥ 1.2×", mb >= 1.2);
            }
            double p50 = ratioOf("latency", family, Sample::p50);
            double p99 = ratioOf("latency", family, Sample::p99);
            target("latency", family, String.format("p50 %.2f×, p99 %.2f×", p50, p99), p50 < 1 && p99 < 1,
                    "lower p50 and p99", p50 < 1 && p99 < 1);
        }
        line();
        line("No allocation per datagram in the transport below the codec: see the `Transport` JMH benchmarks "
                + "(`-prof gc`) and `XdpDatagramChannelTests`; the alloc columns above are the whole server's "
                + "(codec, HTTP/3, TLS) per request.");
        line();
    }

    private void target(String cell, int family, String figures, boolean ahead, String target, boolean met) {
        line("| " + cell + " | IPv" + family + " | " + (ahead ? "yes" : "**no**") + " (" + figures + ") | " + target
                + " | " + (met ? "yes" : "**missed**") + " |");
    }

    private String rate(String cell, int family, ToDoubleFunction<Sample> field) {
        return String.format("%.2f×", ratioOf(cell, family, field));
    }

    private boolean ahead(String cell, int family, ToDoubleFunction<Sample> field) {
        return ratioOf(cell, family, field) > 1;
    }

    private double ratioOf(String cell, int family, ToDoubleFunction<Sample> field) {
        Trial trial = new Trial(cell, family);
        return Report.median(values(name(QuicServerSpec.XDP), trial, field))
                / Report.median(values(baselineName(), trial, field));
    }

    private String ratio(String server, Trial trial, ToDoubleFunction<Sample> field) {
        String baseline = baselineName();
        double[] reference = baseline == null ? new double[0] : values(baseline, trial, field);
        double[] v = values(server, trial, field);
        if (v.length == 0 || reference.length == 0) {
            return "–";
        }
        return String.format("%.2f", Report.median(v) / Report.median(reference));
    }

    private String failures() {
        long total = 0;
        for (Map<Trial, List<Sample>> byTrial : results.values()) {
            for (List<Sample> samples : byTrial.values()) {
                total += samples.stream().mapToLong(Sample::failed).sum();
            }
        }
        return total == 0 ? "none in this run" : total + " in this run (see the logs)";
    }

    private String baselineName() {
        return name(QuicServerSpec.BASELINE);
    }

    private String name(String id) {
        return servers.stream().filter(s -> s.id.equals(id)).map(s -> s.name).findFirst().orElse(null);
    }

    private double[] values(String server, Trial trial, ToDoubleFunction<Sample> field) {
        List<Sample> samples = results.getOrDefault(server, Map.of()).getOrDefault(trial, List.of());
        return samples.stream().mapToDouble(field).filter(v -> !Double.isNaN(v)).toArray();
    }

    private void line(String text) {
        out.append(text).append('\n');
    }

    private void line() {
        out.append('\n');
    }

    /** A figure of a table; compared ones get a ratio column to the epoll server. */
    private record Column(String label, String format, ToDoubleFunction<Sample> field, boolean compared) {
    }
}
