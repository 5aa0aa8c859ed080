package dev.strix.layers;

import dev.strix.tensor.Shape;

/**
 * Every size of one convolution call: input {@code [n, c, h, w]}, weights {@code [o, c, kh, kw]},
 * strides, the four padding amounts and the output {@code [n, o, oh, ow]}, with
 * {@code oh = (h + top + bottom - kh) / sh + 1} and likewise for {@code ow}.
 */
record ConvGeometry(int n, int c, int h, int w, int o, int kh, int kw, int sh, int sw,
                    Padding.Amounts pad, int oh, int ow) {

    int paddedH() {
        return h + pad.top() + pad.bottom();
    }

    int paddedW() {
        return w + pad.left() + pad.right();
    }

    Shape input() {
        return Shape.of(n, c, h, w);
    }

    Shape paddedInput() {
        return Shape.of(n, c, paddedH(), paddedW());
    }

    Shape output() {
        return Shape.of(n, o, oh, ow);
    }

    /** Rows of a column matrix: one per (input channel, kernel row, kernel column). */
    int patchSize() {
        return c * kh * kw;
    }
}
