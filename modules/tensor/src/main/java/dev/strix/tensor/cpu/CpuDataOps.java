package dev.strix.tensor.cpu;

import dev.strix.tensor.DType;
import dev.strix.tensor.DataOps;
import dev.strix.tensor.Shape;
import dev.strix.tensor.Tensor;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * The reference {@link DataOps}: one task per range of images, the arithmetic written out in the
 * float32 order the interface fixes (mirrored operation for operation by cuda-src/gather.cu and
 * augment.cu, and equal to dev.strix.data's host-side batcher).
 */
final class CpuDataOps implements DataOps {
    private final CpuBackend backend;

    CpuDataOps(CpuBackend backend) {
        this.backend = backend;
    }

    @Override
    public void gatherImages(Tensor dataset, Tensor indices, float mean, float std, Tensor out) {
        Geometry g = check("gatherImages", dataset, indices, out);
        MemorySegment src = dataset.storage().segment();
        MemorySegment idx = indices.storage().segment();
        MemorySegment dst = out.storage().segment();
        long srcBase = dataset.offset();
        long idxBase = indices.offset();
        long dstBase = out.offset();
        int size = g.rows * g.cols;
        CpuParallel.forRange(g.n, Math.max(1, 4096 / size), (from, to) -> {
            for (long i = from; i < to; i++) {
                long s = srcBase + (long) index(idx, idxBase, i, g.count, "gatherImages") * size;
                long d = dstBase + i * size;
                for (int p = 0; p < size; p++) {
                    float pixel = Byte.toUnsignedInt(src.get(ValueLayout.JAVA_BYTE, s + p));
                    dst.setAtIndex(ValueLayout.JAVA_FLOAT, d + p, normalise(pixel, mean, std));
                }
            }
        });
    }

    @Override
    public void gatherLabels(Tensor labels, Tensor indices, Tensor out) {
        backend.requireHere(labels, "gatherLabels labels");
        backend.requireHere(indices, "gatherLabels indices");
        backend.requireHere(out, "gatherLabels output");
        DataOps.checkLabelGather(labels, indices, out);
        MemorySegment src = labels.storage().segment();
        MemorySegment idx = indices.storage().segment();
        MemorySegment dst = out.storage().segment();
        int count = labels.dim(0);
        for (int i = 0; i < indices.dim(0); i++) {
            int at = index(idx, indices.offset(), i, count, "gatherLabels");
            dst.setAtIndex(ValueLayout.JAVA_INT, out.offset() + i,
                    Byte.toUnsignedInt(src.get(ValueLayout.JAVA_BYTE, labels.offset() + at)));
        }
    }

    @Override
    public void affineSample(Tensor dataset, Tensor indices, Tensor matrices, float mean, float std, Tensor out) {
        Geometry g = check("affineSample", dataset, indices, out);
        backend.requireHere(matrices, "affineSample matrices");
        matrices.requireDType(DType.F32, "affineSample matrices");
        if (!matrices.shape().equals(Shape.of(g.n, 6)) || !matrices.isContiguous()) {
            throw new IllegalArgumentException("affineSample: matrices must be contiguous [" + g.n + ", 6], got " + matrices);
        }
        MemorySegment src = dataset.storage().segment();
        MemorySegment idx = indices.storage().segment();
        MemorySegment mat = matrices.storage().segment();
        MemorySegment dst = out.storage().segment();
        long srcBase = dataset.offset();
        long idxBase = indices.offset();
        long matBase = matrices.offset();
        long dstBase = out.offset();
        int rows = g.rows;
        int cols = g.cols;
        int size = rows * cols;
        CpuParallel.forRange(g.n, Math.max(1, 1024 / size), (from, to) -> {
            for (long i = from; i < to; i++) {
                long s = srcBase + (long) index(idx, idxBase, i, g.count, "affineSample") * size;
                long m = matBase + 6 * i;
                float m0 = mat.getAtIndex(ValueLayout.JAVA_FLOAT, m);
                float m1 = mat.getAtIndex(ValueLayout.JAVA_FLOAT, m + 1);
                float m2 = mat.getAtIndex(ValueLayout.JAVA_FLOAT, m + 2);
                float m3 = mat.getAtIndex(ValueLayout.JAVA_FLOAT, m + 3);
                float m4 = mat.getAtIndex(ValueLayout.JAVA_FLOAT, m + 4);
                float m5 = mat.getAtIndex(ValueLayout.JAVA_FLOAT, m + 5);
                long d = dstBase + i * size;
                for (int y = 0; y < rows; y++) {
                    for (int x = 0; x < cols; x++) {
                        float sx = m0 * x + m1 * y + m2;
                        float sy = m3 * x + m4 * y + m5;
                        float v = bilinear(src, s, rows, cols, sx, sy);
                        dst.setAtIndex(ValueLayout.JAVA_FLOAT, d + (long) y * cols + x, normalise(v, mean, std));
                    }
                }
            }
        });
    }

    /** The bilinear sample at (sx, sy) of the image at {@code s}; 0 outside (and for NaN positions). */
    private static float bilinear(MemorySegment src, long s, int rows, int cols, float sx, float sy) {
        float fx = (float) Math.floor(sx);
        float fy = (float) Math.floor(sy);
        float ax = sx - fx;
        float ay = sy - fy;
        if (!(fx >= -1f && fx < cols && fy >= -1f && fy < rows)) {
            return 0f;
        }
        int x0 = (int) fx;
        int y0 = (int) fy;
        float p00 = pixel(src, s, rows, cols, x0, y0);
        float p01 = pixel(src, s, rows, cols, x0 + 1, y0);
        float p10 = pixel(src, s, rows, cols, x0, y0 + 1);
        float p11 = pixel(src, s, rows, cols, x0 + 1, y0 + 1);
        return (p00 * (1f - ax) + p01 * ax) * (1f - ay) + (p10 * (1f - ax) + p11 * ax) * ay;
    }

    private static float pixel(MemorySegment src, long s, int rows, int cols, int x, int y) {
        if (x < 0 || x >= cols || y < 0 || y >= rows) {
            return 0f;
        }
        return Byte.toUnsignedInt(src.get(ValueLayout.JAVA_BYTE, s + (long) y * cols + x));
    }

    static float normalise(float pixel, float mean, float std) {
        return (pixel / 255f - mean) / std;
    }

    private static int index(MemorySegment idx, long base, long i, int count, String op) {
        int at = idx.getAtIndex(ValueLayout.JAVA_INT, base + i);
        if (at < 0 || at >= count) {
            throw new IllegalArgumentException(op + ": index " + at + " at position " + i
                    + " is outside the dataset of " + count + " images");
        }
        return at;
    }

    private record Geometry(int count, int rows, int cols, int n) {
    }

    private Geometry check(String op, Tensor dataset, Tensor indices, Tensor out) {
        backend.requireHere(dataset, op + " dataset");
        backend.requireHere(indices, op + " indices");
        backend.requireHere(out, op + " output");
        return geometry(op, dataset, indices, out);
    }

    /** The shared operand checks ({@link DataOps#checkImageGather}); returns the sizes. */
    static Geometry geometry(String op, Tensor dataset, Tensor indices, Tensor out) {
        DataOps.checkImageGather(op, dataset, indices, out);
        return new Geometry(dataset.dim(0), dataset.dim(1), dataset.dim(2), indices.dim(0));
    }
}
