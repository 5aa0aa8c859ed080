package dev.strix.tensor.cpu;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * SGEMM over strided float32 matrices in off-heap memory:
 * {@code C[b] = alpha * A[b] * B[b] + beta * C[b]}, element (i, j) of a matrix at
 * {@code offset + batch * batchStride + i * rowStride + j * colStride}.
 *
 * <p>Reference implementation for now (straightforward triple loop, parallel over rows).
 */
final class CpuGemm {
    private static final ValueLayout.OfFloat FLOAT = ValueLayout.JAVA_FLOAT;

    private CpuGemm() {
    }

    static void gemm(int batch, int m, int n, int k, float alpha,
                     MemorySegment a, long aOffset, long aBatch, long aRow, long aCol,
                     MemorySegment b, long bOffset, long bBatch, long bRow, long bCol,
                     float beta, MemorySegment c, long cOffset, long cBatch, long cRow, long cCol) {
        CpuParallel.forRange((long) batch * m, Math.max(1, 4096 / Math.max(1, (long) n * k)), (from, to) -> {
            float[] row = new float[n];
            for (long bi = from; bi < to; bi++) {
                int s = (int) (bi / m);
                int i = (int) (bi % m);
                java.util.Arrays.fill(row, 0f);
                long aBase = aOffset + s * aBatch + i * aRow;
                long bBase = bOffset + s * bBatch;
                for (int p = 0; p < k; p++) {
                    float av = a.getAtIndex(FLOAT, aBase + p * aCol);
                    long bp = bBase + p * bRow;
                    for (int j = 0; j < n; j++) {
                        row[j] += av * b.getAtIndex(FLOAT, bp + j * bCol);
                    }
                }
                long cBase = cOffset + s * cBatch + i * cRow;
                for (int j = 0; j < n; j++) {
                    long at = cBase + j * cCol;
                    float prior = beta == 0f ? 0f : beta * c.getAtIndex(FLOAT, at);
                    c.setAtIndex(FLOAT, at, alpha * row[j] + prior);
                }
            }
        });
    }
}
