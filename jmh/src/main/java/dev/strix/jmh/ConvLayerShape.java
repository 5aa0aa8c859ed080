package dev.strix.jmh;

/**
 * The four 3x3 convolutions of the default model (Architectures.DEFAULT), no padding, no bias:
 * {@code [N, in, size, size] -> [N, out, size - 2, size - 2]}.
 */
public enum ConvLayerShape {
    /** 1 -> 32 on 28x28. */
    CONV1(1, 32, 28),
    /** 32 -> 32 on 26x26. */
    CONV2(32, 32, 26),
    /** 32 -> 64 on 12x12 (after the first pooling). */
    CONV3(32, 64, 12),
    /** 64 -> 64 on 10x10. */
    CONV4(64, 64, 10);

    final int in;
    final int out;
    final int size;

    ConvLayerShape(int in, int out, int size) {
        this.in = in;
        this.out = out;
        this.size = size;
    }

    /** Output height and width. */
    int outSize() {
        return size - 2;
    }

    /** Multiply-adds times two of one pass (forward, input gradient or weight gradient alike). */
    double flops(int batch) {
        return 2.0 * batch * out * outSize() * outSize() * in * 9;
    }
}
