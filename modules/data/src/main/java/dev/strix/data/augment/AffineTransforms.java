package dev.strix.data.augment;

import dev.strix.data.CounterRandom;

/**
 * Builds the 2x3 matrices {@link AffineSampler} uses. They map an OUTPUT pixel back to the SOURCE
 * position it samples (inverse mapping, so every output pixel gets exactly one value):
 *
 * <pre>
 *   sx = m[0]*x + m[1]*y + m[2]
 *   sy = m[3]*x + m[4]*y + m[5]
 * </pre>
 *
 * <p>Coordinates are pixel centres, x to the right, y down, centre c = ((cols-1)/2, (rows-1)/2).
 * The forward transform is {@code out = c + s * R(theta) * (in - c) + t} with zoom s, shift t and
 * {@code R = [[cos, sin], [-sin, cos]]}, which turns the picture counter-clockwise on screen for a
 * positive angle. Its inverse is {@code in = c + R(theta)^T * (out - c - t) / s}.
 */
public final class AffineTransforms {
    /** Floats per matrix. */
    public static final int MATRIX_SIZE = 6;

    private AffineTransforms() {
    }

    /** Writes the identity into {@code m[offset..offset+5]}. */
    public static void identity(float[] m, int offset) {
        inverse(0, 1, 0, 0, 1, 1, m, offset);
    }

    /**
     * Writes the inverse-mapping matrix of "rotate by {@code degrees} counter-clockwise about the
     * centre, zoom by {@code zoom}, then shift by ({@code shiftX}, {@code shiftY}) pixels" for
     * images of {@code rows x cols} into {@code m[offset..offset+5]}.
     */
    public static void inverse(double degrees, double zoom, double shiftX, double shiftY, int rows, int cols,
                               float[] m, int offset) {
        double cos = cosDegrees(degrees);
        double sin = sinDegrees(degrees);
        double cx = (cols - 1) / 2.0;
        double cy = (rows - 1) / 2.0;
        double a = cos / zoom;
        double b = 0.0 - sin / zoom; // 0.0 - x keeps the identity free of negative zeros
        double d = sin / zoom;
        double e = cos / zoom;
        double ux = cx + shiftX;
        double uy = cy + shiftY;
        m[offset] = (float) a;
        m[offset + 1] = (float) b;
        m[offset + 2] = (float) (cx - a * ux - b * uy);
        m[offset + 3] = (float) d;
        m[offset + 4] = (float) e;
        m[offset + 5] = (float) (cy - d * ux - e * uy);
    }

    /**
     * Draws the transform for image {@code image} of a batch from {@code key} (e.g.
     * {@code CounterRandom.key(seed, epoch, batchIndex)}): four uniform numbers at counters
     * {@code 4*image .. 4*image+3} give rotation, zoom, shift x and shift y. Depends on nothing
     * else, so any thread or a GPU can draw it.
     */
    public static void random(Augmentation a, long key, int image, int rows, int cols, float[] m, int offset) {
        long c = 4L * image;
        double degrees = (2 * CounterRandom.uniform(key, c) - 1) * a.rotationDegrees();
        double zoom = a.zoomMin() + CounterRandom.uniform(key, c + 1) * (a.zoomMax() - a.zoomMin());
        double shiftX = (2 * CounterRandom.uniform(key, c + 2) - 1) * a.shiftPixels();
        double shiftY = (2 * CounterRandom.uniform(key, c + 3) - 1) * a.shiftPixels();
        inverse(degrees, zoom, shiftX, shiftY, rows, cols, m, offset);
    }

    // Exact at multiples of 90 degrees, so quarter turns map pixel centres onto pixel centres.
    private static double sinDegrees(double degrees) {
        double r = Math.IEEEremainder(degrees, 360);
        if (r == 0 || r == 180 || r == -180) {
            return 0;
        }
        if (r == 90 || r == -270) {
            return 1;
        }
        if (r == -90 || r == 270) {
            return -1;
        }
        return Math.sin(Math.toRadians(degrees));
    }

    private static double cosDegrees(double degrees) {
        return sinDegrees(degrees + 90);
    }
}
