package io.quicxdp.bench;

import io.quicxdp.bench.QuicBenchRunner.Cell;
import io.quicxdp.bench.QuicBenchRunner.Trial;
import io.quicxdp.bench.QuicBenchRunner.WarmUp;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.ToDoubleFunction;

/**
 * The QUIC and HTTP/3 results as Markdown: how the servers were warmed up, then per fixture one table per cell
 * (medians with min–max over rounds, ratios to the epoll server), the fixtures compared, and issue 20's targets
 * on the fair fixture.
 */
final class QuicReport {

    /** What each fixture does, for the headings. */
    static final Map<String, String> FIXTURES = Map.of(
            "rps", "the client's receive stack on the client's core (RPS on the peer's receive queue)",
            "gro", "threaded NAPI with GRO on the peer, its thread on the client's core (TSO off on the server's end)",
            "plain", "the veth pair as it comes: the client's receive stack runs in the server's send calls");

    private final Config config;

    private final List<QuicServerSpec> servers;

    private final List<Cell> cells;

    private final QuicResults results;

    private final double minutes;

    private final StringBuilder out = new StringBuilder();

    QuicReport(Config config, List<QuicServerSpec> servers, List<Cell> cells, QuicResults results, double minutes) {
        this.config = config;
        this.servers = servers;
        this.cells = cells;
        this.results = results;
        this.minutes = minutes;
    }

    String markdown() {
        line("### QUIC and HTTP/3: run of " + ZonedDateTime.now().format(DateTimeFormatter.ISO_OFFSET_DATE_TIME));
        line();
        line("- command: `" + config.command + "` (QUIC_ROUNDS=" + config.quicRounds + ", QUIC_DURATION="
                + config.quicDuration + " s per cell after a 1 s ramp, QUIC_FIXTURES=" + String.join(",",
                config.quicFixtures) + ", QUIC_PACED_RATE=" + config.quicPacedRate + " MB/s, QUIC_LATENCY_RATE="
                + config.quicLatencyRate + "/s, warm-up rounds of " + config.quicWarmupSeconds + " s per cell until "
                + "the JIT threads take at most " + pct(config.quicJitQuiet) + " of a round, at most "
                + config.quicWarmupRounds + "); took " + String.format("%.1f", minutes) + " min");
        line("- machine: " + Report.cpuModel() + ", " + Runtime.getRuntime().availableProcessors() + " cores, "
                + Report.memory() + "; kernel " + Report.read("/proc/sys/kernel/osrelease"));
        line("- each server's event loop thread alone on core " + config.receiverCpu + ", its other threads (JIT, GC, "
                + "helpers) and the load generator (Netty QUIC client, one event loop, in the peer namespace) on core "
                + config.generatorCpu + "; veth pair, 1 queue; the reference XDP program redirects UDP port "
                + QuicBenchRunner.PORT + " into the pinned XSKMAP (copy mode; for the kernel servers its slot is "
                + "empty and packets pass to the stack)");
        line("- Java: " + Report.javaVersion(config.java17) + "; every Java server with `-Xmx512m -XX:+UseG1GC "
                + "-XX:-UseDynamicNumberOfCompilerThreads -Dio.netty.leakDetection.level=disabled "
                + "-Dio.netty.allocator.type=" + config.nettyAllocator + "`");
        line("- every server sends UDP payloads of at most " + QuicServerSpec.MAX_UDP_PAYLOAD + " bytes and grants "
                + "64 MiB per connection, 16 MiB per stream and 1000 streams");
        line("- servers: " + String.join("; ", servers.stream().map(s -> s.name).toList()));
        line();
        warmUps();
        for (String fixture : results.fixtures()) {
            line("#### Fixture `" + fixture + "`: " + FIXTURES.get(fixture));
            line();
            for (Cell cell : cells) {
                table(fixture, cell);
            }
        }
        line("Failed requests (reset, timed out or short) are counted by the generator; " + (results.failures() == 0
                ? "none in this run" : results.failures() + " in this run (see the logs)") + ".");
        line();
        compareFixtures();
        targets();
        return out.toString();
    }

