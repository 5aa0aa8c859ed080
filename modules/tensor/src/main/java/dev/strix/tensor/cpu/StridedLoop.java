package dev.strix.tensor.cpu;

import dev.strix.tensor.Tensor;

/**
 * Walks several same-shaped strided operands together, one innermost row at a time.
 *
 * <p>Axes of size 1 are dropped and neighbouring axes are merged whenever every operand steps
 * through them as one (stride[i] == stride[i+1] * dim[i+1]), so contiguous operands become a
 * single long row and the row kernel sees as few, as long rows as possible.
 */
final class StridedLoop {
    final int[] dims;          // merged dims; the last is the row length
    final long[][] strides;    // [operand][axis]
    final long[] offsets;      // [operand] base element offsets
    final long rows;           // number of rows (product of all dims but the last)
    final int rowLength;

    /** A row kernel: operand element offsets of the row start, and the row's stride per operand. */
    @FunctionalInterface
    interface Row {
        void run(long[] starts, int length, long[] rowStrides);
    }

    StridedLoop(int[] shape, long[][] operandStrides, long[] operandOffsets) {
        int n = operandStrides.length;
        int[] d = new int[shape.length];
        long[][] st = new long[n][shape.length];
        int r = 0;
        for (int axis = 0; axis < shape.length; axis++) {
            if (shape[axis] == 1) {
                continue;
            }
            if (r > 0 && mergeable(d[r - 1], st, r - 1, operandStrides, axis, shape[axis])) {
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
        if (r == 0) {
            d = new int[] {1};
            st = new long[n][1];
            r = 1;
        }
        this.dims = java.util.Arrays.copyOf(d, r);
        this.strides = new long[n][];
        for (int k = 0; k < n; k++) {
            this.strides[k] = java.util.Arrays.copyOf(st[k], r);
        }
        this.offsets = operandOffsets.clone();
        long rowCount = 1;
        for (int i = 0; i < r - 1; i++) {
            rowCount *= dims[i];
        }
        boolean empty = false;
        for (int s : shape) {
            empty |= s == 0;
        }
        this.rows = empty ? 0 : rowCount;
        this.rowLength = dims[r - 1];
    }

    /** Outer axis (dim outerDim) followed by inner axis (dim innerDim) can be merged when all operands agree. */
    private static boolean mergeable(int outerDim, long[][] st, int outerAxis, long[][] src, int innerAxis, int innerDim) {
        for (int k = 0; k < src.length; k++) {
            if (st[k][outerAxis] != src[k][innerAxis] * innerDim) {
                return false;
            }
        }
        return outerDim > 0;
    }

    static StridedLoop of(Tensor... operands) {
        int[] shape = operands[0].shape().dims();
        long[][] st = new long[operands.length][];
        long[] off = new long[operands.length];
        for (int k = 0; k < operands.length; k++) {
            if (!operands[k].shape().equals(operands[0].shape())) {
                throw new IllegalArgumentException("shape mismatch: " + operands[0].shape() + " vs " + operands[k].shape());
            }
            st[k] = operands[k].strides();
            off[k] = operands[k].offset();
        }
        return new StridedLoop(shape, st, off);
    }

    /** Runs {@code row} for rows {@code [fromRow, toRow)}. */
    void run(long fromRow, long toRow, Row row) {
        if (fromRow >= toRow) {
            return;
        }
        int n = offsets.length;
        int outer = dims.length - 1;
        int[] index = new int[Math.max(outer, 1)];
        long[] starts = new long[n];
        long[] rowStrides = new long[n];
        for (int k = 0; k < n; k++) {
            rowStrides[k] = strides[k][outer];
        }
        long rem = fromRow;
        for (int axis = outer - 1; axis >= 0; axis--) {
            index[axis] = (int) (rem % dims[axis]);
            rem /= dims[axis];
        }
        for (long r = fromRow; r < toRow; r++) {
            for (int k = 0; k < n; k++) {
                long s = offsets[k];
                for (int axis = 0; axis < outer; axis++) {
                    s += index[axis] * strides[k][axis];
                }
                starts[k] = s;
            }
            row.run(starts, rowLength, rowStrides);
            for (int axis = outer - 1; axis >= 0; axis--) {
                if (++index[axis] < dims[axis]) {
                    break;
                }
                index[axis] = 0;
            }
        }
    }

    /** Runs every row, split over the CPU workers when there is enough work. */
    void runParallel(Row row) {
        long work = rows * (long) rowLength;
        if (work < 1 << 15 || rows < 2) {
            run(0, rows, row);
            return;
        }
        long minRows = Math.max(1, (1 << 14) / Math.max(1, rowLength));
        CpuParallel.forRange(rows, minRows, (from, to) -> run(from, to, row));
    }
}
