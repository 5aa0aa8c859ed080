package dev.strix.mnist.image;

/** What {@link DigitPreprocessor} made of an image: an MNIST-style digit, or a blank image. */
public sealed interface Preprocessed {
    /**
     * A 28x28 digit, row-major, ink 1 and background 0 as in MNIST.
     *
     * @param pixels      784 values in {@code [0, 1]}
     * @param inverted    whether the image had a light background (dark ink) and was inverted
     * @param inkBox      the ink's bounding box in the source image
     * @param scaledWidth width of the ink after scaling to fit 20x20 (height: {@code scaledHeight})
     * @param centreX     the digit's centre of mass in the 28x28 image (pixel centres at {@code x + 0.5})
     */
    record Digit(float[] pixels, boolean inverted, Box inkBox, int scaledWidth, int scaledHeight, double centreX,
            double centreY) implements Preprocessed {
    }

    /** No ink stands out from the background; {@code reason} says by how much the brightest ink did. */
    record Blank(String reason) implements Preprocessed {
    }

    /** A pixel rectangle: columns {@code [x, x + width)}, rows {@code [y, y + height)}. */
    record Box(int x, int y, int width, int height) {
        @Override
        public String toString() {
            return width + "x" + height + " at (" + x + ", " + y + ")";
        }
    }
}
