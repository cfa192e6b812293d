package io.quicxdp.bench;

import io.quicxdp.bench.QuicSample.Cores;
import io.quicxdp.bench.QuicServerSpec.QuicFiles;
import io.quicxdp.datapath.internal.bpf.InstalledReferenceProgram;
import io.quicxdp.datapath.internal.bpf.ReferenceXdpProgram;
import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * Drives the QUIC and HTTP/3 benchmark in the namespace and veth pair that {@code run.sh} built: installs the
 * reference XDP program for the QUIC port, starts the load generator ({@code QuicLoadMain}) in the peer
 * namespace on the client's core, then for each round runs every server in turn: starts it, warms it up until
 * the JIT compiler is quiet, moves its event loop alone onto the server's core ({@link Affinity}), and runs
 * every cell for IPv4 and IPv6 under each fixture ({@code fixture.sh}: where the client's receive stack runs),
 * the fixtures' order alternating between rounds. It writes the results as Markdown ({@link QuicReport}).
 *
 * <p>Per window it reads the server's CPU from {@code /proc} (the process, its event loop thread, its JIT
 * threads: {@link ThreadCpu}), the server's snapshot (allocation, quiche's statistics, the datapath's
 * counters), the datagrams that arrived at the server's interface and the client core's busy share.
 */
public final class QuicBenchRunner {

    static final int PORT = 4443;

    /** Every cell's shape; the load each one offers is fixed here so that the servers see the same. */
    static final List<Cell> CELLS = List.of(
            new Cell("handshakes", "handshakes", "16", false),
            new Cell("requests", "requests", "8 8", false),
            new Cell("streams", "requests", "1 64", false),
            new Cell("bulk1", "bulk", "1", true),
            new Cell("bulk8", "bulk", "8", true),
            new Cell("paced", "paced", "PACED", true),
            new Cell("latency", "latency", "8 RATE", false));

    /**
     * A warm-up round: every kind of work the cells give a server (bulk8, paced and latency add none of their
     * own).
     */
    static final List<String> WARMUP_CELLS = List.of("handshakes", "requests", "streams", "bulk1");

    private final Config config;

    private final File logs;

    private final List<Cell> cells;

    /** The cells run under the fixtures after the first: those a fixture changes most. */
    private final List<Cell> checkCells;

    private final QuicResults results = new QuicResults();

    private String fixture;

    private QuicBenchRunner(Config config) {
        this.config = config;
        this.logs = new File(config.logDir);
        logs.mkdirs();
        this.cells = selectCells(config.quicCells);
        List<Cell> check = selectCells(config.quicCheckCells);
        this.checkCells = cells.stream().filter(check::contains).toList();
    }

    public static void main(String[] args) throws Exception {
        new QuicBenchRunner(Config.fromEnvironment()).run();
    }

