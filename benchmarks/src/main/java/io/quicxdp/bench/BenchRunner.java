package io.quicxdp.bench;

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
 * Drives the end-to-end benchmark inside the namespace and veth pair that {@code run.sh} built: installs the
 * reference XDP program (redirecting the benchmark port into a pinned XSKMAP) on the receiving end, picks
 * the fastest generator, then for each round runs every receiver in turn (A B C D E, A B C D E, ...), each
 * through the whole matrix, and writes the results as Markdown.
 *
 * <p>Configuration comes from the environment ({@code run.sh} sets it); see {@link Config}.
 */
public final class BenchRunner {

    static final int PORT = 4433;

    static final int SOURCE_PORT = 40000;

    /** Generator time before the receiver's counters are read, and after: ramp-up and drain stay outside. */
    static final double LEAD_SECONDS = 0.5;

    static final double TAIL_SECONDS = 0.3;

    private final Config config;

    private final File logs;

    private final Map<String, Map<Trial, List<Sample>>> results = new LinkedHashMap<>();

    private final List<String> generatorSelection = new ArrayList<>();

    private String generatorMode;

    private BenchRunner(Config config) {
        this.config = config;
        this.logs = new File(config.logDir);
        logs.mkdirs();
    }

    public static void main(String[] args) throws Exception {
        Config config = Config.fromEnvironment();
        if (args.length > 0 && args[0].equals("hold")) {
            // debugging aid: keep the XDP program attached until stdin closes
            try (InstalledReferenceProgram program = ReferenceXdpProgram.install(config.appInterface, Set.of(PORT),
                    Path.of(config.pin))) {
                System.out.println("holding " + program + "; close stdin to detach");
                while (System.in.read() >= 0) {
                    // wait
                }
            }
            return;
        }
        new BenchRunner(config).run();
    }

    private void run() throws Exception {
        long started = System.nanoTime();
        try (InstalledReferenceProgram program = ReferenceXdpProgram.install(config.appInterface, Set.of(PORT),
                Path.of(config.pin))) {
            log("installed " + program);
            selectGenerator();
            List<ReceiverSpec> receivers = ReceiverSpec.all(config);
            for (int round = 1; round <= config.rounds; round++) {
                for (ReceiverSpec receiver : receivers) {
                    runReceiver(receiver, round);
                }
            }
        }
        double minutes = (System.nanoTime() - started) / 60e9;
        String markdown = new Report(config, results, generatorMode, generatorSelection, minutes).markdown();
        Files.writeString(Path.of(config.output), markdown, StandardCharsets.UTF_8);
        log(String.format("done in %.1f min; results in %s", minutes, config.output));
    }

    /** The C receiver in drop mode sinks 64-byte IPv4 floods from each generator; the fastest is used. */
    private void selectGenerator() throws Exception {
        if (config.generatorMode != null) {
            generatorMode = config.generatorMode;
            generatorSelection.add("forced by GEN_MODE=" + generatorMode);
            return;
        }
        ReceiverSpec sink = ReceiverSpec.all(config).get(0);
        double best = -1;
        try (LineProcess receiver = sink.start(new File(logs, "generator-selection.log"))) {
            expect(receiver.readLine(30), "ready");
            expect(receiver.ask("drop"), "ok");
            for (String mode : List.of("udp", "packet")) {
                Sample sample = flood(receiver, mode, new Trial("drop", 4, 64));
                String line = String.format("%s: offered %.3f Mpps, received by the C receiver %.3f Mpps", mode,
                        sample.offered / 1e6, sample.rate / 1e6);
                generatorSelection.add(line);
                log("generator " + line);
                if (sample.rate > best) {
                    best = sample.rate;
                    generatorMode = mode;
                }
            }
        }
    }

