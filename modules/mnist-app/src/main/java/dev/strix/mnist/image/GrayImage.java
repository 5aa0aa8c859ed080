package dev.strix.mnist.image;

/**
 * A grayscale image as luminance in {@code [0, 1]} (0 black, 1 white), row-major:
 * pixel {@code (x, y)} is {@code luminance[y * width + x]}.
 */
public record GrayImage(int width, int height, float[] luminance) {
    public GrayImage {
        if (width <= 0 || height <= 0 || (long) width * height != luminance.length) {
            throw new IllegalArgumentException("image " + width + "x" + height + " with " + luminance.length + " pixels");
        }
    }

    /** Luminance at column {@code x}, row {@code y}. */
    public float at(int x, int y) {
        return luminance[y * width + x];
    }
}
