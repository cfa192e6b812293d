package io.quicxdp.bench.chart;

import java.util.ArrayList;
import java.util.List;

/**
 * A Markdown table of a results section, with the headings it stands under: what the charts are drawn from.
 *
 * @param headings the nearest heading of each level above the table, outermost first
 * @param header the column labels
 * @param rows the cells, row by row
 * @param endLine the index of the table's last line in the document
 */
record MarkdownTable(List<String> headings, List<String> header, List<List<String>> rows, int endLine) {

    /** Every table of {@code lines}, in order. */
    static List<MarkdownTable> parse(List<String> lines) {
        List<MarkdownTable> tables = new ArrayList<>();
        String[] headings = new String[7];
        int i = 0;
        while (i < lines.size()) {
            String line = lines.get(i);
            if (line.startsWith("#")) {
                int level = 0;
                while (level < line.length() && line.charAt(level) == '#') {
                    level++;
                }
                if (level < headings.length) {
                    headings[level] = line.substring(level).trim();
                    for (int deeper = level + 1; deeper < headings.length; deeper++) {
                        headings[deeper] = null;
                    }
                }
                i++;
            }
            else if (line.startsWith("|") && i + 1 < lines.size() && lines.get(i + 1).startsWith("|---")) {
                List<String> header = cells(line);
                List<List<String>> rows = new ArrayList<>();
                int j = i + 2;
                while (j < lines.size() && lines.get(j).startsWith("|")) {
                    rows.add(cells(lines.get(j)));
                    j++;
                }
                List<String> above = new ArrayList<>();
                for (String heading : headings) {
                    if (heading != null) {
                        above.add(heading);
                    }
                }
                tables.add(new MarkdownTable(above, header, rows, j - 1));
                i = j;
            }
            else {
                i++;
            }
        }
        return tables;
    }

    /** The cells of a table line, trimmed. */
    static List<String> cells(String line) {
        String inner = line.trim();
        inner = inner.substring(1, inner.endsWith("|") ? inner.length() - 1 : inner.length());
        List<String> cells = new ArrayList<>();
        for (String cell : inner.split("\\|", -1)) {
            cells.add(cell.trim());
        }
        return cells;
    }

    /** The index of the first column whose label {@code matches}; -1 if none. */
    int column(java.util.function.Predicate<String> matches) {
        for (int c = 0; c < header.size(); c++) {
            if (matches.test(header.get(c))) {
                return c;
            }
        }
        return -1;
    }

    /**
     * A cell as "median (min–max)": {median, min, max}; a plain number gives itself three times; null for
     * anything else ("n/a", "–").
     */
    static double[] spread(String cell) {
        String text = cell.replace("*", "").trim();
        try {
            int open = text.indexOf('(');
            if (open < 0) {
                double value = Double.parseDouble(text);
                return new double[] {value, value, value};
            }
            double median = Double.parseDouble(text.substring(0, open).trim());
            String range = text.substring(open + 1, text.indexOf(')', open));
            // the dash between min and max is an en dash; a minus sign would be a plain hyphen
            int dash = range.indexOf('–');
            return new double[] {median, Double.parseDouble(range.substring(0, dash).trim()),
                    Double.parseDouble(range.substring(dash + 1).trim())};
        }
        catch (RuntimeException ex) {
            return null;
        }
    }
}