    private void runReceiver(ReceiverSpec spec, int round) throws Exception {
        log("round " + round + ": " + spec.name);
        File log = new File(logs, spec.id + "-round" + round + ".log");
        try (LineProcess receiver = spec.start(log)) {
            expect(receiver.readLine(60), "ready");
            // warm-up, not recorded: both families, both workloads, so every path is compiled
            expect(receiver.ask("echo"), "ok");
            generator(flood(6, 1200, true), config.warmup);
            generator(flood(4, 64, true), config.warmup);
            expect(receiver.ask("drop"), "ok");
            generator(flood(4, 64, false), config.warmup);
            for (String workload : List.of("drop", "echo")) {
                expect(receiver.ask(workload), "ok");
                for (int family : List.of(4, 6)) {
                    for (int size : List.of(64, 1200)) {
                        Trial trial = new Trial(workload, family, size);
                        Sample sample = flood(receiver, generatorMode, trial);
                        record(spec, trial, sample);
                    }
                }
            }
            expect(receiver.ask("echo"), "ok");
            for (int family : List.of(4, 6)) {
                Trial trial = new Trial("latency", family, 64);
                record(spec, trial, latency(receiver, family));
            }
        }
        Thread.sleep(300);
    }

    private void record(ReceiverSpec spec, Trial trial, Sample sample) {
        results.computeIfAbsent(spec.name, k -> new LinkedHashMap<>()).computeIfAbsent(trial, k -> new ArrayList<>())
                .add(sample);
        log(String.format("  %-7s IPv%d %4d B: %s", trial.workload, trial.family, trial.size, sample));
    }

    /** A flood of {@code trial}'s datagrams; the receiver's counters are read in the middle of it. */
    private Sample flood(LineProcess receiver, String mode, Trial trial) throws Exception {
        boolean echo = trial.workload.equals("echo");
        List<String> command = generatorCommand(mode, trial.family, trial.size,
                LEAD_SECONDS + config.duration + TAIL_SECONDS, echo, 0);
        Process generator = new ProcessBuilder(command).redirectError(
                ProcessBuilder.Redirect.appendTo(new File(logs, "generator.log"))).start();
        Thread.sleep((long) (LEAD_SECONDS * 1000));
        Snap before = Snap.parse(receiver.ask("snap"));
        long t0 = System.nanoTime();
        Thread.sleep((long) (config.duration * 1000));
        Snap after = Snap.parse(receiver.ask("snap"));
        long t1 = System.nanoTime();
        Map<String, String> out = finish(generator, command);
        Thread.sleep(200);
        double seconds = (t1 - t0) / 1e9;
        long packets = after.handled - before.handled;
        double rate = packets / seconds;
        double cpu = packets == 0 ? Double.NaN : (double) (after.cpuNanos - before.cpuNanos) / packets;
        double alloc = before.allocated < 0 || packets == 0 ? Double.NaN
                : (double) (after.allocated - before.allocated) / packets;
        double genSeconds = Double.parseDouble(out.get("secs"));
        double offered = Long.parseLong(out.get("sent")) / genSeconds;
        double echoRate = echo ? Long.parseLong(out.get("echoed")) / genSeconds : Double.NaN;
        double cpuBusy = (after.cpuNanos - before.cpuNanos) / (seconds * 1e9);
        return new Sample(rate, cpu, alloc, echoRate, offered, cpuBusy, after.drops - before.drops, -1, -1);
    }

    /** Paced echo at {@code config.latencyRate} datagrams per second; round trips measured by the generator. */
    private Sample latency(LineProcess receiver, int family) throws Exception {
        List<String> command = generatorCommand(generatorMode, family, 64, config.duration, true,
                config.latencyRate);
        Snap before = Snap.parse(receiver.ask("snap"));
        long t0 = System.nanoTime();
        Map<String, String> out = finish(new ProcessBuilder(command).redirectError(
                ProcessBuilder.Redirect.appendTo(new File(logs, "generator.log"))).start(), command);
        Snap after = Snap.parse(receiver.ask("snap"));
        long t1 = System.nanoTime();
        long packets = after.handled - before.handled;
        double seconds = Double.parseDouble(out.get("secs"));
        double cpu = packets == 0 ? Double.NaN : (double) (after.cpuNanos - before.cpuNanos) / packets;
        double alloc = before.allocated < 0 || packets == 0 ? Double.NaN
                : (double) (after.allocated - before.allocated) / packets;
        double cpuBusy = (after.cpuNanos - before.cpuNanos) / ((t1 - t0) / 1e9 * 1e9);
        return new Sample(packets / ((t1 - t0) / 1e9), cpu, alloc, Long.parseLong(out.get("echoed")) / seconds,
                Long.parseLong(out.get("sent")) / seconds, cpuBusy, after.drops - before.drops,
                Long.parseLong(out.get("p50_ns")), Long.parseLong(out.get("p99_ns")));
    }

