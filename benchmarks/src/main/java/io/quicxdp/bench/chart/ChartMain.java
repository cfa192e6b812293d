package io.quicxdp.bench.chart;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.Predicate;

/**
 * Draws the charts of one results section of docs/performance.md as PNG files and links them into the section:
 * for every table with a rate (or latency) column and a CPU column, one chart with the two side by side, each
 * server or receiver a bar with its min–max whisker, grouped by IP version (and payload); for the JMH section,
 * one chart of the scores. {@code run.sh} runs it on each part's results before they go into the doc.
 *
 * <p>usage: {@code ChartMain RESULTS.md PNG_DIR LINK_DIR NAME}: writes {@code PNG_DIR/NAME-NN.png} and rewrites
 * RESULTS.md with {@code ![title](LINK_DIR/NAME-NN.png)} after each charted table (or JMH block).
 */
public final class ChartMain {

    /** Rate-like columns, the first present is charted: the figure a reader compares first. */
    private static final List<Predicate<String>> RATES = List.of(label -> label.equals("MB/s"),
            label -> label.endsWith("s/s"), label -> label.contains("Mpps"), label -> label.equals("p50 µs"));

    private static final String SPREAD = "bar: median over rounds; whisker: min to max";

    private ChartMain() {
    }

    public static void main(String[] args) throws IOException {
        if (args.length != 4) {
            System.err.println("usage: ChartMain RESULTS.md PNG_DIR LINK_DIR NAME");
            System.exit(2);
        }
        Path results = Path.of(args[0]);
        Path pngs = Path.of(args[1]);
        Files.createDirectories(pngs);
        List<String> lines = new ArrayList<>(Files.readAllLines(results, StandardCharsets.UTF_8));
        List<String> charted = chart(lines, pngs, args[2], args[3]);
        Files.write(results, charted, StandardCharsets.UTF_8);
    }

    /** Draws the charts of {@code lines} into {@code pngs}; returns the lines with the links added. */
    static List<String> chart(List<String> lines, Path pngs, String linkDir, String name) throws IOException {
        List<String> out = new ArrayList<>(lines);
        List<Insert> inserts = new ArrayList<>();
        int number = 0;
        for (MarkdownTable table : MarkdownTable.parse(lines)) {
            BarChart chart = tableChart(table);
            if (chart != null) {
                String file = String.format(Locale.ROOT, "%s-%02d.png", name, ++number);
                chart.write(pngs.resolve(file));
                inserts.add(new Insert(table.endLine(), "![" + title(table) + "](" + linkDir + "/" + file + ")"));
            }
        }
        int jmhEnd = JmhScores.blockEnd(lines);
        if (jmhEnd >= 0) {
            BarChart chart = JmhScores.chart(lines);
            if (!chart.isEmpty()) {
                String file = String.format(Locale.ROOT, "%s-%02d.png", name, ++number);
                chart.write(pngs.resolve(file));
                inserts.add(new Insert(jmhEnd, "![JMH microbenchmarks](" + linkDir + "/" + file + ")"));
            }
        }
        // from the bottom, so that earlier positions stay valid
        inserts.sort((a, b) -> Integer.compare(b.afterLine, a.afterLine));
        for (Insert insert : inserts) {
            out.add(insert.afterLine + 1, "");
            out.add(insert.afterLine + 2, insert.text);
        }
        return out;
    }

    /** The chart of a results table, or null for a table without a rate and a CPU column (targets, ratios). */
    static BarChart tableChart(MarkdownTable table) {
        int rate = -1;
        for (Predicate<String> candidate : RATES) {
            rate = table.column(candidate);
            if (rate >= 0) {
                break;
            }
        }
        int cpu = table.column(label -> label.startsWith("CPU "));
        if (rate < 0 || cpu < 0) {
            return null;
        }
        List<Integer> groups = new ArrayList<>();
        for (String label : List.of("IP", "payload")) {
            int column = table.column(label::equals);
            if (column >= 0) {
                groups.add(column);
            }
        }
        BarChart chart = new BarChart(title(table), List.of(table.header().get(rate), table.header().get(cpu)),
                SPREAD, false);
        for (List<String> row : table.rows()) {
            if (row.size() != table.header().size()) {
                continue;
            }
            StringBuilder group = new StringBuilder();
            for (int column : groups) {
                group.append(group.length() == 0 ? "" : " ").append(row.get(column))
                        .append(table.header().get(column).equals("payload") ? " B" : "");
            }
            double[] r = MarkdownTable.spread(row.get(rate));
            double[] c = MarkdownTable.spread(row.get(cpu));
            if (r != null || c != null) {
                chart.add(group.toString(), row.get(0), row.get(0), java.util.Arrays.asList(r, c));
            }
        }
        return chart.isEmpty() ? null : chart;
    }

    /**
     * A table's title from its headings: the innermost, without its "median (min–max) over N rounds" tail,
     * behind the fixture's name when it stands under one.
     */
    static String title(MarkdownTable table) {
        List<String> headings = table.headings();
        String inner = headings.isEmpty() ? "results" : strip(headings.get(headings.size() - 1));
        if (headings.size() >= 2) {
            String outer = headings.get(headings.size() - 2);
            if (outer.startsWith("Fixture ")) {
                return strip(outer.substring(0, outer.contains(":") ? outer.indexOf(':') : outer.length())) + ": "
                        + inner;
            }
        }
        return inner;
    }

    private static String strip(String heading) {
        int tail = heading.indexOf(": median");
        return (tail < 0 ? heading : heading.substring(0, tail)).replace("`", "");
    }

    private record Insert(int afterLine, String text) {
    }
}
