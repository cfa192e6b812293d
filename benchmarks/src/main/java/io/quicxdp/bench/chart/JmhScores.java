package io.quicxdp.bench.chart;

import java.util.ArrayList;
import java.util.List;

/**
 * The scores of a JMH text result (the {@code Benchmark ... Score Error Units} table run.sh puts in a code
 * block), as a chart: one bar per benchmark and parameter set, the whisker the score's ± error; the
 * {@code -prof gc} rows are left out.
 */
final class JmhScores {

    private JmhScores() {
    }

    /** The index of the line closing the code block that holds the JMH table; -1 without one. */
    static int blockEnd(List<String> lines) {
        boolean inTable = false;
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i);
            if (line.startsWith("Benchmark ")) {
                inTable = true;
            }
            else if (inTable && line.startsWith("```")) {
                return i;
            }
        }
        return -1;
    }

    static BarChart chart(List<String> lines) {
        BarChart chart = new BarChart("JMH microbenchmarks: time per operation", List.of("ns/op"),
                "bar: score; whisker: ± JMH's 99.9 % error (cut at the axis' end)", true);
        List<String> params = null;
        for (String line : lines) {
            if (line.startsWith("Benchmark ")) {
                params = new ArrayList<>();
                for (String word : line.trim().split("\\s+")) {
                    if (word.startsWith("(")) {
                        params.add(word.substring(1, word.length() - 1));
                    }
                }
                continue;
            }
            if (params == null || line.startsWith("```")) {
                params = line.startsWith("```") ? null : params;
                continue;
            }
            Score score = parse(line, params);
            if (score != null) {
                chart.add(score.group, score.series, score.group,
                        List.of(new double[] {score.value, Math.max(0, score.value - score.error),
                                score.value + score.error}));
            }
        }
        return chart;
    }

    /** One result line; null for the profiler's rows, other units, or anything else. */
    static Score parse(String line, List<String> params) {
        String[] words = line.trim().split("\\s+");
        if (words.length < 4 + params.size() || words[0].contains(":") || !words[words.length - 1].equals("ns/op")) {
            return null;
        }
        try {
            String name = words[0];
            int dot = name.lastIndexOf('.');
            String group = name.substring(name.lastIndexOf('.', dot - 1) + 1, dot);
            StringBuilder series = new StringBuilder(name.substring(dot + 1));
            for (int p = 0; p < params.size(); p++) {
                if (!words[1 + p].equals("N/A")) {
                    series.append(' ').append(params.get(p)).append('=').append(words[1 + p]);
                }
            }
            int n = words.length;
            boolean withError = words[n - 3].equals("±");
            double value = Double.parseDouble(words[withError ? n - 4 : n - 2]);
            double error = withError ? Double.parseDouble(words[n - 2]) : 0;
            return new Score(group, series.toString(), value, error);
        }
        catch (RuntimeException ex) {
            return null;
        }
    }

    record Score(String group, String series, double value, double error) {
    }
}
