package dev.strix.cuda;

import dev.strix.tensor.Tensor;
import java.util.Arrays;

/**
 * Same-shaped strided operands walked together, prepared for the strided kernels: axes of size 1
 * are dropped and neighbouring axes are merged wherever every operand steps through them as one
 * ({@code stride[a] == stride[a+1] * dim[a+1]}), so contiguous operands become rank 1 and up to
 * {@link KernelParams#MAX_RANK} axes remain for the kernel's index arithmetic.
 */
final class StridedLayout {
    final int rank;
    final int[] dims;
    final long[][] strides;   // [operand][axis]
    final long[] offsets;     // [operand]
    final long size;

    private StridedLayout(int rank, int[] dims, long[][] strides, long[] offsets, long size) {
        this.rank = rank;
        this.dims = dims;
        this.strides = strides;
        this.offsets = offsets;
        this.size = size;
    }

    /** The merged walk of {@code operands}, which must all have the same shape. */
    static StridedLayout of(String what, Tensor... operands) {
        int[] shape = operands[0].shape().dims();
        long[][] st = new long[operands.length][];
        long[] off = new long[operands.length];
        for (int k = 0; k < operands.length; k++) {
            if (!operands[k].shape().equals(operands[0].shape())) {
                throw new IllegalArgumentException(what + ": shape " + operands[k].shape() + " does not match "
                        + operands[0].shape());
            }
            st[k] = operands[k].strides();
            off[k] = operands[k].offset();
        }
        return of(what, shape, st, off);
    }

    static StridedLayout of(String what, int[] shape, long[][] operandStrides, long[] offsets) {
        int n = operandStrides.length;
        int[] d = new int[shape.length];
        long[][] st = new long[n][shape.length];
        long size = 1;
        int r = 0;
        for (int axis = 0; axis < shape.length; axis++) {
            size *= shape[axis];
            if (shape[axis] == 1) {
                continue;
            }
            if (r > 0 && mergeable(st, r - 1, operandStrides, axis, shape[axis])) {
                d[r - 1] *= shape[axis];
                for (int k = 0; k < n; k++) {
                    st[k][r - 1] = operandStrides[k][axis];
                }
                continue;
            }
            d[r] = shape[axis];
            for (int k = 0; k < n; k++) {
                st[k][r] = operandStrides[k][axis];
            }
            r++;
        }
        if (r > KernelParams.MAX_RANK) {
            throw new IllegalArgumentException(what + ": shape " + Arrays.toString(shape) + " still has " + r
                    + " axes after merging, more than the CUDA kernels' " + KernelParams.MAX_RANK);
        }
        long[][] trimmed = new long[n][];
        for (int k = 0; k < n; k++) {
            trimmed[k] = Arrays.copyOf(st[k], r);
        }
        return new StridedLayout(r, Arrays.copyOf(d, r), trimmed, offsets.clone(), size);
    }

    /**
     * The walk over {@code out} for an op that maps planes to planes ({@code pad}, {@code dilate}):
     * the leading axes, which {@code in} and {@code out} share, merged as in {@link #of}; the last two
     * axes kept as they are (they differ in size between the two, so each operand's strides for them
     * apply to its own rows and columns). Both tensors have rank 2 or more and the same leading axes.
     */
    static StridedLayout planes(String what, Tensor in, Tensor out) {
        int rank = out.rank();
        int lead = rank - 2;
        int[] leading = Arrays.copyOf(out.shape().dims(), lead);
        long[][] st = {Arrays.copyOf(in.strides(), lead), Arrays.copyOf(out.strides(), lead)};
        StridedLayout merged = of(what, leading, st, new long[] {in.offset(), out.offset()});
        int r = merged.rank + 2;
        if (r > KernelParams.MAX_RANK) {
            throw new IllegalArgumentException(what + ": shape " + out.shape() + " still has " + r
                    + " axes after merging, more than the CUDA kernels' " + KernelParams.MAX_RANK);
        }
        int[] dims = Arrays.copyOf(merged.dims, r);
        dims[r - 2] = out.dim(-2);
        dims[r - 1] = out.dim(-1);
        long[][] strides = new long[2][];
        Tensor[] operands = {in, out};
        for (int k = 0; k < 2; k++) {
            strides[k] = Arrays.copyOf(merged.strides[k], r);
            strides[k][r - 2] = operands[k].stride(-2);
            strides[k][r - 1] = operands[k].stride(-1);
        }
        return new StridedLayout(r, dims, strides, merged.offsets, out.size());
    }

    private static boolean mergeable(long[][] st, int outer, long[][] src, int inner, int innerDim) {
        for (int k = 0; k < src.length; k++) {
            if (st[k][outer] != src[k][inner] * innerDim) {
                return false;
            }
        }
        return true;
    }

    /** Element index of linear (row-major) element {@code i} in operand {@code k}: the kernels' arithmetic. */
    long elementIndex(int k, long i) {
        long at = offsets[k];
        for (int a = rank - 1; a >= 0; a--) {
            at += (i % dims[a]) * strides[k][a];
            i /= dims[a];
        }
        return at;
    }

    /** Appends the StridedShape parameter. */
    KernelParams shapeTo(KernelParams p) {
        return p.shape(rank, dims);
    }

    /** Appends operand {@code k}'s StridedView parameter. */
    KernelParams viewTo(KernelParams p, int k) {
        return p.view(offsets[k], rank, strides[k]);
    }
}
