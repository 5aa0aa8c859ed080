package dev.strix.tensor.spi;

import dev.strix.tensor.Tensor;

/**
 * A tensor {@code [N, C, ...]} seen as {@code [N, C, S]}: the axes after the channel merged into one
 * run of {@code S} elements with a single stride, which is all per-channel ops (batch norm) need.
 * Every backend's normalization starts here, so all of them take the same views (NCHW, NHWC and
 * other permutations whose trailing axes merge) and refuse the rest with the same words.
 *
 * <p>Element {@code (n, c, s)} is at {@code offset + n * strideN + c * strideC + s * strideS} of
 * the storage.
 */
public record ChannelView(int n, int c, int s, long strideN, long strideC, long strideS, long offset) {

    /** The view of {@code t}, or a message naming {@code what} when its trailing axes cannot merge. */
    public static ChannelView of(Tensor t, String what) {
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
        return new ChannelView(t.dim(0), t.dim(1), Math.toIntExact(size), t.stride(0), t.stride(1), stride, t.offset());
    }

    /**
     * This view, when it has the shape of {@code input}'s; otherwise a message naming {@code what} and
     * the shape of {@code t}, the tensor this view was made of.
     */
    public ChannelView requireShapeOf(ChannelView input, Tensor t, String what) {
        if (n != input.n || c != input.c || s != input.s) {
            throw new IllegalArgumentException(what + " " + t.shape() + " does not match the input's [N, C, S] = ["
                    + input.n + ", " + input.c + ", " + input.s + "]");
        }
        return this;
    }

    /** Element index of (sample, channel, position). */
    public long at(int sample, int channel, int position) {
        return offset + sample * strideN + channel * strideC + position * strideS;
    }
}