    private void generator(List<String> command, double seconds) throws Exception {
        finish(new ProcessBuilder(command).redirectError(
                ProcessBuilder.Redirect.appendTo(new File(logs, "generator.log"))).start(), command);
    }

    private List<String> flood(int family, int size, boolean echo) {
        return generatorCommand(generatorMode, family, size, config.warmup, echo, 0);
    }

    private List<String> generatorCommand(String mode, int family, int size, double seconds, boolean echo,
            long rate) {
        List<String> command = new ArrayList<>(List.of("ip", "netns", "exec", config.namespace, "taskset", "-c",
                config.generatorCpu, config.nativeDir + "/udpgen", "-m", mode, "-i", config.peerInterface,
                "-s", family == 4 ? config.peerIpv4 : config.peerIpv6,
                "-d", family == 4 ? config.appIpv4 : config.appIpv6,
                "-P", Integer.toString(SOURCE_PORT), "-p", Integer.toString(PORT), "-l", Integer.toString(size),
                "-t", String.format("%.3f", seconds), "-M", config.appMac));
        if (echo) {
            command.add("-e");
        }
        if (rate > 0) {
            command.add("-r");
            command.add(Long.toString(rate));
        }
        return command;
    }

    private static Map<String, String> finish(Process generator, List<String> command) throws Exception {
        if (!generator.waitFor(130, TimeUnit.SECONDS)) {
            generator.destroyForcibly();
            throw new IOException("the generator did not finish: " + command);
        }
        String output = new String(generator.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
        if (generator.exitValue() != 0 || !output.startsWith("gen ")) {
            throw new IOException("the generator failed (" + generator.exitValue() + "): " + output + " from "
                    + command);
        }
        Map<String, String> fields = new HashMap<>();
        for (String part : output.substring(4).split(" ")) {
            int eq = part.indexOf('=');
            fields.put(part.substring(0, eq), part.substring(eq + 1));
        }
        return fields;
    }

    private static void expect(String line, String expected) throws IOException {
        if (!line.equals(expected)) {
            throw new IOException("expected '" + expected + "', got '" + line + "'");
        }
    }

    static void log(String message) {
        System.out.println(message);
        System.out.flush();
    }

    /** One cell of the matrix: drop, echo or latency; IP version; payload bytes. */
    record Trial(String workload, int family, int size) {
    }

    /**
     * One measurement. Rates per second; cpu in ns of the receiving thread per datagram it handled; alloc in
     * bytes allocated by that thread per datagram; busy is the thread's CPU time over wall time.
     */
    record Sample(double rate, double cpu, double alloc, double echoRate, double offered, double busy, long drops,
            long p50, long p99) {

        @Override
        public String toString() {
            return String.format("rx %.3f Mpps (offered %.3f), cpu %.0f ns/pkt, busy %.2f, alloc %.2f B/pkt%s%s%s",
                    rate / 1e6, offered / 1e6, cpu, busy, alloc,
                    Double.isNaN(echoRate) ? "" : String.format(", echoed %.3f Mpps", echoRate / 1e6),
                    drops == 0 ? "" : ", drops " + drops,
                    p50 < 0 ? "" : String.format(", rtt p50 %.1f us p99 %.1f us", p50 / 1e3, p99 / 1e3));
        }
    }

    /** "snap HANDLED ECHOED CPU_NS ALLOCATED_BYTES DROPS" */
    record Snap(long handled, long echoed, long cpuNanos, long allocated, long drops) {

        static Snap parse(String line) throws IOException {
            String[] parts = line.split(" ");
            if (parts.length < 6 || !parts[0].equals("snap")) {
                throw new IOException("not a snapshot: " + line);
            }
            return new Snap(Long.parseLong(parts[1]), Long.parseLong(parts[2]), Long.parseLong(parts[3]),
                    Long.parseLong(parts[4]), Long.parseLong(parts[5]));
        }
    }
}
