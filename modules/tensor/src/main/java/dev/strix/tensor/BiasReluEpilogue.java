package dev.strix.tensor;

/**
 * The element-wise tail of a convolution or dense layer in one pass over its output: bias, ReLU
 * and, for a convolution, a following 2x2 stride-2 max pooling. With {@code b} along axis 1 of
 * {@code Z} ({@code [N, C]} or {@code [N, C, H, W]}):
 * <pre>
 *   biasRelu                 Y = max(0, Z + b)
 *   biasReluBackward         dZ = dY where Y &gt; 0, else 0;          db = sum of dZ over every axis but 1
 *   biasReluMaxPool          P[n, c, y, x] = max(0, max over i, j in {0, 1} of Z[n, c, 2y + i, 2x + j] + b[c])
 *                            A[n, c, y, x] = (2y + i) * W + (2x + j) of that window's maximum (the first in row-major order)
 *   biasReluMaxPoolBackward  dZ = 0 except dZ[n, c, A[n, c, y, x]] = dP[n, c, y, x] where P &gt; 0;  db = sum of dZ
 * </pre>
 * A trailing odd row or column of {@code Z} is dropped by the pooling, as {@link Pooling} does
 * ({@code P} is {@code [N, C, H / 2, W / 2]}, {@code A} int32 of that shape). These are the
 * numbers of the separate ops for finite inputs (a broadcast add, {@link Activation}'s ReLU, {@link Pooling}): the
 * maximum of a window commutes with ReLU, and a window whose maximum is not positive passes no
 * gradient either way. Only the trips through memory between them disappear, and the launches on a
 * device.
 *
 * <p>Tensors must be float32 (the argmax int32) and either all contiguous, or, four-dimensional, all
 * channels-last: the {@code permute(0, 3, 1, 2)} view of a contiguous {@code [N, H, W, C]} tensor
 * ({@link #channelsLast}), as layers produce them in either activation layout. The pooling ops take
 * the full-size {@code z} (or {@code dz}) in a layout of its own: contiguous, channels-last, or
 * channel-major ({@link #isChannelMajor}: the {@code [C, N, H, W]} order in which one GEMM over the
 * whole batch writes a convolution's output); their pooled side ({@code pooled}, {@code argmax},
 * {@code dPooled}) is all contiguous or all channels-last. The bias {@code [C]}
 * is contiguous and may be null (none, and no {@code db}). Outputs are overwritten; {@code y} may alias
 * {@code z}, and {@code dz} may alias {@code dy} in {@link #biasReluBackward}. Optional: a backend
 * offers it through {@link Backend#biasReluEpilogue()}.
 */
public interface BiasReluEpilogue {
    /** {@code y = max(0, z + bias)}, {@code bias [C]} along axis 1 of {@code z} (or null). */
    void biasRelu(Tensor z, Tensor bias, Tensor y);

    /**
     * {@code dz = dy} where the forward output {@code y > 0}, else 0; unless {@code dBias} is null,
     * {@code dBias [C] = sum of dz} over every axis but 1.
     */
    void biasReluBackward(Tensor y, Tensor dy, Tensor dz, Tensor dBias);

    /**
     * {@code pooled [N, C, H / 2, W / 2] = max(0, max of z + bias over each 2x2 window)} and the
     * window's argmax within its {@code [H, W]} plane, for {@code z [N, C, H, W]} (H, W at least 2).
     */
    void biasReluMaxPool(Tensor z, Tensor bias, Tensor pooled, Tensor argmax);

    /**
     * Overwrites {@code dz [N, C, H, W]}: {@code dPooled} at each window's argmax where
     * {@code pooled > 0}, zero everywhere else; unless {@code dBias} is null,
     * {@code dBias [C] = sum of dz over n, y, x}.
     */
    void biasReluMaxPoolBackward(Tensor dPooled, Tensor pooled, Tensor argmax, Tensor dz, Tensor dBias);

    /**
     * Checks the operands of {@link #biasReluMaxPool} and its backward (named in messages by
     * {@code op}): {@code z [N, C, H, W]} with H, W at least 2, contiguous, channels-last or
     * channel-major; {@code pooled} and {@code argmax} {@code [N, C, H / 2, W / 2]}, contiguous or
     * channels-last; {@code bias [C]} or null. Shared by backends.
     */
    static void checkPooling(String op, Tensor z, Tensor bias, Tensor pooled, Tensor argmax) {
        if (z.rank() != 4 || z.dim(2) < 2 || z.dim(3) < 2) {
            throw new IllegalArgumentException(op + ": needs a convolution output [N, C, H, W] with H and W at"
                    + " least 2, got " + z.shape());
        }
        Shape expected = Shape.of(z.dim(0), z.dim(1), z.dim(2) / 2, z.dim(3) / 2);
        if (!pooled.shape().equals(expected) || !argmax.shape().equals(expected)) {
            throw new IllegalArgumentException(op + ": pooled and argmax must be " + expected + " for " + z.shape()
                    + ", got " + pooled.shape() + " and " + argmax.shape());
        }
        if (z.dtype() != DType.F32 || !(z.isContiguous() || isChannelsLast(z) || isChannelMajor(z))) {
            throw new IllegalArgumentException(op + ": convolution output must be a contiguous, channels-last or"
                    + " channel-major float32 tensor, got " + z.dtype() + " " + z.shape() + " with strides "
                    + java.util.Arrays.toString(z.strides()));
        }
        checkFloat(op, "pooled", pooled);
        if (argmax.dtype() != DType.I32 || !(argmax.isContiguous() || isChannelsLast(argmax))) {
            throw new IllegalArgumentException(op + ": argmax must be a contiguous (or channels-last) int32 tensor,"
                    + " got " + argmax.dtype() + " " + argmax.shape());
        }
        checkBias(op, bias, z.dim(1));
    }

