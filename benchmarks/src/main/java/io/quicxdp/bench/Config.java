package io.quicxdp.bench;

import java.util.List;
import java.util.Map;

/** What {@code run.sh} tells {@link BenchRunner}, through the environment. */
final class Config {

    String namespace;
    String appInterface;
    String peerInterface;
    String appMac;
    String appIpv4;
    String peerIpv4;
    String appIpv6;
    String peerIpv6;
    /** bpffs path for the XSKMAP pin */
    String pin;
    /** where udpgen and xsk_recv are */
    String nativeDir;
    /** class path of the Java receivers */
    String classPath;
    String java17;
    /** empty: no second JDK */
    String java25;
    String receiverCpu;
    String generatorCpu;
    int rounds;
    double duration;
    double warmup;
    long latencyRate;
    /** null: measure udp and packet, take the faster */
    String generatorMode;
    /** comma-separated receiver ids, or null for all */
    String receivers;
    String output;
    String logDir;
    String command;
    /** path of ngtcp2's gtlsserver, or empty: no C anchor in the QUIC matrix */
    String gtlsserver;
    /** bpffs path for the QUIC servers' XSKMAP pin */
    String quicPin;
    /** comma-separated QUIC server ids, or null for all */
    String quicServers;
    int quicRounds;
    int quicDuration;
    long quicLatencyRate;
    String htdocs;
    String tlsKey;
    String tlsCert;
    String quicOutput;
    /** "jfr", "async" (async-profiler) or empty: how every Java QUIC server process is profiled */
    String quicProfiler;
    /** libasyncProfiler.so, for quicProfiler "async" */
    String asyncProfiler;
    /** the QUIC fixtures, in order: rps, gro or plain (see fixture.sh) */
    List<String> quicFixtures;
    /** the script that applies a fixture to the veth pair */
    String fixtureScript;
    /** comma-separated QUIC cell ids, or null for all */
    String quicCells;
    /** comma-separated QUIC cell ids run under the fixtures after the first */
    String quicCheckCells;
    /** MB/s the paced bulk cell reads at */
    int quicPacedRate;
    /** seconds per cell of a warm-up round */
    int quicWarmupSeconds;
    /** the most warm-up rounds per server start */
    int quicWarmupRounds;
    /** the JIT compiler threads' share of a warm-up round's CPU under which the compiler counts as quiet */
    double quicJitQuiet;
    /** io.netty.allocator.type of every Java server */
    String nettyAllocator;

