package io.quicxdp.bench.chart;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;

class ChartMainTests {

    private static final List<String> SECTION = List.of(
            "### QUIC and HTTP/3: run of now",
            "",
            "#### Fixture `rps`: the client's receive stack on the client's core",
            "",
            "##### Bulk, one stream: GET /bulk: median (min–max) over 3 rounds",
            "",
            "| server | IP | MB/s | × epoll | CPU ms/MB | × epoll | loss % |",
            "|---|---|---|---|---|---|---|",
            "| quic-xdp (XDP map mode) | IPv4 | 33.6 (21.9–40.2) | 0.21 | 7.14 (6.84–9.33) | 2.62 | n/a |",
            "| Netty epoll (GSO/GRO) | IPv4 | 161.4 (106.6–275.8) | 1.00 | 2.73 (2.27–3.16) | 1.00 | 0.00 (0.00–0.01) |",
            "",
            "#### Targets on the `rps` fixture (medians)",
            "",
            "| target | IP | figures | met |",
            "|---|---|---|---|",
            "| XDP bulk1 | IPv4 | 0.21× | **missed** |",
            "",
            "```",
            "Benchmark                          (length)  Mode  Cnt   Score    Error  Units",
            "i.q.datapath.packet.ChecksumBenchmarks.internetChecksum   72  avgt    3  16.716 ±  8.947  ns/op",
            "i.q.datapath.packet.ChecksumBenchmarks.internetChecksum:gc.alloc.rate.norm  72  avgt  3  ≈ 10⁻⁴  B/op",
            "```");

    @TempDir
    Path pngs;

    @Test
    void chartsResultTablesAndJmhScoresAndLinksThem() throws Exception {
        List<String> out = ChartMain.chart(SECTION, pngs, "performance", "quic");
        assertThat(out).contains("![Fixture rps: Bulk, one stream: GET /bulk](performance/quic-01.png)",
                "![JMH microbenchmarks](performance/quic-02.png)");
        // the link follows its table, after an empty line; the targets table has no chart
        int link = out.indexOf("![Fixture rps: Bulk, one stream: GET /bulk](performance/quic-01.png)");
        assertThat(out.get(link - 1)).isEmpty();
        assertThat(out.get(link - 2)).startsWith("| Netty epoll");
        assertThat(out.stream().filter(line -> line.startsWith("!["))).hasSize(2);
        BufferedImage image = ImageIO.read(pngs.resolve("quic-01.png").toFile());
        assertThat(image.getWidth()).isGreaterThan(800);
        assertThat(Files.exists(pngs.resolve("quic-02.png"))).isTrue();
    }

    @Test
    void readsMedianAndRange() {
        assertThat(MarkdownTable.spread("7.14 (6.84–9.33)")).containsExactly(7.14, 6.84, 9.33);
        assertThat(MarkdownTable.spread("0.21")).containsExactly(0.21, 0.21, 0.21);
        assertThat(MarkdownTable.spread("n/a")).isNull();
        assertThat(MarkdownTable.spread("–")).isNull();
    }

    @Test
    void parsesJmhLinesWithAndWithoutParameters() {
        JmhScores.Score score = JmhScores.parse(
                "i.q.netty.TransportBenchmarks.send  4  N/A  1200  avgt  3  405.664 ±  597.295  ns/op",
                List.of("ipVersion", "length", "payloadLength"));
        assertThat(score).isEqualTo(new JmhScores.Score("TransportBenchmarks", "send ipVersion=4 payloadLength=1200",
                405.664, 597.295));
        assertThat(JmhScores.parse("i.q.datapath.xsk.RingBenchmarks.fillProduce  avgt  3  0.959 ±  1.442  ns/op",
                List.of())).isEqualTo(new JmhScores.Score("RingBenchmarks", "fillProduce", 0.959, 1.442));
        assertThat(JmhScores.parse("i.q.netty.TransportBenchmarks.send:gc.alloc.rate.norm  avgt  3  0.02 ± 0.4  B/op",
                List.of())).isNull();
    }

    @Test
    void roundsAxesToOneTwoOrFive() {
        assertThat(BarChart.niceMax(7.14)).isEqualTo(10);
        assertThat(BarChart.niceMax(161)).isEqualTo(200);
        assertThat(BarChart.niceMax(0.39)).isEqualTo(0.5);
        assertThat(BarChart.niceMax(0)).isEqualTo(1);
    }
}
