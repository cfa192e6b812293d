package io.quicxdp.bench;

import io.quicxdp.bench.QuicBenchRunner.Trial;
import io.quicxdp.bench.QuicBenchRunner.WarmUp;
import io.quicxdp.bench.QuicServerSpec.QuicFiles;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class QuicReportTests {

    @Test
    void tablesPerFixtureWithRatiosTheFixturesComparedAndTheTargets() {
        Config config = new Config();
        config.java17 = ProcessHandle.current().info().command().orElse("java");
        config.command = "benchmarks/run.sh";
        config.gtlsserver = "";
        config.quicServers = "xdp,epoll";
        config.quicFixtures = List.of("rps", "gro");
        config.quicRounds = 2;
        config.quicDuration = 3;
        config.quicPacedRate = 20;
        config.quicLatencyRate = 2000;
        config.quicWarmupSeconds = 2;
        config.quicWarmupRounds = 5;
        config.quicJitQuiet = 0.02;
        config.nettyAllocator = "adaptive";
        config.receiverCpu = "1";
        config.generatorCpu = "0";
        config.classPath = "cp";
        config.appInterface = "app";
        config.quicPin = "/sys/fs/bpf/x";
        List<QuicServerSpec> servers = QuicServerSpec.all(config, new QuicFiles("htdocs", "key", "cert"));
        String xdp = servers.get(0).name;
        String epoll = servers.get(1).name;
        QuicResults results = new QuicResults();
        for (String fixture : List.of("rps", "gro")) {
            // under gro, the XDP server needs half the CPU per MB; epoll the same
            results.add(fixture, xdp, new Trial("bulk1", 4), bulk(40, fixture.equals("rps") ? 6e6 : 3e6));
            results.add(fixture, xdp, new Trial("bulk1", 4), bulk(50, fixture.equals("rps") ? 8e6 : 4e6));
            results.add(fixture, epoll, new Trial("bulk1", 4), bulk(100, 3e6));
            results.add(fixture, epoll, new Trial("bulk1", 4), bulk(100, 3e6));
        }
        results.warmUp(xdp, new WarmUp(3, 0.01));
        results.warmUp(epoll, new WarmUp(2, 0.015));
        List<QuicBenchRunner.Cell> cells = QuicBenchRunner.selectCells("bulk1,requests");
        String markdown = new QuicReport(config, servers, cells, results, 1.5).markdown();

        assertThat(markdown).contains("#### Fixture `rps`: the client's receive stack on the client's core",
                "#### Fixture `gro`: threaded NAPI with GRO");
        // median (min–max) and the ratio to epoll: 45 MB/s against 100, 7 ms/MB against 3
        assertThat(markdown).contains("| " + xdp + " | IPv4 | 45.0 (40.0–50.0) | 0.45 | 7.00 (6.00–8.00) | 2.33 |");
        // the requests cell did not run: no table for it
        assertThat(markdown).doesNotContain("Small requests");
        assertThat(markdown).contains("| " + xdp + " | 3 (3–3) | 1.0 (1.0–1.0) % |");
        assertThat(markdown).contains("#### The fixtures compared: `gro` ÷ `rps` (medians)",
                "| " + xdp + " | IPv4 | 1.00 | 0.50 |", "| " + epoll + " | IPv4 | 1.00 | 1.00 |");
        assertThat(markdown).contains("#### Targets on the `rps` fixture (medians)",
                "| XDP bulk1: ≥ 1.2× epoll's MB/s at ≤ 0.8× its CPU/MB | IPv4 | 0.45× MB/s, 2.33× CPU/MB | **missed** |");
        // no ngtcp2, no WebFlux server, no IPv6 figures: no line for those targets
        assertThat(markdown).doesNotContain("ngtcp2's CPU/request", "WebFlux through the starter", "| IPv6 |");
    }

    private static QuicSample bulk(double megabytesPerSecond, double cpuPerMegabyte) {
        Map<String, Double> figures = new HashMap<>();
        figures.put(QuicSample.MBPS, megabytesPerSecond);
        figures.put(QuicSample.CPU, cpuPerMegabyte);
        figures.put(QuicSample.JIT, cpuPerMegabyte / 100);
        return new QuicSample(figures, 0);
    }
}
