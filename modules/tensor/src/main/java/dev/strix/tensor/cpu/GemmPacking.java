package dev.strix.tensor.cpu;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * Copies blocks of A and B out of strided off-heap matrices into the order in which
 * {@link GemmKernel} streams them, so the kernel reads both operands sequentially from a Java array
 * whatever the layout (row-major, transposed, sliced with a step) of the source.
 *
 * <p>A block of A ({@code mc x kc}) becomes {@code ceil(mc / MR)} slivers of MR rows; sliver s
 * holds, for p = 0..kc-1, the MR values {@code A[s*MR + r][p]}. A block of B ({@code kc x nc})
 * becomes {@code ceil(nc / NR)} slivers of NR columns; sliver s holds, for each p, the NR values
 * {@code B[p][s*NR + j]}. Rows or columns past the block's edge are zero, so the kernel always
 * computes a full tile and the driver keeps only its valid part.
 */
final class GemmPacking {
    private static final ValueLayout.OfFloat FLOAT = ValueLayout.JAVA_FLOAT;
    private static final ByteOrder NATIVE = ByteOrder.nativeOrder();
    private static final int MR = GemmKernel.MR;
    private static final int NR = GemmKernel.NR;
    private static final int LANES = GemmKernel.SPECIES.length();
    /**
     * MR floats as one vector, for column-major slivers of A. (A constant species: one built with
     * VectorSpecies.of was not intrinsified and ran 25 times slower.)
     */
    private static final VectorSpecies<Float> SLIVER = FloatVector.SPECIES_256;
    /** Whether SLIVER holds exactly one sliver row and the hardware has vectors that wide. */
    private static final boolean VECTOR_SLIVERS =
            SLIVER.length() == MR && FloatVector.SPECIES_PREFERRED.vectorBitSize() >= SLIVER.vectorBitSize();

    private GemmPacking() {
    }

    /**
     * Packs {@code alpha * A[i][p]} for i in [0, mc), p in [0, kc), where A[i][p] is the element at
     * {@code base + i * rowStride + p * colStride}. Folding alpha in here saves a multiply per
     * element of C later.
     */
    static void packA(MemorySegment a, long base, long rowStride, long colStride,
                      int mc, int kc, float alpha, float[] dst) {
        for (int i0 = 0; i0 < mc; i0 += MR) {
            int rows = Math.min(MR, mc - i0);
            int sliver = i0 * kc;
            if (colStride == 1) {
                // Row-major A: read each row sequentially, write it with stride MR.
                for (int r = 0; r < rows; r++) {
                    long from = base + (i0 + r) * rowStride;
                    int to = sliver + r;
                    for (int p = 0; p < kc; p++) {
                        dst[to + p * MR] = alpha * a.getAtIndex(FLOAT, from + p);
                    }
                }
            } else if (rowStride == 1 && rows == MR && VECTOR_SLIVERS) {
                // Column-major (transposed) A: the sliver's MR rows are contiguous for every p.
                FloatVector alphas = FloatVector.broadcast(SLIVER, alpha);
                for (int p = 0; p < kc; p++) {
                    long from = (base + i0 + p * colStride) * Float.BYTES;
                    FloatVector.fromMemorySegment(SLIVER, a, from, NATIVE).mul(alphas).intoArray(dst, sliver + p * MR);
                }
            } else {
                // Any other strides: walk p outside, rows inside.
                for (int p = 0; p < kc; p++) {
                    long from = base + i0 * rowStride + p * colStride;
                    int to = sliver + p * MR;
                    for (int r = 0; r < rows; r++) {
                        dst[to + r] = alpha * a.getAtIndex(FLOAT, from + r * rowStride);
                    }
                }
            }
            if (rows < MR) {
                for (int p = 0; p < kc; p++) {
                    for (int r = rows; r < MR; r++) {
                        dst[sliver + p * MR + r] = 0f;
                    }
                }
            }
        }
    }

    /**
     * Packs B[p][j] for p in [0, kc), j in [0, nc), where B[p][j] is the element at
     * {@code base + p * rowStride + j * colStride}.
     */
    static void packB(MemorySegment b, long base, long rowStride, long colStride,
                      int kc, int nc, float[] dst) {
        for (int j0 = 0; j0 < nc; j0 += NR) {
            int cols = Math.min(NR, nc - j0);
            int sliver = j0 * kc;
            if (colStride == 1 && cols == NR) {
                // Row-major B, full sliver: NR contiguous floats per p, copied a vector at a time.
                for (int p = 0; p < kc; p++) {
                    long from = (base + p * rowStride + j0) * Float.BYTES;
                    int to = sliver + p * NR;
                    for (int v = 0; v < NR; v += LANES) {
                        FloatVector.fromMemorySegment(GemmKernel.SPECIES, b, from + (long) v * Float.BYTES, NATIVE)
                                .intoArray(dst, to + v);
                    }
                }
                continue;
            }
            if (rowStride == 1) {
                // Column-major (transposed) B: read each column sequentially, write it with stride NR.
                for (int j = 0; j < cols; j++) {
                    long from = base + (j0 + j) * colStride;
                    int to = sliver + j;
                    for (int p = 0; p < kc; p++) {
                        dst[to + p * NR] = b.getAtIndex(FLOAT, from + p);
                    }
                }
            } else {
                for (int p = 0; p < kc; p++) {
                    long from = base + p * rowStride + j0 * colStride;
                    int to = sliver + p * NR;
                    for (int j = 0; j < cols; j++) {
                        dst[to + j] = b.getAtIndex(FLOAT, from + j * colStride);
                    }
                }
            }
            if (cols < NR) {
                for (int p = 0; p < kc; p++) {
                    for (int j = cols; j < NR; j++) {
                        dst[sliver + p * NR + j] = 0f;
                    }
                }
            }
        }
    }
}
