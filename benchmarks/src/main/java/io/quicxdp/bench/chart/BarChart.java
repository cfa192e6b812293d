package io.quicxdp.bench.chart;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.FontMetrics;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import javax.imageio.ImageIO;

/**
 * Horizontal bar charts drawn with Java2D (no library beyond the JDK): one row per series within each group
 * (a server or receiver within "IPv4", "IPv6 1200 B", ...), one panel per figure side by side, the bar at the
 * median and a whisker from min to max. A series keeps its colour across groups and charts.
 */
final class BarChart {

    private static final Color[] PALETTE = {new Color(0x1f77b4), new Color(0xff7f0e), new Color(0x2ca02c),
            new Color(0xd62728), new Color(0x9467bd), new Color(0x8c564b), new Color(0xe377c2), new Color(0x7f7f7f),
            new Color(0xbcbd22), new Color(0x17becf)};

    private static final int ROW = 20;

    private static final int PANEL = 420;

    private static final int GAP = 30;

    private final String title;

    private final List<String> figures;

    private final String legend;

    private final boolean scaleToBars;

    private final List<Row> rows = new ArrayList<>();

    private final Map<String, Color> colours = new LinkedHashMap<>();

    /**
     * @param title the chart's title
     * @param figures each panel's axis label
     * @param legend what bar and whisker show, under the chart
     * @param scaleToBars whether an axis ends at the longest bar rather than the longest whisker (whiskers past it
     *     are cut): for figures whose error can dwarf the values
     */
    BarChart(String title, List<String> figures, String legend, boolean scaleToBars) {
        this.title = title;
        this.figures = figures;
        this.legend = legend;
        this.scaleToBars = scaleToBars;
    }

    /**
     * Adds a row: {@code values} holds each panel's {median, min, max}, or null where the series has no figure;
     * rows of the same {@code colour} key share a colour.
     */
    void add(String group, String series, String colour, List<double[]> values) {
        colours.computeIfAbsent(colour, s -> PALETTE[colours.size() % PALETTE.length]);
        rows.add(new Row(group, series, colour, values));
    }

    boolean isEmpty() {
        return rows.isEmpty();
    }

    void write(Path png) throws IOException {
        Font plain = new Font(Font.SANS_SERIF, Font.PLAIN, 12);
        Font bold = new Font(Font.SANS_SERIF, Font.BOLD, 13);
        BufferedImage probe = new BufferedImage(1, 1, BufferedImage.TYPE_INT_RGB);
        FontMetrics metrics = probe.createGraphics().getFontMetrics(plain);
        int labelWidth = 0;
        for (Row row : rows) {
            labelWidth = Math.max(labelWidth, metrics.stringWidth(row.series) + 16);
        }
        List<String> groups = new ArrayList<>();
        rows.forEach(row -> {
            if (!groups.contains(row.group)) {
                groups.add(row.group);
            }
        });
        int top = 50;
        int height = top + (rows.size() + groups.size()) * ROW + 50;
        int width = 20 + labelWidth + figures.size() * (PANEL + GAP);
        BufferedImage image = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = image.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
        g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
        g.setColor(Color.WHITE);
        g.fillRect(0, 0, width, height);
        g.setColor(Color.BLACK);
        g.setFont(bold);
        g.drawString(title, 10, 22);
        int bottom = height - 40;
        for (int panel = 0; panel < figures.size(); panel++) {
            int left = 20 + labelWidth + panel * (PANEL + GAP);
            double max = 0;
            for (Row row : rows) {
                double[] v = row.values.get(panel);
                if (v != null) {
                    max = Math.max(max, v[scaleToBars ? 0 : 2]);
                }
            }
            double scale = niceMax(max);
            g.setFont(plain);
            for (int tick = 0; tick <= 4; tick++) {
                int x = left + tick * PANEL / 4;
                g.setColor(new Color(0xdddddd));
                g.drawLine(x, top - 4, x, bottom);
                g.setColor(Color.DARK_GRAY);
                String text = format(scale * tick / 4);
                g.drawString(text, x - metrics.stringWidth(text) / 2, bottom + 14);
            }
            g.setFont(bold);
            g.setColor(Color.BLACK);
            g.drawString(figures.get(panel), left, top - 12);
            int y = top;
            String group = null;
            for (Row row : rows) {
                if (!row.group.equals(group)) {
                    group = row.group;
                    if (panel == 0) {
                        g.setFont(bold);
                        g.drawString(group, 10, y + 14);
                    }
                    y += ROW;
                }
                g.setFont(plain);
                if (panel == 0) {
                    g.setColor(Color.BLACK);
                    g.drawString(row.series, 22, y + 14);
                }
                double[] v = row.values.get(panel);
                if (v == null) {
                    g.setColor(Color.GRAY);
                    g.drawString("n/a", left + 4, y + 14);
                }
                else {
                    g.setColor(colours.get(row.colour));
                    g.fillRect(left, y + 3, (int) Math.round(v[0] / scale * PANEL), ROW - 6);
                    g.setColor(Color.BLACK);
                    g.setStroke(new BasicStroke(1.2f));
                    int x0 = left + (int) Math.round(v[1] / scale * PANEL);
                    int x1 = left + (int) Math.round(Math.min(v[2], scale) / scale * PANEL);
                    g.drawLine(x0, y + ROW / 2, x1, y + ROW / 2);
                    g.drawLine(x0, y + 5, x0, y + ROW - 5);
                    g.drawLine(x1, y + 5, x1, y + ROW - 5);
                    String text = format(v[0]);
                    g.drawString(text, Math.min(x1 + 4, left + PANEL - metrics.stringWidth(text)), y + 14);
                }
                y += ROW;
            }
        }
        g.setFont(plain);
        g.setColor(Color.DARK_GRAY);
        g.drawString(legend, 10, height - 10);
        g.dispose();
        ImageIO.write(image, "png", png.toFile());
    }

    /** 1, 2 or 5 times a power of ten, at least {@code max}. */
    static double niceMax(double max) {
        if (!(max > 0)) {
            return 1;
        }
        double power = Math.pow(10, Math.floor(Math.log10(max)));
        for (double step : new double[] {1, 2, 5, 10}) {
            if (step * power >= max) {
                return step * power;
            }
        }
        return 10 * power;
    }

    static String format(double value) {
        if (value == 0) {
            return "0";
        }
        double magnitude = Math.abs(value);
        return magnitude >= 100 ? String.format("%.0f", value)
                : magnitude >= 10 ? String.format("%.1f", value)
                : magnitude >= 1 ? String.format("%.2f", value) : String.format("%.3f", value);
    }

    private record Row(String group, String series, String colour, List<double[]> values) {
    }
}
