package dev.strix.data.augment;

/**
 * Random geometric augmentation settings. Each image gets one affine transform drawn uniformly:
 * a rotation in [-rotationDegrees, rotationDegrees] about the image centre, a zoom factor in
 * [zoomMin, zoomMax] (above 1 enlarges), and a shift in [-shiftPixels, shiftPixels] along each
 * axis; see {@link AffineTransforms} for the matrix and {@link AffineSampler} for the sampling.
 *
 * @param rotationDegrees largest rotation either way, in degrees, >= 0
 * @param shiftPixels     largest shift either way along x and y, in pixels, >= 0
 * @param zoomMin         smallest zoom factor, > 0
 * @param zoomMax         largest zoom factor, >= zoomMin
 */
public record Augmentation(double rotationDegrees, double shiftPixels, double zoomMin, double zoomMax) {
    /** No augmentation: every transform is the identity. */
    public static final Augmentation NONE = new Augmentation(0, 0, 1, 1);

    public Augmentation {
        if (!(rotationDegrees >= 0) || !(shiftPixels >= 0) || !(zoomMin > 0) || !(zoomMax >= zoomMin)
                || !Double.isFinite(rotationDegrees + shiftPixels + zoomMax)) {
            throw new IllegalArgumentException("augmentation needs rotation >= 0, shift >= 0 and 0 < zoomMin <= zoomMax,"
                    + " got rotation " + rotationDegrees + ", shift " + shiftPixels + ", zoom [" + zoomMin + ", " + zoomMax + "]");
        }
    }

    /** A typical setting for handwritten digits: +-10 degrees, +-2 pixels, zoom 0.9 to 1.1. */
    public static Augmentation digits() {
        return new Augmentation(10, 2, 0.9, 1.1);
    }

    /** True when every drawn transform is the identity, so sampling can be skipped. */
    public boolean isIdentity() {
        return rotationDegrees == 0 && shiftPixels == 0 && zoomMin == 1 && zoomMax == 1;
    }
}
