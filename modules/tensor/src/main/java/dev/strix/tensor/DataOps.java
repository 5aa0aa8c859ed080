package dev.strix.tensor;

/**
 * Batch assembly from a dataset that lives on the backend as raw uint8 images: a batch is a list
 * of image indices, and each op gathers, converts and (for {@link #affineSample}) augments those
 * images in one pass, so a GPU never waits for the host inside an epoch.
 *
 * <p>Operands: {@code dataset} uint8 {@code [count, rows, cols]}, {@code indices} int32 {@code [n]}
 * (each in {@code [0, count)}), {@code out} float32 {@code [n, 1, rows, cols]}; all contiguous. The
 * pixel conversion is {@code (p / 255 - mean) / std} in float32, each operation rounded on its own
 * (no fused multiply-add), so every backend gives the same floats as the CPU.
 */
public interface DataOps {
    /** {@code out[i, 0, y, x] = (dataset[indices[i], y, x] / 255 - mean) / std}. */
    void gatherImages(Tensor dataset, Tensor indices, float mean, float std, Tensor out);

    /** {@code out[i] = labels[indices[i]]} for uint8 {@code labels [count]} into int32 {@code out [n]}. */
    void gatherLabels(Tensor labels, Tensor indices, Tensor out);

    /**
     * Image {@code indices[i]} moved by the affine map in row {@code i} of {@code matrices}
     * (float32 {@code [n, 6]}), bilinearly sampled with zero fill, then converted as in
     * {@link #gatherImages}. The matrix maps each OUTPUT pixel (x, y) to the SOURCE position
     * {@code sx = m0*x + m1*y + m2}, {@code sy = m3*x + m4*y + m5}; with {@code x0 = floor(sx)},
     * {@code ax = sx - x0} (likewise y) the value is
     * <pre>
     *   v = (p(x0, y0) (1 - ax) + p(x0+1, y0) ax) (1 - ay) + (p(x0, y0+1) (1 - ax) + p(x0+1, y0+1) ax) ay
     * </pre>
     * where pixels outside the image read 0, every product and sum rounded to float32 in this
     * order. The identity matrix reproduces {@link #gatherImages} exactly.
     */
    void affineSample(Tensor dataset, Tensor indices, Tensor matrices, float mean, float std, Tensor out);

    /**
     * The operand checks of {@link #gatherImages} and {@link #affineSample} (called {@code op} in
     * messages) that every backend shares; each backend adds its own check that the tensors live
     * on it.
     */
    static void checkImageGather(String op, Tensor dataset, Tensor indices, Tensor out) {
        dataset.requireDType(DType.U8, op + " dataset");
        indices.requireDType(DType.I32, op + " indices");
        out.requireDType(DType.F32, op + " output");
        if (dataset.rank() != 3 || indices.rank() != 1 || !dataset.isContiguous() || !indices.isContiguous()) {
            throw new IllegalArgumentException(op + " needs a contiguous uint8 dataset [count, rows, cols] and int32"
                    + " indices [n], got " + dataset + " and " + indices);
        }
        Shape expected = Shape.of(indices.dim(0), 1, dataset.dim(1), dataset.dim(2));
        if (!out.shape().equals(expected) || !out.isContiguous()) {
            throw new IllegalArgumentException(op + ": output must be contiguous " + expected + " for indices "
                    + indices.shape() + " into dataset " + dataset.shape() + ", got " + out);
        }
    }

    /** The operand checks of {@link #gatherLabels} that every backend shares. */
    static void checkLabelGather(Tensor labels, Tensor indices, Tensor out) {
        labels.requireDType(DType.U8, "gatherLabels labels");
        indices.requireDType(DType.I32, "gatherLabels indices");
        out.requireDType(DType.I32, "gatherLabels output");
        if (labels.rank() != 1 || indices.rank() != 1 || !out.shape().equals(indices.shape())
                || !labels.isContiguous() || !indices.isContiguous() || !out.isContiguous()) {
            throw new IllegalArgumentException("gatherLabels needs contiguous labels [count], indices [n] and output [n],"
                    + " got " + labels + ", " + indices + " and " + out);
        }
    }
}