    /** The cells named in {@code wanted} (comma-separated ids), in the matrix's order; all for null. */
    static List<Cell> selectCells(String wanted) {
        if (wanted == null) {
            return CELLS;
        }
        List<String> ids = Arrays.asList(wanted.split(","));
        List<Cell> selected = CELLS.stream().filter(cell -> ids.contains(cell.id)).toList();
        if (selected.size() != ids.size()) {
            throw new IllegalArgumentException("QUIC_CELLS and QUIC_CHECK_CELLS name cells of "
                    + CELLS.stream().map(Cell::id).toList() + ", not '" + wanted + "'");
        }
        return selected;
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
                List<String> fixtures = new ArrayList<>(config.quicFixtures);
                if (round % 2 == 0) {
                    Collections.reverse(fixtures);
                }
                for (QuicServerSpec server : servers) {
                    runServer(generator, server, round, fixtures);
                }
            }
        }
        finally {
            applyFixture("plain");
        }
        double minutes = (System.nanoTime() - started) / 60e9;
        String markdown = new QuicReport(config, servers, cells, results, minutes).markdown();
        Files.writeString(Path.of(config.quicOutput), markdown, StandardCharsets.UTF_8);
        BenchRunner.log(String.format("QUIC done in %.1f min; results in %s", minutes, config.quicOutput));
    }

    private LineProcess startGenerator() throws IOException {
        return new LineProcess("quic-load", List.of("ip", "netns", "exec", config.namespace, "taskset", "-c",
                config.generatorCpu, config.java17, "-Xms1g", "-Xmx1g", "-Dio.netty.leakDetection.level=disabled",
                "-cp", config.classPath, "io.quicxdp.bench.quic.QuicLoadMain"), new File(logs, "quic-load.log"));
    }

    /** Applies a fixture to the veth pair (fixture.sh), unless it is the one in place. */
    private void applyFixture(String name) throws IOException, InterruptedException {
        if (name.equals(fixture) || config.fixtureScript.isEmpty()) {
            return;
        }
        Process script = new ProcessBuilder("bash", config.fixtureScript, name, config.namespace, config.appInterface,
                config.peerInterface, config.generatorCpu).redirectErrorStream(true).start();
        String output = new String(script.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
        if (!script.waitFor(30, TimeUnit.SECONDS) || script.exitValue() != 0) {
            script.destroyForcibly();
            throw new IOException("fixture " + name + " failed: " + output);
        }
        fixture = name;
        BenchRunner.log("  fixture " + name + (output.isEmpty() ? "" : ": " + output.replace('\n', ' ')));
    }

    private void runServer(LineProcess generator, QuicServerSpec spec, int round, List<String> fixtures)
            throws Exception {
        BenchRunner.log("QUIC round " + round + ": " + spec.name);
        File log = new File(logs, "quic-" + spec.id + "-round" + round + ".log");
        LineProcess server = spec.start(log);
        try {
            long loopTid;
            if (spec.speaksLines()) {
                awaitReady(server);
                loopTid = snap(server).get("loopTid");
            }
            else {
                Thread.sleep(500);
                loopTid = server.pid();
            }
            applyFixture(fixtures.get(0));
            results.warmUp(spec.name, warmUp(generator, server, spec, loopTid));
            if (spec.speaksLines()) {
                // only now: pinned during the warm-up, the compiler would share the client's busy core and take
                // minutes, where on both cores it has the server's core whenever the loop waits
                pin(spec, server, loopTid);
            }
            profile(spec, server, "start");
            for (String name : fixtures) {
                applyFixture(name);
                for (int family : List.of(4, 6)) {
                    for (Cell cell : name.equals(config.quicFixtures.get(0)) ? cells : checkCells) {
                        QuicSample sample = measure(generator, server, spec, loopTid, cell, family,
                                config.quicDuration);
                        results.add(name, spec.name, new Trial(cell.id, family), sample);
                        BenchRunner.log(String.format("  %-5s %-10s IPv%d: %s", name, cell.id, family, sample));
                    }
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

    private void pin(QuicServerSpec spec, LineProcess server, long loopTid) throws Exception {
        int others = Affinity.pin(server.pid(), loopTid, config.receiverCpu, config.generatorCpu);
        BenchRunner.log("  " + spec.id + ": event loop " + loopTid + " on core " + config.receiverCpu + ", " + others
                + " other threads on core " + config.generatorCpu);
    }

    /**
     * Runs warm-up rounds (the warm-up cells, not recorded, families alternating) until the JIT compiler threads
     * took at most QUIC_JIT_QUIET of a round's CPU, two rounds at least, QUIC_WARMUP_ROUNDS at most; one round
     * for a server without a JIT.
     */
    private WarmUp warmUp(LineProcess generator, LineProcess server, QuicServerSpec spec, long loopTid)
            throws Exception {
        double jitShare = Double.NaN;
        int round = 0;
        while (round < config.quicWarmupRounds) {
            round++;
            ThreadCpu before = ThreadCpu.read(server.pid(), loopTid);
            for (Cell cell : CELLS) {
                if (WARMUP_CELLS.contains(cell.id)) {
                    measure(generator, server, spec, loopTid, cell, round % 2 == 1 ? 4 : 6, config.quicWarmupSeconds);
                }
            }
            ThreadCpu spent = ThreadCpu.read(server.pid(), loopTid).minus(before);
            if (!spec.speaksLines()) {
                break;
            }
            jitShare = spent.process() == 0 ? 0 : (double) spent.jit() / spent.process();
            BenchRunner.log(String.format("  warm-up round %d: JIT threads %.1f %% of the process's %.0f ms", round,
                    jitShare * 100, spent.process() / 1e6));
            if (round >= 2 && jitShare <= config.quicJitQuiet) {
                break;
            }
        }
        return new WarmUp(round, jitShare);
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

    private QuicSample measure(LineProcess generator, LineProcess server, QuicServerSpec spec, long loopTid,
            Cell cell, int family, int seconds) throws Exception {
        String host = family == 4 ? config.appIpv4 : config.appIpv6;
        String shape = cell.shape.replace("RATE", Long.toString(config.quicLatencyRate))
                .replace("PACED", Integer.toString(config.quicPacedRate));
        String command = cell.command + " " + host + " " + PORT + " " + seconds + " " + shape;
        String answer = generator.ask(command);
        if (answer.startsWith("error ")) {
            // the generator could not start the load (a handshake timed out on a busy machine): once more
            BenchRunner.log("  " + command + ": " + answer + "; trying again");
            Thread.sleep(1000);
            answer = generator.ask(command);
        }
        expect(answer, "window");
        ThreadCpu cpu0 = ThreadCpu.read(server.pid(), loopTid);
        Map<String, Long> snap0 = spec.speaksLines() ? snap(server) : Map.of();
        long rx0 = interfaceReceived();
        long[] client0 = coreTicks(Files.readString(Path.of("/proc/stat")), config.generatorCpu);
        String interrupts0 = Files.readString(Path.of("/proc/interrupts"));
        String result = generator.readLine(seconds + 30);
        ThreadCpu cpu1 = ThreadCpu.read(server.pid(), loopTid);
        Map<String, Long> snap1 = spec.speaksLines() ? snap(server) : Map.of();
        long rx1 = interfaceReceived();
        long[] client1 = coreTicks(Files.readString(Path.of("/proc/stat")), config.generatorCpu);
        String interrupts1 = Files.readString(Path.of("/proc/interrupts"));
        double clientBusy = client1[1] == client0[1] ? Double.NaN
                : (double) (client1[0] - client0[0]) / (client1[1] - client0[1]);
        Cores cores = new Cores(clientBusy,
                ipis(interrupts1, config.receiverCpu) - ipis(interrupts0, config.receiverCpu),
                ipis(interrupts1, config.generatorCpu) - ipis(interrupts0, config.generatorCpu));
        return QuicSample.of(cell.perMegabyte, fields(result), cpu1.minus(cpu0), snap0, snap1, rx1 - rx0, cores);
    }

    /** Datagrams (all packets) that arrived at the server's end of the veth pair so far. */
    private long interfaceReceived() throws IOException {
        return Long.parseLong(Files.readString(Path.of("/sys/class/net", config.appInterface, "statistics",
                "rx_packets")).trim());
    }

    /** The server's {@code snap KEY=VALUE ...}. */
    static Map<String, Long> snap(LineProcess server) throws Exception {
        return snapFields(server.ask("snap"));
    }

    static Map<String, Long> snapFields(String line) throws IOException {
        if (!line.startsWith("snap ")) {
            throw new IOException("not a snapshot: " + line);
        }
        Map<String, Long> fields = new LinkedHashMap<>();
        for (String part : line.substring(5).trim().split(" ")) {
            int eq = part.indexOf('=');
            if (eq < 1) {
                throw new IOException("not a snapshot: " + line);
            }
            fields.put(part.substring(0, eq), Long.parseLong(part.substring(eq + 1)));
        }
        if (!fields.containsKey("loopTid") || !fields.containsKey("alloc")) {
            throw new IOException("a snapshot without loopTid or alloc: " + line);
        }
        return fields;
    }

    /** Busy and total jiffies of one core, from {@code /proc/stat}: busy is all but idle and iowait. */
    static long[] coreTicks(String procStat, String cpu) {
        String prefix = "cpu" + cpu + " ";
        for (String line : procStat.split("\n")) {
            if (line.startsWith(prefix)) {
                String[] f = line.substring(prefix.length()).trim().split("\\s+");
                long total = 0;
                // user nice system idle iowait irq softirq steal (guest time is already in user)
                for (int i = 0; i < Math.min(8, f.length); i++) {
                    total += Long.parseLong(f[i]);
                }
                long idle = Long.parseLong(f[3]) + Long.parseLong(f[4]);
                return new long[] {total - idle, total};
            }
        }
        throw new IllegalArgumentException("no line for cpu" + cpu + " in /proc/stat");
    }

    /**
     * Inter-processor interrupts one core has received so far, from {@code /proc/interrupts}: rescheduling (a
     * thread woken from another core) and function calls (work queued to it, such as RPS's backlog). In a VM each
     * costs its sender an exit to the hypervisor.
     */
    static long ipis(String procInterrupts, String cpu) {
        String[] lines = procInterrupts.split("\n");
        int column = List.of(lines[0].trim().split("\\s+")).indexOf("CPU" + cpu);
        if (column < 0) {
            throw new IllegalArgumentException("no column for CPU" + cpu + " in /proc/interrupts");
        }
        long sum = 0;
        for (String line : lines) {
            String[] f = line.trim().split("\\s+");
            if (f[0].equals("RES:") || f[0].equals("CAL:")) {
                sum += Long.parseLong(f[column + 1]);
            }
        }
        return sum;
    }

    static Map<String, String> fields(String line) throws IOException {
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
        long deadline = System.nanoTime() + 90_000_000_000L;
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

    /**
     * One kind of load: its id in the tables, the generator's command and its shape arguments, and whether its
     * unit is a MB of body rather than a request.
     */
    record Cell(String id, String command, String shape, boolean perMegabyte) {
    }

    /** One cell for one IP version. */
    record Trial(String cell, int family) {
    }

    /** How a server start was warmed up: rounds run, and the JIT threads' share of the last round's CPU. */
    record WarmUp(int rounds, double jitShare) {
    }
}
