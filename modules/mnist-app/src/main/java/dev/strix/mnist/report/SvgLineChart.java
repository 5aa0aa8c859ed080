package dev.strix.mnist.report;

import java.util.ArrayList;
import java.util.List;

/**
 * A line chart as inline SVG: one line per series over the epochs, with axes, "nice" ticks
 * (steps of 1, 2 or 5 times a power of ten), grid lines, axis labels and a legend. Missing values
 * (NaN) are skipped; a series with no values is left out of the chart and the legend.
 */
final class SvgLineChart {
    static final int WIDTH = 480;
    static final int HEIGHT = 300;
    private static final int LEFT = 64;
    private static final int RIGHT = 16;
    private static final int TOP = 36;
    private static final int BOTTOM = 44;

    /** One line: its legend name, colour (CSS) and one value per x position. */
    record Series(String name, String color, double[] values) {
    }

    private SvgLineChart() {
    }

    /** The chart; with {@code percent}, values are fractions shown as percentages. */
    static String render(String title, String yLabel, int[] epochs, List<Series> series, boolean percent) {
        List<Series> shown = new ArrayList<>();
        double lo = Double.POSITIVE_INFINITY;
        double hi = Double.NEGATIVE_INFINITY;
        for (Series s : series) {
            boolean any = false;
            for (double v : s.values()) {
                if (!Double.isNaN(v)) {
                    lo = Math.min(lo, v);
                    hi = Math.max(hi, v);
                    any = true;
                }
            }
            if (any) {
                shown.add(s);
            }
        }
        if (shown.isEmpty()) {
            lo = 0;
            hi = 1;
        }
        if (hi - lo <= 1e-12 * Math.max(1, Math.abs(hi))) {
            // One value (or all equal): show a band of 10% around it rather than an arbitrary unit range.
            double pad = hi == 0 ? 1 : Math.abs(hi) * 0.1;
            lo -= pad;
            hi += pad;
        }
        double yStep = niceStep((hi - lo) / 5);
        double yMin = Math.floor(lo / yStep) * yStep;
        double yMax = Math.ceil(hi / yStep) * yStep;
        if (yMax - yMin < yStep / 2) {
            yMin -= yStep;
            yMax += yStep;
        }
        double xMin = epochs.length == 0 ? 0 : epochs[0];
        double xMax = epochs.length == 0 ? 1 : epochs[epochs.length - 1];
        if (xMax <= xMin) {
            xMin -= 1;
            xMax += 1;
        }
        Axes axes = new Axes(xMin, xMax, yMin, yMax);

        StringBuilder svg = new StringBuilder();
        svg.append("<svg class=\"chart\" width=\"").append(WIDTH).append("\" height=\"").append(HEIGHT)
                .append("\" viewBox=\"0 0 ").append(WIDTH).append(' ').append(HEIGHT).append("\" role=\"img\" aria-label=\"")
                .append(Markup.escape(title)).append("\">\n");
        svg.append("<title>").append(Markup.escape(title)).append("</title>\n");
        svg.append(text(WIDTH / 2.0, 20, "middle", "chart-title", title));
        int yDecimals = decimals(percent ? yStep * 100 : yStep);
        int ticks = (int) Math.round((yMax - yMin) / yStep);
        for (int i = 0; i <= ticks; i++) {
            double v = yMin + i * yStep;
            double y = axes.y(v);
            svg.append("<line class=\"grid\" x1=\"").append(LEFT).append("\" y1=\"").append(Markup.coord(y)).append("\" x2=\"")
                    .append(WIDTH - RIGHT).append("\" y2=\"").append(Markup.coord(y)).append("\"/>\n");
            String label = percent ? Markup.fixed(v * 100, yDecimals) + "%" : Markup.fixed(v, yDecimals);
            svg.append(text(LEFT - 6, y + 4, "end", "tick", label));
        }
        int xStep = Math.max(1, (int) Math.round(niceStep((xMax - xMin) / 8)));
        for (int e = (int) Math.ceil(xMin); e <= xMax; e++) {
            if (e % xStep != 0) {
                continue;
            }
            double x = axes.x(e);
            svg.append("<line class=\"axis\" x1=\"").append(Markup.coord(x)).append("\" y1=\"").append(HEIGHT - BOTTOM)
                    .append("\" x2=\"").append(Markup.coord(x)).append("\" y2=\"").append(HEIGHT - BOTTOM + 5).append("\"/>\n");
            svg.append(text(x, HEIGHT - BOTTOM + 18, "middle", "tick", String.valueOf(e)));
        }
        svg.append("<line class=\"axis\" x1=\"").append(LEFT).append("\" y1=\"").append(HEIGHT - BOTTOM).append("\" x2=\"")
                .append(WIDTH - RIGHT).append("\" y2=\"").append(HEIGHT - BOTTOM).append("\"/>\n");
        svg.append("<line class=\"axis\" x1=\"").append(LEFT).append("\" y1=\"").append(TOP).append("\" x2=\"").append(LEFT)
                .append("\" y2=\"").append(HEIGHT - BOTTOM).append("\"/>\n");
        svg.append(text((LEFT + WIDTH - RIGHT) / 2.0, HEIGHT - 8, "middle", "axis-label", "epoch"));
        svg.append("<text class=\"axis-label\" text-anchor=\"middle\" transform=\"translate(14 ")
                .append(Markup.coord((TOP + HEIGHT - BOTTOM) / 2.0)).append(") rotate(-90)\">").append(Markup.escape(yLabel))
                .append("</text>\n");
        for (Series s : shown) {
            svg.append(line(s, epochs, axes));
        }
        svg.append(legend(shown, endsHigh(shown, axes)));
        return svg.append("</svg>\n").toString();
    }

