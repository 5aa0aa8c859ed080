package dev.strix.tensor.spi;

import dev.strix.tensor.Tensor;
import java.util.Arrays;

/**
 * A reduction's input axes split into the kept ones, which index the output, and the reduced ones,
 * walked for each output element; every backend's {@link dev.strix.tensor.Reductions} starts here,
 * so all of them take the same outputs and refuse the same mistakes with the same words.
 *
 * <p>The output either drops the reduced axes or keeps them with size 1 (PyTorch's {@code keepdim}).
 *
 * @param keptDims         sizes of the kept axes, in input order
 * @param keptStridesX     the input's strides on those axes
 * @param keptStridesOut   the output's strides on the same axes
 * @param reducedDims      sizes of the reduced axes, in input order
 * @param reducedStridesX  the input's strides on them
 * @param outputCount      output elements (the product of {@code keptDims})
 * @param reducedCount     input elements per output element (the product of {@code reducedDims})
 */
public record ReductionAxes(int[] keptDims, long[] keptStridesX, long[] keptStridesOut, int[] reducedDims,
                            long[] reducedStridesX, long outputCount, long reducedCount) {

    /**
     * {@code x} reduced over {@code axes} (negative ones count from the end) into {@code out}, or an
     * {@link IllegalArgumentException} naming {@code what} when an axis is listed twice or {@code out}
     * has the wrong shape.
     */
    public static ReductionAxes of(String what, Tensor x, int[] axes, Tensor out) {
        int rank = x.rank();
        boolean[] reduced = new boolean[rank];
        for (int a : axes) {
            int n = x.shape().normalizeAxis(a);
            if (reduced[n]) {
                throw new IllegalArgumentException(what + ": axis " + a + " listed twice in " + Arrays.toString(axes));
            }
            reduced[n] = true;
        }
        int keptCount = rank - axes.length;
        boolean keepDims = out.rank() == rank && rank != keptCount;
        if (!keepDims && out.rank() != keptCount) {
            throw new IllegalArgumentException(what + ": output " + out.shape() + " does not match input " + x.shape()
                    + " reduced over axes " + Arrays.toString(axes));
        }
        int[] keptDims = new int[keptCount];
        long[] keptX = new long[keptCount];
        long[] keptOut = new long[keptCount];
        int[] reducedDims = new int[axes.length];
        long[] reducedX = new long[axes.length];
        long outputs = 1;
        long count = 1;
        for (int i = 0, k = 0, r = 0; i < rank; i++) {
            if (reduced[i]) {
                if (keepDims && out.dim(i) != 1) {
                    throw new IllegalArgumentException(what + ": output " + out.shape()
                            + " must have size 1 on reduced axis " + i + " of input " + x.shape());
                }
                reducedDims[r] = x.dim(i);
                reducedX[r++] = x.stride(i);
                count *= x.dim(i);
            } else {
                int outAxis = keepDims ? i : k;
                if (out.dim(outAxis) != x.dim(i)) {
                    throw new IllegalArgumentException(what + ": output " + out.shape() + " does not match input "
                            + x.shape() + " on kept axis " + i);
                }
                keptDims[k] = x.dim(i);
                keptX[k] = x.stride(i);
                keptOut[k++] = out.stride(outAxis);
                outputs *= x.dim(i);
            }
        }
        return new ReductionAxes(keptDims, keptX, keptOut, reducedDims, reducedX, outputs, count);
    }
}
