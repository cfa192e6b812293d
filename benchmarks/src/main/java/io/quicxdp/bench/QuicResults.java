package io.quicxdp.bench;

import io.quicxdp.bench.QuicBenchRunner.Trial;
import io.quicxdp.bench.QuicBenchRunner.WarmUp;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.ToDoubleFunction;

/** The QUIC matrix's samples, by fixture, server and trial, and each server start's warm-up. */
final class QuicResults {

    private final Map<String, Map<String, Map<Trial, List<QuicSample>>>> samples = new LinkedHashMap<>();

    private final Map<String, List<WarmUp>> warmUps = new LinkedHashMap<>();

    void add(String fixture, String server, Trial trial, QuicSample sample) {
        samples.computeIfAbsent(fixture, k -> new LinkedHashMap<>()).computeIfAbsent(server, k -> new LinkedHashMap<>())
                .computeIfAbsent(trial, k -> new ArrayList<>()).add(sample);
    }

    void warmUp(String server, WarmUp warmUp) {
        warmUps.computeIfAbsent(server, k -> new ArrayList<>()).add(warmUp);
    }

    /** The fixtures measured, in order. */
    List<String> fixtures() {
        return List.copyOf(samples.keySet());
    }

    List<WarmUp> warmUps(String server) {
        return warmUps.getOrDefault(server, List.of());
    }

    List<QuicSample> samples(String fixture, String server, Trial trial) {
        return samples.getOrDefault(fixture, Map.of()).getOrDefault(server, Map.of()).getOrDefault(trial, List.of());
    }

    /** One figure of a trial's samples, NaNs left out. */
    double[] values(String fixture, String server, Trial trial, ToDoubleFunction<QuicSample> field) {
        return samples(fixture, server, trial).stream().mapToDouble(field).filter(v -> !Double.isNaN(v)).toArray();
    }

    long failures() {
        long total = 0;
        for (Map<String, Map<Trial, List<QuicSample>>> byServer : samples.values()) {
            for (Map<Trial, List<QuicSample>> byTrial : byServer.values()) {
                for (List<QuicSample> list : byTrial.values()) {
                    total += list.stream().mapToLong(QuicSample::failed).sum();
                }
            }
        }
        return total;
    }
}