    /**
     * Whether {@code operands} (nulls skipped) are in the channels-last layout rather than contiguous
     * NCHW: false when all are contiguous, true when all are channels-last views of contiguous
     * {@code [N, H, W, C]} tensors (a tensor can be both, e.g. with one channel: either way reads it
     * alike); a refusal naming {@code op} when they mix the two.
     */
    static boolean channelsLast(String op, Tensor... operands) {
        boolean contiguous = true;
        boolean channelsLast = true;
        for (Tensor t : operands) {
            if (t != null) {
                contiguous &= t.isContiguous();
                channelsLast &= isChannelsLast(t);
            }
        }
        if (contiguous) {
            return false;
        }
        if (!channelsLast) {
            StringBuilder seen = new StringBuilder();
            for (Tensor t : operands) {
                if (t != null) {
                    seen.append(seen.isEmpty() ? "" : ", ").append(t.shape()).append(" strides ")
                            .append(java.util.Arrays.toString(t.strides()));
                }
            }
            throw new IllegalArgumentException(op + ": operands must be all contiguous or all channels-last"
                    + " (NHWC), got " + seen);
        }
        return true;
    }

    /** Whether {@code t} is four-dimensional and the {@code permute(0, 3, 1, 2)} view of a contiguous tensor. */
    static boolean isChannelsLast(Tensor t) {
        return t.rank() == 4 && t.permute(0, 2, 3, 1).isContiguous();
    }

    /**
     * Whether {@code t} is four-dimensional and the {@code permute(1, 0, 2, 3)} view of a contiguous
     * {@code [C, N, H, W]} tensor.
     */
    static boolean isChannelMajor(Tensor t) {
        return t.rank() == 4 && t.permute(1, 0, 2, 3).isContiguous();
    }

    /** Checks that {@code dPooled} is a contiguous (or channels-last) float32 tensor of {@code pooled}'s shape. */
    static void checkPooledGradient(String op, Tensor dPooled, Tensor pooled) {
        if (!dPooled.shape().equals(pooled.shape())) {
            throw new IllegalArgumentException(op + ": the pooled gradient " + dPooled.shape()
                    + " must have the shape of pooled " + pooled.shape());
        }
        checkFloat(op, "pooled gradient", dPooled);
    }

    /**
     * Checks the operands of {@link #biasRelu} and its backward: {@code a} and {@code b} of one
     * shape, rank 2 or 4, contiguous (or channels-last) float32; {@code bias [C]} (C = axis 1) or null.
     */
    static void checkRows(String op, String aName, Tensor a, String bName, Tensor b, Tensor bias) {
        if (a.rank() != 2 && a.rank() != 4) {
            throw new IllegalArgumentException(op + ": needs [N, C] or [N, C, H, W], got " + aName + " " + a.shape());
        }
        if (!a.shape().equals(b.shape())) {
            throw new IllegalArgumentException(op + ": " + aName + " " + a.shape() + " and " + bName + " "
                    + b.shape() + " must have the same shape");
        }
        checkFloat(op, aName, a);
        checkFloat(op, bName, b);
        checkBias(op, bias, a.dim(1));
    }

    private static void checkFloat(String op, String name, Tensor t) {
        boolean laidOut = t.isContiguous() || isChannelsLast(t);
        if (t.dtype() != DType.F32 || !laidOut) {
            throw new IllegalArgumentException(op + ": " + name + " must be a contiguous (or channels-last) float32"
                    + " tensor, got " + t.dtype() + " " + t.shape() + (laidOut ? "" : " (a strided view)"));
        }
    }

    private static void checkBias(String op, Tensor bias, int channels) {
        if (bias != null && (bias.rank() != 1 || bias.dim(0) != channels || bias.dtype() != DType.F32
                || !bias.isContiguous())) {
            throw new IllegalArgumentException(op + ": bias must be a contiguous float32 [" + channels + "], got "
                    + bias.dtype() + " " + bias.shape());
        }
    }
}
