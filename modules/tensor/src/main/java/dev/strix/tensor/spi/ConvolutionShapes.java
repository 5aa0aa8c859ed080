package dev.strix.tensor.spi;

import dev.strix.tensor.Tensor;

/**
 * The shape rules of the {@link dev.strix.tensor.Convolution} ops (pad, unpad, dilate, correlate,
 * im2col, col2im), shared by every backend so that all of them refuse the same calls with the same words.
 * Only shapes and sizes are checked here; each backend checks data type, ownership and layout itself.
 */
public final class ConvolutionShapes {
    private ConvolutionShapes() {
    }

    /** Borders of pad and unpad: none negative. */
    public static void borders(String op, int top, int bottom, int left, int right) {
        if (top < 0 || bottom < 0 || left < 0 || right < 0) {
            throw new IllegalArgumentException(op + ": borders must not be negative, got top " + top + ", bottom "
                    + bottom + ", left " + left + ", right " + right);
        }
    }

    /** Dilation strides: both positive. */
    public static void dilation(int strideH, int strideW) {
        if (strideH < 1 || strideW < 1) {
            throw new IllegalArgumentException("dilate: strides must be positive, got " + strideH + "x" + strideW);
        }
    }

    /** {@code out} has {@code x}'s leading axes and the given last two sizes; else a message naming both shapes. */
    public static void planes(String op, Tensor x, Tensor out, int expectedH, int expectedW) {
        boolean ok = x.rank() >= 2 && out.rank() == x.rank() && out.dim(-2) == expectedH && out.dim(-1) == expectedW;
        for (int a = 0; ok && a < x.rank() - 2; a++) {
            ok = x.dim(a) == out.dim(a);
        }
        if (!ok || expectedH < 0 || expectedW < 0) {
            throw new IllegalArgumentException(op + ": input " + x.shape() + " needs an output with last two axes "
                    + expectedH + "x" + expectedW + " and the same leading axes, got " + out.shape());
        }
    }

    /** im2col and col2im: image {@code [N, C, H, W]}, columns {@code [N, C, KH, KW, OH, OW]}, sane geometry. */
    public static void columns(String op, Tensor input, int strideH, int strideW, int padTop, int padLeft,
                               Tensor columns) {
        if (input.rank() != 4 || columns.rank() != 6 || columns.dim(0) != input.dim(0)
                || columns.dim(1) != input.dim(1)) {
            throw new IllegalArgumentException(op + ": image must be [N, C, H, W] and columns [N, C, KH, KW, OH, OW]"
                    + " with the same N and C, got image " + input.shape() + " and columns " + columns.shape());
        }
        if (strideH < 1 || strideW < 1 || padTop < 0 || padLeft < 0) {
            throw new IllegalArgumentException(op + ": strides must be positive and padding not negative, got stride "
                    + strideH + "x" + strideW + ", padding top " + padTop + ", left " + padLeft);
        }
    }

    /**
     * Where im2col's column element {@code (n, tap, y, x)} lies, {@code tap = (c*KH + i)*KW + j}: at
     * {@code offset + n * sampleStride + tap * tapStride + y*OW + x}. The two layouts the ops take:
     * contiguous {@code [N, C, KH, KW, OH, OW]} (a {@code [C*KH*KW, OH*OW]} matrix per image), or the
     * {@code permute(3, 0, 1, 2, 4, 5)} view of a contiguous {@code [C, KH, KW, N, OH, OW]} tensor
     * (one {@code [C*KH*KW, N*OH*OW]} matrix for the whole batch).
     */
    public record ColumnLayout(long sampleStride, long tapStride) {
        /** The layout of {@code columns} {@code [N, C, KH, KW, OH, OW]}, or a refusal naming {@code op}. */
        public static ColumnLayout of(String op, Tensor columns) {
            long plane = (long) columns.dim(4) * columns.dim(5);
            if (columns.isContiguous()) {
                return new ColumnLayout((long) columns.dim(1) * columns.dim(2) * columns.dim(3) * plane, plane);
            }
            if (isBatchMatrix(columns)) {
                return new ColumnLayout(plane, columns.dim(0) * plane);
            }
            throw new IllegalArgumentException(op + ": columns must be contiguous [N, C, KH, KW, OH, OW] or a view of"
                    + " a contiguous [C, KH, KW, N, OH, OW] tensor, got " + columns.shape() + " with strides "
                    + java.util.Arrays.toString(columns.strides()));
        }

        /** Whether 6-D {@code columns} is the {@code [N, C, KH, KW, OH, OW]} view of a contiguous {@code [C, KH, KW, N, OH, OW]}. */
        public static boolean isBatchMatrix(Tensor columns) {
            return columns.rank() == 6 && columns.permute(1, 2, 3, 0, 4, 5).isContiguous();
        }
    }

    /** correlate: windows {@code [A, C, Y, X, I, J]}, kernels {@code [B, C, I, J]}, output {@code [A, B, Y, X]}. */
    public static void correlation(Tensor windows, Tensor kernels, Tensor out) {
        if (windows.rank() != 6 || kernels.rank() != 4 || out.rank() != 4
                || out.dim(0) != windows.dim(0) || kernels.dim(1) != windows.dim(1)
                || out.dim(2) != windows.dim(2) || out.dim(3) != windows.dim(3)
                || kernels.dim(2) != windows.dim(4) || kernels.dim(3) != windows.dim(5)
                || out.dim(1) != kernels.dim(0)) {
            throw new IllegalArgumentException("correlate needs windows [A, C, Y, X, I, J], kernels [B, C, I, J] and"
                    + " output [A, B, Y, X], got windows " + windows.shape() + ", kernels " + kernels.shape()
                    + ", output " + out.shape());
        }
    }
}
