package dev.strix.tensor.cpu;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * The SGEMM micro-kernel: an 8 x 2-vector block of C held in registers while it sums
 * {@code kc} rank-1 updates, {@code C[r][j] += A[r][p] * B[p][j]}, from packed slivers of A
 * (8 values per step p) and B (2 vectors per step p).
 *
 * <p>The 16 accumulators are plain locals so that C2 keeps every one in a vector register:
 * each step loads the B row once and broadcasts each A value once, then issues
 * 16 independent fused multiply-adds, enough to hide the FMA latency. On one Zen 4 core
 * (512-bit FMAs issued as 2 x 256 bits: 32 flops a cycle) it sustains about 115 GFLOP/s with
 * its operands in cache, close to that core's peak at its boost clock.
 */
final class GemmKernel {
    static final VectorSpecies<Float> SPECIES = FloatVector.SPECIES_PREFERRED;
    /** Rows of C per micro-tile. */
    static final int MR = 8;
    /** Columns of C per micro-tile. */
    static final int NR = 2 * SPECIES.length();
    private static final int LANES = SPECIES.length();
    private static final long VECTOR_BYTES = (long) LANES * Float.BYTES;
    private static final ByteOrder NATIVE = ByteOrder.nativeOrder();

    private GemmKernel() {
    }

    /**
     * Multiplies the MR-row sliver of packed A at {@code aAt} by the NR-column sliver of packed B
     * at {@code bAt} over {@code kc} steps. With {@code c == null} the MR x NR product goes,
     * row-major, to {@code tile}; otherwise it overwrites the C tile whose first element is at
     * byte offset {@code cAt} of {@code c}, rows {@code cRowBytes} apart, columns contiguous.
     * (Adding {@code beta * C} happens outside, from the tile: inlining it here too pushes the
     * method past C2's node budget, and then the accumulators get boxed.)
     */
    static void multiply(float[] a, int aAt, float[] b, int bAt, int kc, float[] tile,
                         MemorySegment c, long cAt, long cRowBytes) {
        FloatVector c00 = FloatVector.zero(SPECIES), c01 = FloatVector.zero(SPECIES);
        FloatVector c10 = FloatVector.zero(SPECIES), c11 = FloatVector.zero(SPECIES);
        FloatVector c20 = FloatVector.zero(SPECIES), c21 = FloatVector.zero(SPECIES);
        FloatVector c30 = FloatVector.zero(SPECIES), c31 = FloatVector.zero(SPECIES);
        FloatVector c40 = FloatVector.zero(SPECIES), c41 = FloatVector.zero(SPECIES);
        FloatVector c50 = FloatVector.zero(SPECIES), c51 = FloatVector.zero(SPECIES);
        FloatVector c60 = FloatVector.zero(SPECIES), c61 = FloatVector.zero(SPECIES);
        FloatVector c70 = FloatVector.zero(SPECIES), c71 = FloatVector.zero(SPECIES);
        for (int p = 0; p < kc; p++) {
            int ap = aAt + p * MR;
            int bp = bAt + p * NR;
            FloatVector b0 = FloatVector.fromArray(SPECIES, b, bp);
            FloatVector b1 = FloatVector.fromArray(SPECIES, b, bp + LANES);
            FloatVector a0 = FloatVector.broadcast(SPECIES, a[ap]);
            c00 = a0.fma(b0, c00); c01 = a0.fma(b1, c01);
            FloatVector a1 = FloatVector.broadcast(SPECIES, a[ap + 1]);
            c10 = a1.fma(b0, c10); c11 = a1.fma(b1, c11);
            FloatVector a2 = FloatVector.broadcast(SPECIES, a[ap + 2]);
            c20 = a2.fma(b0, c20); c21 = a2.fma(b1, c21);
            FloatVector a3 = FloatVector.broadcast(SPECIES, a[ap + 3]);
            c30 = a3.fma(b0, c30); c31 = a3.fma(b1, c31);
            FloatVector a4 = FloatVector.broadcast(SPECIES, a[ap + 4]);
            c40 = a4.fma(b0, c40); c41 = a4.fma(b1, c41);
            FloatVector a5 = FloatVector.broadcast(SPECIES, a[ap + 5]);
            c50 = a5.fma(b0, c50); c51 = a5.fma(b1, c51);
            FloatVector a6 = FloatVector.broadcast(SPECIES, a[ap + 6]);
            c60 = a6.fma(b0, c60); c61 = a6.fma(b1, c61);
            FloatVector a7 = FloatVector.broadcast(SPECIES, a[ap + 7]);
            c70 = a7.fma(b0, c70); c71 = a7.fma(b1, c71);
        }
        if (c == null) {
            c00.intoArray(tile, 0); c01.intoArray(tile, LANES);
            c10.intoArray(tile, NR); c11.intoArray(tile, NR + LANES);
            c20.intoArray(tile, 2 * NR); c21.intoArray(tile, 2 * NR + LANES);
            c30.intoArray(tile, 3 * NR); c31.intoArray(tile, 3 * NR + LANES);
            c40.intoArray(tile, 4 * NR); c41.intoArray(tile, 4 * NR + LANES);
            c50.intoArray(tile, 5 * NR); c51.intoArray(tile, 5 * NR + LANES);
            c60.intoArray(tile, 6 * NR); c61.intoArray(tile, 6 * NR + LANES);
            c70.intoArray(tile, 7 * NR); c71.intoArray(tile, 7 * NR + LANES);
            return;
        }
        c00.intoMemorySegment(c, cAt, NATIVE); c01.intoMemorySegment(c, cAt + VECTOR_BYTES, NATIVE);
        c10.intoMemorySegment(c, cAt + cRowBytes, NATIVE); c11.intoMemorySegment(c, cAt + cRowBytes + VECTOR_BYTES, NATIVE);
        c20.intoMemorySegment(c, cAt + 2 * cRowBytes, NATIVE); c21.intoMemorySegment(c, cAt + 2 * cRowBytes + VECTOR_BYTES, NATIVE);
        c30.intoMemorySegment(c, cAt + 3 * cRowBytes, NATIVE); c31.intoMemorySegment(c, cAt + 3 * cRowBytes + VECTOR_BYTES, NATIVE);
        c40.intoMemorySegment(c, cAt + 4 * cRowBytes, NATIVE); c41.intoMemorySegment(c, cAt + 4 * cRowBytes + VECTOR_BYTES, NATIVE);
        c50.intoMemorySegment(c, cAt + 5 * cRowBytes, NATIVE); c51.intoMemorySegment(c, cAt + 5 * cRowBytes + VECTOR_BYTES, NATIVE);
        c60.intoMemorySegment(c, cAt + 6 * cRowBytes, NATIVE); c61.intoMemorySegment(c, cAt + 6 * cRowBytes + VECTOR_BYTES, NATIVE);
        c70.intoMemorySegment(c, cAt + 7 * cRowBytes, NATIVE); c71.intoMemorySegment(c, cAt + 7 * cRowBytes + VECTOR_BYTES, NATIVE);
    }

