package io.quicxdp.bench;

import io.quicxdp.bench.BenchRunner.Sample;
import io.quicxdp.bench.BenchRunner.Trial;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.function.ToDoubleFunction;

/** The results as Markdown: machine, command, tables of median (min–max) and ratios to the C reference. */
final class Report {

    private final Config config;

    private final Map<String, Map<Trial, List<Sample>>> results;

    private final String generatorMode;

    private final List<String> generatorSelection;

    private final double minutes;

    private final StringBuilder out = new StringBuilder();

    Report(Config config, Map<String, Map<Trial, List<Sample>>> results, String generatorMode,
            List<String> generatorSelection, double minutes) {
        this.config = config;
        this.results = results;
        this.generatorMode = generatorMode;
        this.generatorSelection = generatorSelection;
        this.minutes = minutes;
    }

    String markdown() {
        line("### Run of " + ZonedDateTime.now().format(DateTimeFormatter.ISO_OFFSET_DATE_TIME));
        line();
        line("- command: `" + config.command + "` (ROUNDS=" + config.rounds + ", DURATION=" + config.duration
                + " s per cell, WARMUP=" + config.warmup + " s per flow before each receiver's first round, "
                + "LATENCY_RATE=" + config.latencyRate + "/s); took " + String.format("%.1f", minutes) + " min");
        line("- machine: " + cpuModel() + ", " + Runtime.getRuntime().availableProcessors() + " cores, "
                + memory() + "; kernel " + read("/proc/sys/kernel/osrelease"));
        line("- receiver pinned to core " + config.receiverCpu + ", generator to core " + config.generatorCpu
                + "; veth pair, 1 queue, the reference XDP program redirecting port " + BenchRunner.PORT
                + " into the pinned XSKMAP (copy mode)");
        line("- Java: " + javaVersion(config.java17) + (config.java25.isEmpty() ? "" : "; " + javaVersion(config.java25)));
        line("- generator: `" + generatorMode + "` (" + String.join("; ", generatorSelection) + ")");
        line();
        flood("Receive only", "drop", "received Mpps", s -> s.rate() / 1e6);
        flood("Echo", "echo", "echoed Mpps (back at the generator)", s -> s.echoRate() / 1e6);
        latency();
        targets();
        return out.toString();
    }

    private void flood(String title, String workload, String rateLabel, ToDoubleFunction<Sample> rate) {
        line("#### " + title + ": median (min–max) over " + config.rounds + " rounds");
        line();
        line("| receiver | IP | payload | " + rateLabel + " | × C | CPU ns/packet (receiving thread) | × C | "
                + "thread busy | alloc B/packet (max) | offered Mpps |");
        line("|---|---|---|---|---|---|---|---|---|---|");
        for (int family : List.of(4, 6)) {
            for (int size : List.of(64, 1200)) {
                Trial trial = new Trial(workload, family, size);
                double[] refRate = values(ReceiverSpec.REFERENCE, trial, rate);
                double[] refCpu = values(ReceiverSpec.REFERENCE, trial, Sample::cpu);
                for (String receiver : results.keySet()) {
                    double[] r = values(receiver, trial, rate);
                    if (r.length == 0) {
                        continue;
                    }
                    double[] cpu = values(receiver, trial, Sample::cpu);
                    line("| " + receiver + " | IPv" + family + " | " + size + " | " + spread(r, "%.3f") + " | "
                            + ratio(r, refRate) + " | " + spread(cpu, "%.0f") + " | " + ratio(cpu, refCpu) + " | "
                            + String.format("%.2f", median(values(receiver, trial, Sample::busy))) + " | "
                            + alloc(values(receiver, trial, Sample::alloc)) + " | "
                            + String.format("%.3f", median(values(receiver, trial, s -> s.offered() / 1e6))) + " |");
                }
            }
        }
        line();
    }

    private void latency() {
        line("#### Echo round trip at " + config.latencyRate + " datagrams/s, 64-byte payload, measured by the "
                + "generator: median (min–max) over " + config.rounds + " rounds");
        line();
        line("| receiver | IP | p50 µs | p99 µs | CPU ns/packet | alloc B/packet (max) | echoed/sent |");
        line("|---|---|---|---|---|---|---|");
        for (int family : List.of(4, 6)) {
            Trial trial = new Trial("latency", family, 64);
            for (String receiver : results.keySet()) {
                double[] p50 = values(receiver, trial, s -> s.p50() / 1e3);
                if (p50.length == 0) {
                    continue;
                }
                line("| " + receiver + " | IPv" + family + " | " + spread(p50, "%.1f") + " | "
                        + spread(values(receiver, trial, s -> s.p99() / 1e3), "%.1f") + " | "
                        + spread(values(receiver, trial, Sample::cpu), "%.0f") + " | "
                        + alloc(values(receiver, trial, Sample::alloc)) + " | "
                        + String.format("%.4f", median(values(receiver, trial, s -> s.echoRate() / s.offered())))
                        + " |");
            }
        }
        line();
    }