    private void warmUps() {
        line("#### Steady state: warm-up of each server start, and the JIT in the measured cells");
        line();
        line("| server | warm-up rounds | JIT share of the last warm-up round | JIT share of the CPU in the measured "
                + "cells |");
        line("|---|---|---|---|");
        for (QuicServerSpec server : servers) {
            List<WarmUp> warmUps = results.warmUps(server.name);
            if (warmUps.isEmpty()) {
                continue;
            }
            double[] rounds = warmUps.stream().mapToDouble(WarmUp::rounds).toArray();
            double[] shares = warmUps.stream().mapToDouble(WarmUp::jitShare).filter(v -> !Double.isNaN(v)).toArray();
            List<Double> measured = new ArrayList<>();
            for (String fixture : results.fixtures()) {
                for (Cell cell : cells) {
                    for (int family : List.of(4, 6)) {
                        for (QuicSample sample : results.samples(fixture, server.name, new Trial(cell.id(), family))) {
                            double jit = sample.get(QuicSample.JIT) / sample.get(QuicSample.CPU);
                            if (!Double.isNaN(jit)) {
                                measured.add(jit * 100);
                            }
                        }
                    }
                }
            }
            line("| " + server.name + " | " + Report.spread(rounds, "%.0f") + " | "
                    + (shares.length == 0 ? "n/a (no JIT)" : spreadPct(shares)) + " | "
                    + (measured.isEmpty() ? "n/a" : Report.spread(measured.stream().mapToDouble(Double::doubleValue)
                            .toArray(), "%.1f") + " %") + " |");
        }
        line();
    }

