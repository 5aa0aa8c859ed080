package dev.strix.jmh;

/**
 * The two 3x3 convolutions of the reference network (Architectures.REFERENCE), no padding, with
 * bias: {@code [N, in, size, size] -> [N, out, size - 2, size - 2]}.
 */
public enum ReferenceConvShape {
    /** 1 -> 32 on 28x28. */
    CONV1(1, 32, 28),
    /** 32 -> 64 on 13x13 (after the first 2x2 pooling). */
    CONV2(32, 64, 13);

    final int in;
    final int out;
    final int size;

    ReferenceConvShape(int in, int out, int size) {
        this.in = in;
        this.out = out;
        this.size = size;
    }

    /** Output height and width. */
    int outSize() {
        return size - 2;
    }

    /** "1->32 on 28x28". */
    String describe() {
        return in + "->" + out + " on " + size + "x" + size;
    }
}
