package dev.strix.mnist.image;

/**
 * Draws a grayscale image with characters, two per pixel so the aspect looks square in a terminal:
 * {@code " .:-=+*#%@"} from 0 to 1, in a frame.
 */
public final class AsciiArt {
    private static final String SHADES = " .:-=+*#%@";

    private AsciiArt() {
    }

    /** {@code values} ({@code width x height}, row-major, in [0, 1]) as framed lines ending in '\n'. */
    public static String render(float[] values, int width, int height) {
        StringBuilder sb = new StringBuilder();
        String edge = "+" + "-".repeat(2 * width) + "+\n";
        sb.append(edge);
        for (int y = 0; y < height; y++) {
            sb.append('|');
            for (int x = 0; x < width; x++) {
                float v = Math.clamp(values[y * width + x], 0f, 1f);
                char c = SHADES.charAt(Math.min(SHADES.length() - 1, (int) (v * SHADES.length())));
                sb.append(c).append(c);
            }
            sb.append("|\n");
        }
        return sb.append(edge).toString();
    }
}
