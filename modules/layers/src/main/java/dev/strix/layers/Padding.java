package dev.strix.layers;

/**
 * Zero padding of a convolution's input: explicit amounts, or {@link #VALID} (none) or
 * {@link #SAME} (an output of {@code ceil(size / stride)}, as TensorFlow defines it; for stride 1
 * that is the input size and matches PyTorch's {@code padding="same"}).
 */
public sealed interface Padding {
    /** No padding: only windows that fit inside the input. */
    Padding VALID = new Explicit(0, 0);

    /**
     * Pads {@code max((ceil(size / s) - 1) * s + k - size, 0)} in total per axis, half before and the
     * rest (one more when odd) after.
     */
    Padding SAME = new Same();

    /** {@code height} rows above and below, {@code width} columns left and right. */
    static Padding of(int height, int width) {
        return new Explicit(height, width);
    }

    /** The amounts for an input plane of {@code height x width}. */
    Amounts resolve(int height, int width, int kh, int kw, int sh, int sw);

    /** Symmetric explicit padding. */
    record Explicit(int height, int width) implements Padding {
        public Explicit {
            if (height < 0 || width < 0) {
                throw new IllegalArgumentException("padding must not be negative, got " + height + "x" + width);
            }
        }

        @Override
        public Amounts resolve(int h, int w, int kh, int kw, int sh, int sw) {
            return new Amounts(height, height, width, width);
        }

        @Override
        public String toString() {
            return height == 0 && width == 0 ? "valid" : height + "x" + width;
        }
    }

    /** Padding that keeps {@code ceil(size / stride)} outputs per axis. */
    record Same() implements Padding {
        @Override
        public Amounts resolve(int h, int w, int kh, int kw, int sh, int sw) {
            int totalH = Math.max((Math.ceilDiv(h, sh) - 1) * sh + kh - h, 0);
            int totalW = Math.max((Math.ceilDiv(w, sw) - 1) * sw + kw - w, 0);
            return new Amounts(totalH / 2, totalH - totalH / 2, totalW / 2, totalW - totalW / 2);
        }

        @Override
        public String toString() {
            return "same";
        }
    }

    /** Rows added above and below, columns added left and right. */
    record Amounts(int top, int bottom, int left, int right) {
        public boolean isZero() {
            return top == 0 && bottom == 0 && left == 0 && right == 0;
        }
    }
}
