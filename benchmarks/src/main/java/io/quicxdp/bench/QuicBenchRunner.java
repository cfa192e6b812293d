package io.quicxdp.bench;

import io.quicxdp.bench.QuicServerSpec.QuicFiles;
import io.quicxdp.datapath.internal.bpf.InstalledReferenceProgram;
import io.quicxdp.datapath.internal.bpf.ReferenceXdpProgram;
import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * Drives the QUIC and HTTP/3 benchmark in the namespace and veth pair that {@code run.sh} built: installs the
 * reference XDP program for the QUIC port, starts the load generator ({@code QuicLoadMain}) in the peer
 * namespace on the generator's core, then for each round runs every server in turn on the server's core,
 * each through every cell for IPv4 and IPv6, and writes the results as Markdown.
 *
 * <p>The server's CPU time is the whole process's (user + system, from {@code /proc/PID/stat}: event loop,
 * codec, TLS, GC and JIT alike), taken when the generator opens and closes its measuring window.
 */
public final class QuicBenchRunner {

    static final int PORT = 4443;

    /** Every cell's shape; the load each one offers is fixed here so that the servers see the same. */
    static final List<Cell> CELLS = List.of(
            new Cell("handshakes", "handshakes", "16"),
            new Cell("requests", "requests", "8 8"),
            new Cell("bulk1", "bulk", "1"),
            new Cell("bulk8", "bulk", "8"),
            new Cell("latency", "latency", "8 RATE"));

    private static final long TICK_NANOS = 1_000_000_000L / 100;

    private final Config config;

    private final File logs;

    private final Map<String, Map<Trial, List<Sample>>> results = new LinkedHashMap<>();

    private QuicBenchRunner(Config config) {
        this.config = config;
        this.logs = new File(config.logDir);
        logs.mkdirs();
    }

    public static void main(String[] args) throws Exception {
        new QuicBenchRunner(Config.fromEnvironment()).run();
    }

    private void run() throws Exception {
        long started = System.nanoTime();
        QuicFiles files = new QuicFiles(config.htdocs, config.tlsKey, config.tlsCert);
        List<QuicServerSpec> servers = QuicServerSpec.all(config, files);
        try (InstalledReferenceProgram program = ReferenceXdpProgram.install(config.appInterface, Set.of(PORT),
                Path.of(config.quicPin));
                LineProcess generator = startGenerator()) {
            BenchRunner.log("installed " + program);
            expect(generator.readLine(60), "ready");
            for (int round = 1; round <= config.quicRounds; round++) {
                for (QuicServerSpec server : servers) {
                    runServer(generator, server, round);
                }
            }
        }
        double minutes = (System.nanoTime() - started) / 60e9;
        String markdown = new QuicReport(config, servers, results, minutes).markdown();
        Files.writeString(Path.of(config.quicOutput), markdown, StandardCharsets.UTF_8);
        BenchRunner.log(String.format("QUIC done in %.1f min; results in %s", minutes, config.quicOutput));
    }

    private LineProcess startGenerator() throws IOException {
        return new LineProcess("quic-load", List.of("ip", "netns", "exec", config.namespace, "taskset", "-c",
                config.generatorCpu, config.java17, "-Xms1g", "-Xmx1g", "-cp", config.classPath,
                "io.quicxdp.bench.quic.QuicLoadMain"), new File(logs, "quic-load.log"));
    }

    private void runServer(LineProcess generator, QuicServerSpec spec, int round) throws Exception {
        BenchRunner.log("QUIC round " + round + ": " + spec.name);
        File log = new File(logs, "quic-" + spec.id + "-round" + round + ".log");
        LineProcess server = spec.start(log);
        try {
            if (spec.speaksLines()) {
                awaitReady(server);
            }
            else {
                Thread.sleep(500);
            }
            // warm-up, not recorded: every cell once per family, shorter, so every path is compiled
            for (int family : List.of(4, 6)) {
                for (Cell cell : CELLS) {
                    measure(generator, server, spec, cell, family, 1);
                }
            }
            profile(spec, server, "start");
            for (int family : List.of(4, 6)) {
                for (Cell cell : CELLS) {
                    Sample sample = measure(generator, server, spec, cell, family, config.quicDuration);
                    results.computeIfAbsent(spec.name, k -> new LinkedHashMap<>())
                            .computeIfAbsent(new Trial(cell.id, family), k -> new ArrayList<>()).add(sample);
                    BenchRunner.log(String.format("  %-10s IPv%d: %s", cell.id, family, sample));
                }
            }
            profile(spec, server, "stop");
        }
        finally {
            if (spec.speaksLines()) {
                server.close();
            }
            else {
                server.terminate();
            }
        }
        Thread.sleep(300);
    }