    static Config fromEnvironment() {
        Map<String, String> env = System.getenv();
        Config c = new Config();
        c.namespace = required(env, "BENCH_NS");
        c.appInterface = required(env, "BENCH_APP_IF");
        c.peerInterface = required(env, "BENCH_PEER_IF");
        c.appMac = required(env, "BENCH_APP_MAC");
        c.appIpv4 = required(env, "BENCH_APP_IP4");
        c.peerIpv4 = required(env, "BENCH_PEER_IP4");
        c.appIpv6 = required(env, "BENCH_APP_IP6");
        c.peerIpv6 = required(env, "BENCH_PEER_IP6");
        c.pin = required(env, "BENCH_PIN");
        c.nativeDir = required(env, "BENCH_NATIVE");
        c.classPath = required(env, "BENCH_CLASSPATH");
        c.java17 = required(env, "BENCH_JAVA17");
        c.java25 = env.getOrDefault("BENCH_JAVA25", "");
        c.receiverCpu = env.getOrDefault("BENCH_RECEIVER_CPU", "1");
        c.generatorCpu = env.getOrDefault("BENCH_GENERATOR_CPU", "0");
        c.rounds = Integer.parseInt(env.getOrDefault("ROUNDS", "5"));
        c.duration = Double.parseDouble(env.getOrDefault("DURATION", "1.5"));
        c.warmup = Double.parseDouble(env.getOrDefault("WARMUP", "1"));
        c.latencyRate = Long.parseLong(env.getOrDefault("LATENCY_RATE", "20000"));
        c.generatorMode = blankToNull(env.get("GEN_MODE"));
        c.receivers = blankToNull(env.get("RECEIVERS"));
        c.output = required(env, "BENCH_OUTPUT");
        c.logDir = required(env, "BENCH_LOGS");
        c.command = env.getOrDefault("BENCH_COMMAND", "benchmarks/run.sh");
        c.gtlsserver = env.getOrDefault("BENCH_GTLSSERVER", "");
        c.quicPin = env.getOrDefault("BENCH_QUIC_PIN", c.pin + "-quic");
        c.quicServers = blankToNull(env.get("QUIC_SERVERS"));
        c.quicRounds = Integer.parseInt(env.getOrDefault("QUIC_ROUNDS", "3"));
        c.quicDuration = Integer.parseInt(env.getOrDefault("QUIC_DURATION", "3"));
        c.quicLatencyRate = Long.parseLong(env.getOrDefault("QUIC_LATENCY_RATE", "2000"));
        c.htdocs = env.getOrDefault("BENCH_HTDOCS", "");
        c.tlsKey = env.getOrDefault("BENCH_TLS_KEY", "");
        c.tlsCert = env.getOrDefault("BENCH_TLS_CERT", "");
        c.quicOutput = env.getOrDefault("BENCH_QUIC_OUTPUT", "");
        c.quicProfiler = env.getOrDefault("QUIC_PROFILER", "");
        c.asyncProfiler = env.getOrDefault("BENCH_ASYNC_PROFILER", "");
        c.quicFixtures = List.of(env.getOrDefault("QUIC_FIXTURES", "rps,gro").split(","));
        c.fixtureScript = env.getOrDefault("BENCH_FIXTURE_SCRIPT", "");
        c.quicCells = blankToNull(env.get("QUIC_CELLS"));
        c.quicCheckCells = env.getOrDefault("QUIC_CHECK_CELLS", "requests,streams,bulk1,bulk8,paced");
        c.quicPacedRate = Integer.parseInt(env.getOrDefault("QUIC_PACED_RATE", "20"));
        c.quicWarmupSeconds = Integer.parseInt(env.getOrDefault("QUIC_WARMUP", "1"));
        c.quicWarmupRounds = Integer.parseInt(env.getOrDefault("QUIC_WARMUP_ROUNDS", "6"));
        c.quicJitQuiet = Double.parseDouble(env.getOrDefault("QUIC_JIT_QUIET", "0.02"));
        c.nettyAllocator = env.getOrDefault("QUIC_NETTY_ALLOCATOR", "adaptive");
        if (c.quicFixtures.isEmpty() || !List.of("rps", "gro", "plain").containsAll(c.quicFixtures)) {
            throw new IllegalArgumentException("QUIC_FIXTURES is a comma-separated list of rps, gro and plain, not '"
                    + String.join(",", c.quicFixtures) + "'");
        }
        if (c.quicPacedRate < 1 || c.quicPacedRate > 10_000 || c.quicWarmupSeconds < 1 || c.quicWarmupSeconds > 60
                || c.quicWarmupRounds < 1 || c.quicWarmupRounds > 50 || !(c.quicJitQuiet > 0 && c.quicJitQuiet < 1)) {
            throw new IllegalArgumentException("QUIC_PACED_RATE must be in [1, 10000] MB/s, QUIC_WARMUP whole seconds in "
                    + "[1, 60], QUIC_WARMUP_ROUNDS in [1, 50], QUIC_JIT_QUIET in (0, 1)");
        }
        if (!List.of("adaptive", "pooled", "unpooled").contains(c.nettyAllocator)) {
            throw new IllegalArgumentException("QUIC_NETTY_ALLOCATOR is adaptive, pooled or unpooled, not '"
                    + c.nettyAllocator + "'");
        }
        if (!List.of("", "jfr", "async").contains(c.quicProfiler)
                || c.quicProfiler.equals("async") && c.asyncProfiler.isEmpty()) {
            throw new IllegalArgumentException("QUIC_PROFILER is jfr or async (with BENCH_ASYNC_PROFILER set by "
                    + "run.sh), not '" + c.quicProfiler + "'");
        }
        if (c.duration <= 0 || c.duration > 60 || c.warmup <= 0 || c.warmup > 60 || c.rounds < 1 || c.rounds > 50) {
            throw new IllegalArgumentException("DURATION and WARMUP must be in (0, 60] s, ROUNDS in [1, 50]");
        }
        if (c.quicDuration <= 0 || c.quicDuration > 60 || c.quicRounds < 1 || c.quicRounds > 50
                || c.quicLatencyRate < 1) {
            throw new IllegalArgumentException("QUIC_DURATION must be whole seconds in [1, 60], QUIC_ROUNDS in [1, 50], "
                    + "QUIC_LATENCY_RATE at least 1");
        }
        return c;
    }

    private static String required(Map<String, String> env, String name) {
        String value = env.get(name);
        if (value == null || value.isBlank()) {
            throw new IllegalArgumentException(name + " is not set (run benchmarks/run.sh)");
        }
        return value;
    }

    private static String blankToNull(String value) {
        return value == null || value.isBlank() ? null : value;
    }
}
