package dev.strix.mnist.report;

import java.util.Locale;

/** Escaping and number formatting shared by the HTML and SVG writers. */
final class Markup {
    private Markup() {
    }

    /** Text safe inside XML/HTML elements and quoted attributes. */
    static String escape(String s) {
        StringBuilder sb = new StringBuilder(s.length());
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '&' -> sb.append("&amp;");
                case '<' -> sb.append("&lt;");
                case '>' -> sb.append("&gt;");
                case '"' -> sb.append("&quot;");
                case '\'' -> sb.append("&#39;");
                default -> sb.append(c);
            }
        }
        return sb.toString();
    }

    /** {@code v} with {@code decimals} decimals, or "-" for NaN. */
    static String fixed(double v, int decimals) {
        return Double.isNaN(v) ? "-" : String.format(Locale.ROOT, "%." + decimals + "f", v);
    }

    /** A coordinate for SVG attributes: one decimal, no locale surprises. */
    static String coord(double v) {
        return String.format(Locale.ROOT, "%.1f", v);
    }
}
