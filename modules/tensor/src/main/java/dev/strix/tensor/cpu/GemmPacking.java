package dev.strix.tensor.cpu;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
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

    /** Whether {@link #transposeRows} applies: 8-row slivers and 16-lane vectors (AVX-512). */
    static final boolean TRANSPOSE_8X16 = MR == 8 && LANES == 16;
    private static final FloatVector LOW_1 = interleave(1, false);
    private static final FloatVector HIGH_1 = interleave(1, true);
    private static final FloatVector LOW_2 = interleave(2, false);
    private static final FloatVector HIGH_2 = interleave(2, true);
    private static final FloatVector LOW_4 = interleave(4, false);
    private static final FloatVector HIGH_4 = interleave(4, true);

    /** Scratch space for packing, two arrays per thread. */
    private static final ThreadLocal<float[][]> SCRATCH = ThreadLocal.withInitial(() -> new float[2][0]);

    private GemmPacking() {
    }

    /**
     * Packs {@code alpha * A[i][p]} for i in [0, mc), p in [0, kc), where A[i][p] is the element at
     * {@code base + i * rowStride + p * colStride}. Folding alpha in here saves a multiply per
     * element of C later.
     */
    static void packA(MemorySegment a, long base, long rowStride, long colStride,
                      int mc, int kc, float alpha, float[] dst) {
        packA(a, base, rowStride, colStride, mc, kc, alpha, dst, kc, 0);
    }

    /**
     * {@link #packA(MemorySegment, long, long, long, int, int, float, float[])} into steps
     * {@code [p0, p0 + kc)} of slivers {@code depth} steps deep: several matrices packed one after
     * another along k, as the batch-reduced product sums them.
     */
    static void packA(MemorySegment a, long base, long rowStride, long colStride,
                      int mc, int kc, float alpha, float[] dst, int depth, int p0) {
        for (int i0 = 0; i0 < mc; i0 += MR) {
            int rows = Math.min(MR, mc - i0);
            int sliver = i0 * depth + p0 * MR;
            if (colStride == 1 && rows == MR && TRANSPOSE_8X16 && kc >= LANES) {
                transposeRows(a, base + i0 * rowStride, rowStride, kc, alpha, dst, sliver);
            } else if (colStride == 1) {
                // Row-major A, a partial sliver (or short k): each row copied in bulk to the heap,
                // then written with stride MR.
                float[] row = scratch(0, kc);
                for (int r = 0; r < rows; r++) {
                    MemorySegment.copy(a, FLOAT, (base + (i0 + r) * rowStride) * Float.BYTES, row, 0, kc);
                    int to = sliver + r;
                    for (int p = 0; p < kc; p++) {
                        dst[to + p * MR] = alpha * row[p];
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
     * One full sliver of row-major A, {@code dst[sliver + p * MR + r] = alpha * A[r][p]}: 8 rows of
     * 16 values at a time are loaded as 8 vectors and transposed in registers (three rounds of
     * two-vector interleaves) into 8 vectors of (2 steps x 8 rows), about 2.5 times faster than
     * moving the 128 floats one by one.
     */
    static void transposeRows(MemorySegment a, long first, long rowStride, int kc, float alpha,
                                      float[] dst, int sliver) {
        long row = first * Float.BYTES;
        long rs = rowStride * Float.BYTES;
        FloatVector alphas = FloatVector.broadcast(GemmKernel.SPECIES, alpha);
        FloatVector lo1 = LOW_1;
        FloatVector hi1 = HIGH_1;
        FloatVector lo2 = LOW_2;
        FloatVector hi2 = HIGH_2;
        FloatVector lo4 = LOW_4;
        FloatVector hi4 = HIGH_4;
        int p = 0;
        for (; p <= kc - LANES; p += LANES) {
            long at = row + (long) p * Float.BYTES;
            // Rows are loaded in bit-reversed order (0 4 2 6 1 5 3 7): three interleave rounds
            // bit-reverse the row order, so the output comes back in natural order.
            FloatVector v0 = load(a, at);
            FloatVector v1 = load(a, at + 4 * rs);
            FloatVector v2 = load(a, at + 2 * rs);
            FloatVector v3 = load(a, at + 6 * rs);
            FloatVector v4 = load(a, at + rs);
            FloatVector v5 = load(a, at + 5 * rs);
            FloatVector v6 = load(a, at + 3 * rs);
            FloatVector v7 = load(a, at + 7 * rs);
            FloatVector a0 = lo1.selectFrom(v0, v4);
            FloatVector a1 = hi1.selectFrom(v0, v4);
            FloatVector a2 = lo1.selectFrom(v1, v5);
            FloatVector a3 = hi1.selectFrom(v1, v5);
            FloatVector a4 = lo1.selectFrom(v2, v6);
            FloatVector a5 = hi1.selectFrom(v2, v6);
            FloatVector a6 = lo1.selectFrom(v3, v7);
            FloatVector a7 = hi1.selectFrom(v3, v7);
            FloatVector b0 = lo2.selectFrom(a0, a4);
            FloatVector b1 = hi2.selectFrom(a0, a4);
            FloatVector b2 = lo2.selectFrom(a1, a5);
            FloatVector b3 = hi2.selectFrom(a1, a5);
            FloatVector b4 = lo2.selectFrom(a2, a6);
            FloatVector b5 = hi2.selectFrom(a2, a6);
            FloatVector b6 = lo2.selectFrom(a3, a7);
            FloatVector b7 = hi2.selectFrom(a3, a7);
            int to = sliver + p * MR;
            lo4.selectFrom(b0, b4).mul(alphas).intoArray(dst, to);
            hi4.selectFrom(b0, b4).mul(alphas).intoArray(dst, to + LANES);
            lo4.selectFrom(b1, b5).mul(alphas).intoArray(dst, to + 2 * LANES);
            hi4.selectFrom(b1, b5).mul(alphas).intoArray(dst, to + 3 * LANES);
            lo4.selectFrom(b2, b6).mul(alphas).intoArray(dst, to + 4 * LANES);
            hi4.selectFrom(b2, b6).mul(alphas).intoArray(dst, to + 5 * LANES);
            lo4.selectFrom(b3, b7).mul(alphas).intoArray(dst, to + 6 * LANES);
            hi4.selectFrom(b3, b7).mul(alphas).intoArray(dst, to + 7 * LANES);
        }
        // The last kc % 16 steps: each row's tail copied in bulk to the heap, then interleaved
        // there (element-wise segment reads here cost more than all the vector work above).
        int tail = kc - p;
        if (tail > 0) {
            float[] rows = scratch(1, MR * tail);
            for (int r = 0; r < MR; r++) {
                MemorySegment.copy(a, FLOAT, (first + r * rowStride + p) * Float.BYTES, rows, r * tail, tail);
            }
            for (int q = 0; q < tail; q++) {
                int to = sliver + (p + q) * MR;
                for (int r = 0; r < MR; r++) {
                    dst[to + r] = alpha * rows[r * tail + q];
                }
            }
        }
    }

    /**
     * This thread's scratch array number {@code slot}, at least {@code size} long. Slot 1 is
     * {@link #transposeRows}'s own, since its callers may hand it slot 0 as the destination.
     */
    private static float[] scratch(int slot, int size) {
        float[][] all = SCRATCH.get();
        if (all[slot].length < size) {
            all[slot] = new float[size];
        }
        return all[slot];
    }

    private static FloatVector load(MemorySegment a, long byteOffset) {
        return FloatVector.fromMemorySegment(GemmKernel.SPECIES, a, byteOffset, NATIVE);
    }

    /**
     * Lane indices for {@code index.selectFrom(x, y)} (lanes 0-15 pick from x, 16-31 from y) that
     * interleave units of {@code unit} lanes of x and y, from their low ({@code high == false})
     * or high halves.
     */
    private static FloatVector interleave(int unit, boolean high) {
        float[] index = new float[LANES];
        int half = LANES / unit / 2;
        for (int lane = 0; lane < LANES; lane++) {
            int outUnit = lane / unit;
            int source = outUnit % 2;
            int sourceUnit = outUnit / 2 + (high ? half : 0);
            index[lane] = source * LANES + sourceUnit * unit + lane % unit;
        }
        return FloatVector.fromArray(GemmKernel.SPECIES, index, 0);
    }

    /**
     * {@code kc} rows of one full vector each, from {@code b} at {@code first} (bytes), rows
     * {@code rowBytes} apart, into {@code dst} from {@code to}, rows NR apart. Its own small method,
     * as is the masked one: inlined into the large {@link #packB} loop, the segment loads missed
     * C2's intrinsics and fell back to Java code that allocates an array per vector.
     */
    private static void copyRows(MemorySegment b, long first, long rowBytes, int kc, float[] dst, int to) {
        for (int p = 0; p < kc; p++) {
            FloatVector.fromMemorySegment(GemmKernel.SPECIES, b, first + p * rowBytes, NATIVE).intoArray(dst, to + p * NR);
        }
    }

    /** {@link #copyRows} for the first {@code count} lanes (fewer than a vector; the rest is zero). */
    private static void copyRowsMasked(MemorySegment b, long first, long rowBytes, int kc, int count, float[] dst,
                                       int to) {
        VectorMask<Float> valid = GemmKernel.SPECIES.indexInRange(0, count);
        for (int p = 0; p < kc; p++) {
            FloatVector.fromMemorySegment(GemmKernel.SPECIES, b, first + p * rowBytes, NATIVE, valid)
                    .intoArray(dst, to + p * NR);
        }
    }

    /**
     * Packs B[p][j] for p in [0, kc), j in [0, nc), where B[p][j] is the element at
     * {@code base + p * rowStride + j * colStride}.
     */
    static void packB(MemorySegment b, long base, long rowStride, long colStride,
                      int kc, int nc, float[] dst) {
        packB(b, base, rowStride, colStride, kc, nc, dst, kc, 0);
    }

    /** {@link #packB(MemorySegment, long, long, long, int, int, float[])} into steps [p0, p0 + kc) of {@code depth}. */
    static void packB(MemorySegment b, long base, long rowStride, long colStride,
                      int kc, int nc, float[] dst, int depth, int p0) {
        for (int j0 = 0; j0 < nc; j0 += NR) {
            int cols = Math.min(NR, nc - j0);
            int sliver = j0 * depth + p0 * NR;
            if (colStride == 1) {
                // Row-major B: NR contiguous floats per p, copied a vector at a time; a narrow edge
                // sliver loads under a mask, which also writes its zero padding.
                for (int v = 0; v < NR; v += LANES) {
                    long first = (base + j0 + v) * Float.BYTES;
                    if (v + LANES <= cols) {
                        copyRows(b, first, rowStride * Float.BYTES, kc, dst, sliver + v);
                    } else {
                        copyRowsMasked(b, first, rowStride * Float.BYTES, kc, Math.max(0, cols - v), dst, sliver + v);
                    }
                }
                continue;
            }
            if (rowStride == 1) {
                int done = 0;
                if (TRANSPOSE_8X16 && kc >= LANES) {
                    // Column-major (transposed) B, eight columns at a time: the register transpose
                    // of transposeRows makes them one sliver of MR = 8 values per step, whose
                    // 8-float rows are then moved into place NR apart.
                    float[] eight = scratch(0, kc * MR);
                    for (; done + MR <= cols; done += MR) {
                        transposeRows(b, base + (j0 + done) * colStride, colStride, kc, 1f, eight, 0);
                        for (int p = 0; p < kc; p++) {
                            FloatVector.fromArray(SLIVER, eight, p * MR).intoArray(dst, sliver + p * NR + done);
                        }
                    }
                }
                // Remaining columns: each copied in bulk to the heap, then written with stride NR by
                // a plain array loop (no per-element segment checks).
                float[] column = scratch(0, kc);
                for (int j = done; j < cols; j++) {
                    MemorySegment.copy(b, FLOAT, (base + (j0 + j) * colStride) * Float.BYTES, column, 0, kc);
                    int to = sliver + j;
                    for (int p = 0; p < kc; p++) {
                        dst[to + p * NR] = column[p];
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