    private record Axes(double xMin, double xMax, double yMin, double yMax) {
        double x(double v) {
            return LEFT + (v - xMin) / (xMax - xMin) * (WIDTH - LEFT - RIGHT);
        }

        double y(double v) {
            return HEIGHT - BOTTOM - (v - yMin) / (yMax - yMin) * (HEIGHT - TOP - BOTTOM);
        }
    }

    private static String line(Series s, int[] epochs, Axes axes) {
        StringBuilder points = new StringBuilder();
        StringBuilder markers = new StringBuilder();
        for (int i = 0; i < epochs.length && i < s.values().length; i++) {
            double v = s.values()[i];
            if (Double.isNaN(v)) {
                continue;
            }
            String x = Markup.coord(axes.x(epochs[i]));
            String y = Markup.coord(axes.y(v));
            points.append(points.isEmpty() ? "" : " ").append(x).append(',').append(y);
            markers.append("<circle cx=\"").append(x).append("\" cy=\"").append(y).append("\" r=\"2.5\" fill=\"")
                    .append(s.color()).append("\"/>\n");
        }
        return "<polyline class=\"series\" fill=\"none\" stroke=\"" + s.color() + "\" stroke-width=\"2\" points=\""
                + points + "\"><title>" + Markup.escape(s.name()) + "</title></polyline>\n" + markers;
    }

    /** Whether the lines end in the upper half, where a top-right legend would cover them. */
    private static boolean endsHigh(List<Series> shown, Axes axes) {
        double sum = 0;
        int n = 0;
        for (Series s : shown) {
            for (int i = s.values().length - 1; i >= 0; i--) {
                if (!Double.isNaN(s.values()[i])) {
                    sum += axes.y(s.values()[i]);
                    n++;
                    break;
                }
            }
        }
        return n > 0 && sum / n < (TOP + HEIGHT - BOTTOM) / 2.0;
    }

    /** The legend in the top-right corner, or the bottom-right one when the lines end high. */
    private static String legend(List<Series> shown, boolean bottom) {
        StringBuilder sb = new StringBuilder("<g class=\"legend\">\n");
        double y = bottom ? HEIGHT - BOTTOM - 16.0 * shown.size() + 4 : TOP + 8;
        for (Series s : shown) {
            double x = WIDTH - RIGHT - 150;
            sb.append("<rect x=\"").append(Markup.coord(x)).append("\" y=\"").append(Markup.coord(y - 9))
                    .append("\" width=\"14\" height=\"4\" fill=\"").append(s.color()).append("\"/>\n");
            sb.append(text(x + 20, y - 3, "start", "legend-label", s.name()));
            y += 16;
        }
        return sb.append("</g>\n").toString();
    }

    private static String text(double x, double y, String anchor, String cssClass, String content) {
        return "<text class=\"" + cssClass + "\" x=\"" + Markup.coord(x) + "\" y=\"" + Markup.coord(y) + "\" text-anchor=\""
                + anchor + "\">" + Markup.escape(content) + "</text>\n";
    }

    /** The smallest of 1, 2, 5 times a power of ten that is at least {@code rough}. */
    static double niceStep(double rough) {
        if (!(rough > 0) || Double.isInfinite(rough)) {
            return 1;
        }
        double power = Math.pow(10, Math.floor(Math.log10(rough)));
        double f = rough / power;
        double tolerance = 1e-9; // so that 0.02000000000000001 still counts as 2 x 10^-2
        double nice = f <= 1 + tolerance ? 1 : f <= 2 + tolerance ? 2 : f <= 5 + tolerance ? 5 : 10;
        return nice * power;
    }

    /** Decimals needed to print multiples of {@code step} exactly. */
    private static int decimals(double step) {
        return Math.max(0, (int) -Math.floor(Math.log10(step) + 1e-9));
    }
}