    /**
     * The same 8 x 2-vector tile with A read in place instead of from a packed sliver: step p of
     * row r is {@code a[rows[rowAt + r] + steps[stepAt + p]]}. That is how implicit-GEMM
     * convolution reads a window element of a padded image (row offset: where the window sits;
     * step offset: which element of the window), so the column matrix is never built. The tile
     * goes to {@code c} from {@code cAt}, rows {@code cRow} apart, added to what is there when
     * {@code accumulate}.
     */
    static void multiplyGathered(float[] a, int[] rows, int rowAt, int[] steps, int stepAt, int kc,
                                 float[] b, int bAt, float[] c, int cAt, int cRow, boolean accumulate) {
        int r0 = rows[rowAt], r1 = rows[rowAt + 1], r2 = rows[rowAt + 2], r3 = rows[rowAt + 3];
        int r4 = rows[rowAt + 4], r5 = rows[rowAt + 5], r6 = rows[rowAt + 6], r7 = rows[rowAt + 7];
        FloatVector c00 = FloatVector.zero(SPECIES), c01 = FloatVector.zero(SPECIES);
        FloatVector c10 = FloatVector.zero(SPECIES), c11 = FloatVector.zero(SPECIES);
        FloatVector c20 = FloatVector.zero(SPECIES), c21 = FloatVector.zero(SPECIES);
        FloatVector c30 = FloatVector.zero(SPECIES), c31 = FloatVector.zero(SPECIES);
        FloatVector c40 = FloatVector.zero(SPECIES), c41 = FloatVector.zero(SPECIES);
        FloatVector c50 = FloatVector.zero(SPECIES), c51 = FloatVector.zero(SPECIES);
        FloatVector c60 = FloatVector.zero(SPECIES), c61 = FloatVector.zero(SPECIES);
        FloatVector c70 = FloatVector.zero(SPECIES), c71 = FloatVector.zero(SPECIES);
        for (int p = 0; p < kc; p++) {
            int s = steps[stepAt + p];
            int bp = bAt + p * NR;
            FloatVector b0 = FloatVector.fromArray(SPECIES, b, bp);
            FloatVector b1 = FloatVector.fromArray(SPECIES, b, bp + LANES);
            FloatVector a0 = FloatVector.broadcast(SPECIES, a[s + r0]);
            c00 = a0.fma(b0, c00); c01 = a0.fma(b1, c01);
            FloatVector a1 = FloatVector.broadcast(SPECIES, a[s + r1]);
            c10 = a1.fma(b0, c10); c11 = a1.fma(b1, c11);
            FloatVector a2 = FloatVector.broadcast(SPECIES, a[s + r2]);
            c20 = a2.fma(b0, c20); c21 = a2.fma(b1, c21);
            FloatVector a3 = FloatVector.broadcast(SPECIES, a[s + r3]);
            c30 = a3.fma(b0, c30); c31 = a3.fma(b1, c31);
            FloatVector a4 = FloatVector.broadcast(SPECIES, a[s + r4]);
            c40 = a4.fma(b0, c40); c41 = a4.fma(b1, c41);
            FloatVector a5 = FloatVector.broadcast(SPECIES, a[s + r5]);
            c50 = a5.fma(b0, c50); c51 = a5.fma(b1, c51);
            FloatVector a6 = FloatVector.broadcast(SPECIES, a[s + r6]);
            c60 = a6.fma(b0, c60); c61 = a6.fma(b1, c61);
            FloatVector a7 = FloatVector.broadcast(SPECIES, a[s + r7]);
            c70 = a7.fma(b0, c70); c71 = a7.fma(b1, c71);
        }
        if (accumulate) {
            c00 = c00.add(FloatVector.fromArray(SPECIES, c, cAt)); c01 = c01.add(FloatVector.fromArray(SPECIES, c, cAt + LANES));
            c10 = c10.add(FloatVector.fromArray(SPECIES, c, cAt + cRow)); c11 = c11.add(FloatVector.fromArray(SPECIES, c, cAt + cRow + LANES));
            c20 = c20.add(FloatVector.fromArray(SPECIES, c, cAt + 2 * cRow)); c21 = c21.add(FloatVector.fromArray(SPECIES, c, cAt + 2 * cRow + LANES));
            c30 = c30.add(FloatVector.fromArray(SPECIES, c, cAt + 3 * cRow)); c31 = c31.add(FloatVector.fromArray(SPECIES, c, cAt + 3 * cRow + LANES));
            c40 = c40.add(FloatVector.fromArray(SPECIES, c, cAt + 4 * cRow)); c41 = c41.add(FloatVector.fromArray(SPECIES, c, cAt + 4 * cRow + LANES));
            c50 = c50.add(FloatVector.fromArray(SPECIES, c, cAt + 5 * cRow)); c51 = c51.add(FloatVector.fromArray(SPECIES, c, cAt + 5 * cRow + LANES));
            c60 = c60.add(FloatVector.fromArray(SPECIES, c, cAt + 6 * cRow)); c61 = c61.add(FloatVector.fromArray(SPECIES, c, cAt + 6 * cRow + LANES));
            c70 = c70.add(FloatVector.fromArray(SPECIES, c, cAt + 7 * cRow)); c71 = c71.add(FloatVector.fromArray(SPECIES, c, cAt + 7 * cRow + LANES));
        }
        c00.intoArray(c, cAt); c01.intoArray(c, cAt + LANES);
        c10.intoArray(c, cAt + cRow); c11.intoArray(c, cAt + cRow + LANES);
        c20.intoArray(c, cAt + 2 * cRow); c21.intoArray(c, cAt + 2 * cRow + LANES);
        c30.intoArray(c, cAt + 3 * cRow); c31.intoArray(c, cAt + 3 * cRow + LANES);
        c40.intoArray(c, cAt + 4 * cRow); c41.intoArray(c, cAt + 4 * cRow + LANES);
        c50.intoArray(c, cAt + 5 * cRow); c51.intoArray(c, cAt + 5 * cRow + LANES);
        c60.intoArray(c, cAt + 6 * cRow); c61.intoArray(c, cAt + 6 * cRow + LANES);
        c70.intoArray(c, cAt + 7 * cRow); c71.intoArray(c, cAt + 7 * cRow + LANES);
    }
}
