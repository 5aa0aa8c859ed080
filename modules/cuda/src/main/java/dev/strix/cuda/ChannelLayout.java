package dev.strix.cuda;

import dev.strix.tensor.Tensor;

/**
 * A float32 tensor {@code [N, C, ...]} seen as {@code [N, C, S]}: the axes after the channel merged
 * into one run of {@code S} elements with a single stride, which is all the per-channel kernels
 * (cuda-src/normalization.cu) need. The same view, and the same refusal, as the CPU backend's.
 */
record ChannelLayout(int n, int c, int s, long strideN, long strideC, long strideS) {

    /** The view of {@code t}, or a message naming {@code what} when its trailing axes cannot merge. */
    static ChannelLayout of(Tensor t, String what) {
        if (t.rank() < 2) {
            throw new IllegalArgumentException(what + " needs [N, C, ...], got " + t.shape());
        }
        long size = 1;
        long stride = 1;
        boolean first = true;
        for (int a = t.rank() - 1; a >= 2; a--) {
            if (t.dim(a) == 1) {
                continue;
            }
            if (first) {
                stride = t.stride(a);
                first = false;
            } else if (t.stride(a) != stride * size) {
                throw new IllegalArgumentException(what + ": the axes after the channel axis of " + t
                        + " do not form one strided run; pass a contiguous tensor");
            }
            size *= t.dim(a);
        }
        return new ChannelLayout(t.dim(0), t.dim(1), Math.toIntExact(size), t.stride(0), t.stride(1), stride);
    }

    boolean sameShape(ChannelLayout o) {
        return n == o.n && c == o.c && s == o.s;
    }

    /** Appends the kernels' {@code ChannelTensor} struct (the three strides). */
    KernelParams stridesTo(KernelParams p) {
        return p.longs(strideN, strideC, strideS);
    }
}