    /** One cell's table for one fixture; none if the cell did not run under it. */
    private void table(String fixture, Cell cell) {
        boolean ran = false;
        for (QuicServerSpec server : servers) {
            for (int family : List.of(4, 6)) {
                ran |= !results.samples(fixture, server.name, new Trial(cell.id(), family)).isEmpty();
            }
        }
        if (!ran) {
            return;
        }
        List<Column> columns = columns(cell);
        line("##### " + title(cell) + ": median (min–max) over " + config.quicRounds + " rounds");
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
            Trial trial = new Trial(cell.id(), family);
            for (QuicServerSpec server : servers) {
                if (results.samples(fixture, server.name, trial).isEmpty()) {
                    continue;
                }
                StringBuilder row = new StringBuilder("| " + server.name + " | IPv" + family + " |");
                for (Column column : columns) {
                    double[] v = results.values(fixture, server.name, trial, column.field);
                    row.append(' ').append(v.length == 0 ? "n/a" : Report.spread(v, column.format)).append(" |");
                    if (column.compared) {
                        row.append(' ').append(ratio(fixture, server.name, trial, column.field)).append(" |");
                    }
                }
                line(row.toString());
            }
        }
        line();
    }

    static String title(Cell cell) {
        return switch (cell.id()) {
            case "handshakes" -> "Handshakes: a new connection per request (16 in flight), GET /small";
            case "requests" -> "Small requests: 8 connections × 8 streams in flight, GET /small (100 B)";
            case "streams" -> "Browser pattern: one connection, 64 streams in flight, GET /small (100 B)";
            case "bulk1" -> "Bulk, one stream: GET /bulk (16 MiB) back to back on one connection";
            case "bulk8" -> "Bulk, eight streams: GET /bulk on 8 streams of one connection";
            case "paced" -> "Paced bulk: GET /bulk on one stream, read at a fixed rate";
            case "latency" -> "Latency at a fixed request rate over 8 connections, GET /small, from the intended start";
            default -> throw new IllegalArgumentException("no title for cell " + cell.id());
        };
    }

    static List<Column> columns(Cell cell) {
        if (cell.perMegabyte()) {
            return List.of(
                    new Column("MB/s", "%.1f", s -> s.get(QuicSample.MBPS), true),
                    new Column("CPU ms/MB", "%.2f", ms(QuicSample.CPU), true),
                    new Column("loop user ms/MB", "%.2f", ms(QuicSample.LOOP_USER), false),
                    new Column("loop system ms/MB", "%.2f", ms(QuicSample.LOOP_SYSTEM), false),
                    new Column("JIT ms/MB", "%.2f", ms(QuicSample.JIT), false),
                    new Column("wake-ups/MB", "%.0f", s -> s.get(QuicSample.WAKEUPS), false),
                    new Column("datagrams in/MB", "%.0f", s -> s.get(QuicSample.RX_DATAGRAMS), false),
                    new Column("kicks/MB", "%.0f", s -> s.get(QuicSample.KICKS), false),
                    new Column("datagrams/kick", "%.1f", s -> s.get(QuicSample.PER_KICK), false),
                    new Column("IPIs to server core/MB", "%.0f", s -> s.get(QuicSample.SERVER_IPIS), false),
                    new Column("IPIs to client core/MB", "%.0f", s -> s.get(QuicSample.CLIENT_IPIS), false),
                    new Column("loss %", "%.2f", s -> s.get(QuicSample.LOSS), false),
                    new Column("RTT µs", "%.0f", s -> s.get(QuicSample.RTT), false),
                    new Column("alloc KB/MB", "%.1f", s -> s.get(QuicSample.ALLOC) / 1024, false),
                    new Column("server busy", "%.2f", s -> s.get(QuicSample.BUSY), false),
                    new Column("client core busy", "%.2f", s -> s.get(QuicSample.CLIENT_BUSY), false));
        }
        String unit = cell.id().equals("handshakes") ? "handshake" : "request";
        List<Column> columns = new ArrayList<>();
        if (cell.id().equals("latency")) {
            columns.add(new Column("p50 µs", "%.0f", s -> s.get(QuicSample.P50), true));
            columns.add(new Column("p99 µs", "%.0f", s -> s.get(QuicSample.P99), true));
        }
        else {
            columns.add(new Column(unit + "s/s", "%.0f", s -> s.get(QuicSample.RATE), true));
        }
        columns.add(new Column("CPU µs/" + unit, "%.1f", us(QuicSample.CPU), true));
        columns.add(new Column("loop user µs", "%.1f", us(QuicSample.LOOP_USER), false));
        columns.add(new Column("loop system µs", "%.1f", us(QuicSample.LOOP_SYSTEM), false));
        columns.add(new Column("JIT µs", "%.1f", us(QuicSample.JIT), false));
        columns.add(new Column("wake-ups/" + unit, "%.2f", s -> s.get(QuicSample.WAKEUPS), false));
        columns.add(new Column("datagrams in/" + unit, "%.2f", s -> s.get(QuicSample.RX_DATAGRAMS), false));
        columns.add(new Column("kicks/" + unit, "%.2f", s -> s.get(QuicSample.KICKS), false));
        columns.add(new Column("IPIs to server core/" + unit, "%.2f", s -> s.get(QuicSample.SERVER_IPIS), false));
        columns.add(new Column("IPIs to client core/" + unit, "%.2f", s -> s.get(QuicSample.CLIENT_IPIS), false));
        columns.add(new Column("alloc B/" + unit, "%.0f", s -> s.get(QuicSample.ALLOC), false));
        if (cell.id().equals("latency")) {
            columns.add(new Column("requests/s", "%.0f", s -> s.get(QuicSample.RATE), false));
        }
        else {
            columns.add(new Column("p50 µs", "%.0f", s -> s.get(QuicSample.P50), false));
            columns.add(new Column("p99 µs", "%.0f", s -> s.get(QuicSample.P99), false));
            columns.add(new Column("server busy", "%.2f", s -> s.get(QuicSample.BUSY), false));
            columns.add(new Column("client core busy", "%.2f", s -> s.get(QuicSample.CLIENT_BUSY), false));
        }
        return columns;
    }

    private static ToDoubleFunction<QuicSample> ms(String name) {
        return s -> s.get(name) / 1e6;
    }

    private static ToDoubleFunction<QuicSample> us(String name) {
        return s -> s.get(name) / 1e3;
    }

    /** Each server's figures on the second and later fixtures against the first's. */
    private void compareFixtures() {
        List<String> fixtures = results.fixtures();
        if (fixtures.size() < 2) {
            return;
        }
        String base = fixtures.get(0);
        for (String other : fixtures.subList(1, fixtures.size())) {
            line("#### The fixtures compared: `" + other + "` ÷ `" + base + "` (medians)");
            line();
            line("The same server on both: a ratio under 1 means less CPU (or a lower rate) under `" + other
                    + "`. A sender with GSO (epoll, ngtcp2) that pays more under `" + other + "` is penalised by it.");
            line();
            line("| server | IP | bulk1 MB/s | bulk1 CPU/MB | bulk8 MB/s | bulk8 CPU/MB | paced CPU/MB | requests/s "
                    + "| CPU/request | streams CPU/request |");
            line("|---|---|---|---|---|---|---|---|---|---|");
            for (int family : List.of(4, 6)) {
                for (QuicServerSpec server : servers) {
                    StringBuilder row = new StringBuilder("| " + server.name + " | IPv" + family + " |");
                    boolean any = false;
                    for (String[] figure : new String[][] {{"bulk1", QuicSample.MBPS}, {"bulk1", QuicSample.CPU},
                            {"bulk8", QuicSample.MBPS}, {"bulk8", QuicSample.CPU}, {"paced", QuicSample.CPU},
                            {"requests", QuicSample.RATE}, {"requests", QuicSample.CPU},
                            {"streams", QuicSample.CPU}}) {
                        Trial trial = new Trial(figure[0], family);
                        double ratio = Report.median(results.values(other, server.name, trial, s -> s.get(figure[1])))
                                / Report.median(results.values(base, server.name, trial, s -> s.get(figure[1])));
                        any |= !Double.isNaN(ratio);
                        row.append(Double.isNaN(ratio) ? " – |" : String.format(" %.2f |", ratio));
                    }
                    if (any) {
                        line(row.toString());
                    }
                }
            }
            line();
        }
    }

    /** Issue 20's targets, on the fair fixture (rps, or the first one run). */
    private void targets() {
        List<String> fixtures = results.fixtures();
        if (fixtures.isEmpty()) {
            return;
        }
        String fair = fixtures.contains("rps") ? "rps" : fixtures.get(0);
        line("#### Targets on the `" + fair + "` fixture (medians)");
        line();
        line("| target | IP | figures | met |");
        line("|---|---|---|---|");
        for (int family : List.of(4, 6)) {
            // both send paths receive over XDP: AF_XDP TX, and kernel GSO on copy-mode queues (quic.xdp.tx-path)
            for (String server : List.of(QuicServerSpec.XDP, QuicServerSpec.XDP_GSO)) {
                String who = server.equals(QuicServerSpec.XDP) ? "XDP" : "XDP, TX by kernel GSO,";
                for (String bulk : List.of("bulk1", "bulk8")) {
                    double mb = ratio(fair, server, QuicServerSpec.BASELINE, bulk, family, QuicSample.MBPS);
                    double cpu = ratio(fair, server, QuicServerSpec.BASELINE, bulk, family, QuicSample.CPU);
                    target(who + " " + bulk + ": ≥ 1.2× epoll's MB/s at ≤ 0.8× its CPU/MB", family,
                            String.format("%.2f× MB/s, %.2f× CPU/MB", mb, cpu), mb >= 1.2 && cpu <= 0.8);
                }
                double small = ratio(fair, server, QuicServerSpec.BASELINE, "requests", family, QuicSample.CPU);
                target(who + " small requests: ≤ 0.85× epoll's CPU/request", family, String.format("%.2f×", small),
                        small <= 0.85);
                double streams = ratio(fair, server, QuicServerSpec.NGTCP2, "streams", family, QuicSample.CPU);
                target(who + " one connection with many streams: ≤ 3× ngtcp2's CPU/request", family,
                        String.format("%.2f×", streams), streams <= 3);
            }
            double webflux = ratio(fair, QuicServerSpec.WEBFLUX_XDP, QuicServerSpec.XDP, "requests", family,
                    QuicSample.CPU);
            target("WebFlux through the starter: ≤ 2× the Netty server's CPU/request (both on XDP)", family,
                    String.format("%.2f×", webflux), webflux <= 2);
        }
        line();
        line("No allocation per datagram in the transport below the codec: see the `Transport` JMH benchmarks "
                + "(`-prof gc`) and `XdpDatagramChannelTests`; the alloc columns above are the whole server's "
                + "(codec, HTTP/3, TLS, and for WebFlux the framework) per request.");
        line();
    }

    private void target(String target, int family, String figures, boolean met) {
        if (figures.contains("NaN")) {
            return;
        }
        line("| " + target + " | IPv" + family + " | " + figures + " | " + (met ? "yes" : "**missed**") + " |");
    }

    /** Median of {@code id}'s figure over median of {@code reference}'s; NaN when either did not run. */
    private double ratio(String fixture, String id, String reference, String cell, int family, String figure) {
        Trial trial = new Trial(cell, family);
        String a = name(id);
        String b = name(reference);
        if (a == null || b == null) {
            return Double.NaN;
        }
        return Report.median(results.values(fixture, a, trial, s -> s.get(figure)))
                / Report.median(results.values(fixture, b, trial, s -> s.get(figure)));
    }

    private String ratio(String fixture, String server, Trial trial, ToDoubleFunction<QuicSample> field) {
        String baseline = name(QuicServerSpec.BASELINE);
        double[] reference = baseline == null ? new double[0] : results.values(fixture, baseline, trial, field);
        double[] v = results.values(fixture, server, trial, field);
        if (v.length == 0 || reference.length == 0) {
            return "–";
        }
        return String.format("%.2f", Report.median(v) / Report.median(reference));
    }

    private String name(String id) {
        return servers.stream().filter(s -> s.id.equals(id)).map(s -> s.name).findFirst().orElse(null);
    }

    private static String pct(double share) {
        return String.format("%.0f %%", share * 100);
    }

    private static String spreadPct(double[] shares) {
        double[] percent = java.util.Arrays.stream(shares).map(v -> v * 100).toArray();
        return Report.spread(percent, "%.1f") + " %";
    }

    private void line(String text) {
        out.append(text).append('\n');
    }

    private void line() {
        out.append('\n');
    }

    /** A figure of a table; compared ones get a ratio column to the epoll server. */
    record Column(String label, String format, ToDoubleFunction<QuicSample> field, boolean compared) {
    }
}