    /** The targets, per cell, for each quic-xdp receiver. */
    private void targets() {
        line("#### Targets (medians)");
        line();
        line("| receiver | IP | payload | rx ≥ 0.95× C | CPU ≤ 1.1× C | echo ≥ 0.9× C | ahead of NIO and Netty (rx, echo) "
                + "| 0 B/packet |");
        line("|---|---|---|---|---|---|---|---|");
        for (String receiver : results.keySet()) {
            if (!receiver.startsWith("quic-xdp")) {
                continue;
            }
            for (int family : List.of(4, 6)) {
                for (int size : List.of(64, 1200)) {
                    Trial drop = new Trial("drop", family, size);
                    Trial echo = new Trial("echo", family, size);
                    double rx = median(values(receiver, drop, Sample::rate))
                            / median(values(ReceiverSpec.REFERENCE, drop, Sample::rate));
                    double cpu = median(values(receiver, drop, Sample::cpu))
                            / median(values(ReceiverSpec.REFERENCE, drop, Sample::cpu));
                    double ec = median(values(receiver, echo, Sample::echoRate))
                            / median(values(ReceiverSpec.REFERENCE, echo, Sample::echoRate));
                    boolean ahead = true;
                    for (String other : results.keySet()) {
                        if (other.startsWith("NIO") || other.startsWith("Netty")) {
                            ahead &= median(values(receiver, drop, Sample::rate))
                                    > median(values(other, drop, Sample::rate))
                                    && median(values(receiver, echo, Sample::echoRate))
                                            > median(values(other, echo, Sample::echoRate));
                        }
                    }
                    double alloc = Math.max(max(values(receiver, drop, Sample::alloc)),
                            max(values(receiver, echo, Sample::alloc)));
                    line("| " + receiver + " | IPv" + family + " | " + size + " | " + verdict(rx, rx >= 0.95) + " | "
                            + verdict(cpu, cpu <= 1.1) + " | " + verdict(ec, ec >= 0.9) + " | "
                            + (ahead ? "yes" : "**no**") + " | " + (alloc == 0 ? "yes" : "**no** (" + alloc + ")")
                            + " |");
                }
            }
        }
        line();
    }

    private static String verdict(double ratio, boolean met) {
        return String.format("%.2f×", ratio) + (met ? "" : " **missed**");
    }

    private double[] values(String receiver, Trial trial, ToDoubleFunction<Sample> field) {
        List<Sample> samples = results.getOrDefault(receiver, Map.of()).getOrDefault(trial, List.of());
        return samples.stream().mapToDouble(field).filter(v -> !Double.isNaN(v)).toArray();
    }

    static String spread(double[] values, String format) {
        if (values.length == 0) {
            return "–";
        }
        double[] sorted = values.clone();
        Arrays.sort(sorted);
        return String.format(format, median(values)) + " (" + String.format(format, sorted[0]) + "–"
                + String.format(format, sorted[sorted.length - 1]) + ")";
    }

    private static String ratio(double[] values, double[] reference) {
        if (values.length == 0 || reference.length == 0) {
            return "–";
        }
        return String.format("%.2f", median(values) / median(reference));
    }

    private static String alloc(double[] values) {
        return values.length == 0 ? "n/a" : String.format("%.1f", max(values));
    }

    static double median(double[] values) {
        if (values.length == 0) {
            return Double.NaN;
        }
        double[] sorted = values.clone();
        Arrays.sort(sorted);
        int n = sorted.length;
        return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
    }

    static double max(double[] values) {
        return Arrays.stream(values).max().orElse(Double.NaN);
    }

    static String cpuModel() {
        for (String line : read("/proc/cpuinfo").split("\n")) {
            if (line.startsWith("model name")) {
                return line.substring(line.indexOf(':') + 1).trim();
            }
        }
        return "unknown CPU";
    }

    static String memory() {
        for (String line : read("/proc/meminfo").split("\n")) {
            if (line.startsWith("MemTotal:")) {
                long kb = Long.parseLong(line.replaceAll("[^0-9]", ""));
                return String.format("%.0f GiB", kb / 1024.0 / 1024.0);
            }
        }
        return "? GiB";
    }

    static String javaVersion(String java) {
        try {
            Process process = new ProcessBuilder(java, "-version").redirectErrorStream(true).start();
            String[] lines = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8).split("\n");
            process.waitFor();
            List<String> parts = new ArrayList<>();
            for (int i = 0; i < Math.min(2, lines.length); i++) {
                parts.add(lines[i].trim());
            }
            return String.join(", ", parts);
        }
        catch (IOException | InterruptedException ex) {
            return java + " (version unknown)";
        }
    }

    static String read(String path) {
        try {
            return Files.readString(Path.of(path)).trim();
        }
        catch (IOException ex) {
            return "?";
        }
    }

    private void line(String text) {
        out.append(text).append('\n');
    }

    private void line() {
        out.append('\n');
    }
}