    /**
     * Starts or stops the profiler (QUIC_PROFILER) in a Java server, through {@code jcmd}: it covers the
     * measured cells only, not start-up and warm-up. A later round's profile replaces an earlier one's.
     */
    private void profile(QuicServerSpec spec, LineProcess server, String action) throws Exception {
        if (config.quicProfiler.isEmpty() || !spec.speaksLines()) {
            return;
        }
        String file = new File(logs, "quic-" + spec.id).getPath();
        List<String> command = new ArrayList<>(List.of(Path.of(config.java17).resolveSibling("jcmd").toString(),
                Long.toString(server.pid())));
        if (config.quicProfiler.equals("jfr")) {
            command.addAll(action.equals("start") ? List.of("JFR.start", "name=cells", "settings=profile")
                    : List.of("JFR.stop", "name=cells", "filename=" + file + ".jfr"));
        }
        else {
            // async-profiler sees what JFR does not: native frames (quiche, BoringSSL) and the kernel's. Quoted, or
            // jcmd would take the options' '=' for arguments of its own
            command.addAll(List.of("JVMTI.agent_load", config.asyncProfiler, '"' + (action.equals("start")
                    ? "start,event=cpu,interval=1ms" : "stop,collapsed,file=" + file + ".collapsed") + '"'));
        }
        Process jcmd = new ProcessBuilder(command).redirectErrorStream(true).start();
        String output = new String(jcmd.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        BenchRunner.log("  profiler " + action + ": " + output.replace('\n', ' ').trim());
        // jcmd exits 0 whatever the agent answered
        if (!jcmd.waitFor(60, TimeUnit.SECONDS) || jcmd.exitValue() != 0
                || config.quicProfiler.equals("async") && !output.contains("return code: 0")) {
            jcmd.destroyForcibly();
            throw new IOException("the profiler did not " + action + " in " + spec.name + ": " + command);
        }
    }

    private Sample measure(LineProcess generator, LineProcess server, QuicServerSpec spec, Cell cell, int family,
            int seconds) throws Exception {
        String host = family == 4 ? config.appIpv4 : config.appIpv6;
        String shape = cell.shape.replace("RATE", Long.toString(config.quicLatencyRate));
        String command = cell.command + " " + host + " " + PORT + " " + seconds + " " + shape;
        String answer = generator.ask(command);
        if (answer.startsWith("error ")) {
            // the generator could not start the load (a handshake timed out on a busy machine): once more
            BenchRunner.log("  " + command + ": " + answer + "; trying again");
            Thread.sleep(1000);
            answer = generator.ask(command);
        }
        expect(answer, "window");
        long[] cpu0 = cpuNanos(server.pid());
        long alloc0 = spec.speaksLines() ? allocated(server) : -1;
        String result = generator.readLine(seconds + 30);
        long[] cpu1 = cpuNanos(server.pid());
        long alloc1 = spec.speaksLines() ? allocated(server) : -1;
        Map<String, String> fields = fields(result);
        long completed = Long.parseLong(fields.get("completed"));
        long bytes = Long.parseLong(fields.get("bytes"));
        double window = Double.parseDouble(fields.get("seconds"));
        // bulk cells cost per MB received; the others per request (a handshake is one request)
        double units = cell.command.equals("bulk") ? bytes / 1e6 : completed;
        long user = cpu1[0] - cpu0[0];
        long system = cpu1[1] - cpu0[1];
        double cpu = units == 0 ? Double.NaN : (user + system) / units;
        double alloc = alloc0 < 0 || units == 0 ? Double.NaN : (alloc1 - alloc0) / units;
        return new Sample(completed / window, bytes / window / 1e6, cpu, alloc,
                Long.parseLong(fields.get("failed")), Double.parseDouble(fields.get("p50us")),
                Double.parseDouble(fields.get("p99us")), (user + system) / (window * 1e9),
                user + system == 0 ? Double.NaN : (double) system / (user + system));
    }

    /** "snap ALLOCATED_BYTES REQUESTS HANDSHAKES" */
    private static long allocated(LineProcess server) throws Exception {
        String[] parts = server.ask("snap").split(" ");
        if (parts.length < 4 || !parts[0].equals("snap")) {
            throw new IOException("not a snapshot: " + String.join(" ", parts));
        }
        return Long.parseLong(parts[1]);
    }

    /** User and system time of the whole process, threads that ended included. */
    static long[] cpuNanos(long pid) throws IOException {
        String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
        // the command name may hold spaces; the fields after it are fixed: utime and stime are 14 and 15
        String[] after = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        return new long[] {Long.parseLong(after[11]) * TICK_NANOS, Long.parseLong(after[12]) * TICK_NANOS};
    }

    private static Map<String, String> fields(String line) throws IOException {
        if (!line.startsWith("result ")) {
            throw new IOException("the generator failed: " + line);
        }
        Map<String, String> fields = new HashMap<>();
        for (String part : line.substring(7).trim().split(" ")) {
            int eq = part.indexOf('=');
            fields.put(part.substring(0, eq), part.substring(eq + 1));
        }
        return fields;
    }

    /** Waits for "ready"; the JVM may print notices of its own first (JFR's start, for one). */
    private static void awaitReady(LineProcess server) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + 60_000_000_000L;
        String line;
        while (!(line = server.readLine(Math.max(0.1, (deadline - System.nanoTime()) / 1e9))).equals("ready")) {
            BenchRunner.log("  server: " + line);
        }
    }

    private static void expect(String line, String expected) throws IOException {
        if (!line.equals(expected)) {
            throw new IOException("expected '" + expected + "', got '" + line + "'");
        }
    }

    /** One kind of load: its id in the tables, the generator's command and its shape arguments. */
    record Cell(String id, String command, String shape) {
    }

    /** One cell for one IP version. */
    record Trial(String cell, int family) {
    }

    /**
     * One measurement: completed requests (or handshakes) per second, body MB per second, the server's CPU ns
     * and allocated bytes per request (per MB in bulk cells), failures, latency percentiles in µs, the
     * server's CPU time over wall time, and the share of that CPU time spent in the kernel.
     */
    record Sample(double rate, double megabytes, double cpu, double alloc, long failed, double p50, double p99,
            double busy, double system) {

        @Override
        public String toString() {
            return String.format("%.0f/s, %.1f MB/s, cpu %.0f ns/unit (%.0f%% system), busy %.2f, alloc %.0f B/unit, "
                    + "p50 %.0f us, p99 %.0f us%s", rate, megabytes, cpu, system * 100, busy, alloc, p50, p99,
                    failed == 0 ? "" : ", failed " + failed);
        }
    }
}
