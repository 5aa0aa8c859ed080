package dev.strix.tensor.cpu;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorSpecies;

/**
 * SGEMM over strided float32 matrices in off-heap memory:
 * {@code C[b] = alpha * A[b] * B[b] + beta * C[b]}, element (i, j) of a matrix at
 * {@code offset + batch * batchStride + i * rowStride + j * colStride} (any strides: transposed
 * views, slices with a step, batch stride 0 to reuse one matrix for every batch entry).
 *
 * <p>Blocked in the GotoBLAS / BLIS way so that every operand is read from the cache level it was
 * blocked for: a {@code KC x NC} panel of B is packed once (kept in L2/L3), an {@code MC x KC}
 * block of A is packed for each panel (kept in L2), and {@link GemmKernel} multiplies one
 * {@code MR}-row sliver of A by one {@code NR}-column sliver of B into an {@code MR x NR} tile of
 * C held in registers. Packing also turns any source layout into the kernel's one.
 *
 * <p>Work is split over the cores by (batch entry, MR-row sliver) or (batch entry, NR-column
 * sliver), whichever dimension has more slivers; problems under about a million flops run on the
 * calling thread, where starting a task would cost more than it saves.
 *
 * <p>The blocking sizes can be overridden for tuning with {@code -Dstrix.gemm.kc}, {@code .mc}
 * and {@code .nc}.
 */
final class CpuGemm {
    private static final ValueLayout.OfFloat FLOAT = ValueLayout.JAVA_FLOAT;
    private static final ByteOrder NATIVE = ByteOrder.nativeOrder();
    private static final VectorSpecies<Float> SPECIES = GemmKernel.SPECIES;
    private static final int LANES = SPECIES.length();
    private static final int MR = GemmKernel.MR;
    private static final int NR = GemmKernel.NR;
    /**
     * Depth of one rank-KC update. Deep blocks pay C's load and store (and the tile round trip)
     * over more multiply-adds: on Zen 4, 512 beat 256 by about 10% at 1024^3.
     */
    static final int KC = Integer.getInteger("strix.gemm.kc", 512);
    /** Rows of A packed at once (a multiple of MR): MC x KC floats (192 KiB) stay in L2. */
    static final int MC = roundUp(Integer.getInteger("strix.gemm.mc", 96), MR);
    /** Columns of B packed at once (a multiple of NR): KC x NC floats (4 MiB) stay in L3. */
    static final int NC = roundUp(Integer.getInteger("strix.gemm.nc", 2048), NR);
    /** Below this many flops a product runs on the calling thread. */
    static final long PARALLEL_FLOPS = 1L << 20;

    /** Packing buffers and the edge tile of one thread, sized on first use and then reused. */
    static final ThreadLocal<Workspace> WORKSPACE = ThreadLocal.withInitial(Workspace::new);

    private CpuGemm() {
    }

    /** One operand: its memory and the strides of its (batch, row, column) axes, in elements. */
    private record Matrix(MemorySegment segment, long offset, long batchStride, long rowStride, long colStride) {
        long at(int batch, int row, int col) {
            return offset + batch * batchStride + row * rowStride + col * colStride;
        }

        Matrix transposed() {
            return new Matrix(segment, offset, batchStride, colStride, rowStride);
        }
    }

    static final class Workspace {
        float[] packedA = new float[0];
        float[] packedB = new float[0];
        final float[] tile = new float[MR * NR];
        /**
         * The block of A now in {@link #packedA} when A is shared by every batch entry (batch
         * stride 0), so the next entry skips packing it again; valid within one product only.
         */
        boolean sharedAPacked;
        int sharedRow;
        int sharedDepth;
        int sharedRows;
        int sharedSteps;

        float[] packedA(int size) {
            if (packedA.length < size) {
                packedA = new float[size];
                sharedAPacked = false;
            }
            return packedA;
        }

        float[] packedB(int size) {
            if (packedB.length < size) {
                packedB = new float[size];
            }
            return packedB;
        }
    }

    static void gemm(int batch, int m, int n, int k, float alpha,
                     MemorySegment a, long aOffset, long aBatch, long aRow, long aCol,
                     MemorySegment b, long bOffset, long bBatch, long bRow, long bCol,
                     float beta, MemorySegment c, long cOffset, long cBatch, long cRow, long cCol) {
        if (batch <= 0 || m <= 0 || n <= 0) {
            return;
        }
        Matrix ma = new Matrix(a, aOffset, aBatch, aRow, aCol);
        Matrix mb = new Matrix(b, bOffset, bBatch, bRow, bCol);
        Matrix mc = new Matrix(c, cOffset, cBatch, cRow, cCol);
        if (k <= 0 || alpha == 0f) {
            scale(batch, m, n, beta, mc);
            return;
        }
        if (preferTransposed(m, n, mc)) {
            // C^T = B^T A^T: same memory, roles swapped, so the narrow side lands on the kernel's MR.
            run(batch, n, m, k, alpha, mb.transposed(), ma.transposed(), beta, mc.transposed());
        } else {
            run(batch, m, n, k, alpha, ma, mb, beta, mc);
        }
    }

    /**
     * Whether computing C^T wastes fewer kernel lanes on zero padding (e.g. an n = 9 product would
     * pad 9 columns to NR = 32, but only 9 rows to 16 as C^T), or, when both waste the same, makes
     * C's columns contiguous so tiles store with vector writes. A swap that would make contiguous
     * columns strided must save more than a quarter of the lanes: strided tiles store one element
     * at a time.
     */
    private static boolean preferTransposed(int m, int n, Matrix c) {
        long straight = (long) roundUp(m, MR) * roundUp(n, NR);
        long swapped = (long) roundUp(n, MR) * roundUp(m, NR);
        if (c.colStride() == 1 && c.rowStride() != 1) {
            return 4 * swapped < 3 * straight;
        }
        return swapped < straight || (swapped == straight && c.colStride() != 1 && c.rowStride() == 1);
    }

    private static void run(int batch, int m, int n, int k, float alpha, Matrix a, Matrix b, float beta, Matrix c) {
        int rowSlivers = ceilDiv(m, MR);
        int colSlivers = ceilDiv(n, NR);
        boolean splitRows = rowSlivers >= colSlivers;
        int units = splitRows ? rowSlivers : colSlivers;
        double flopsPerUnit = 2.0 * k * (splitRows ? (double) MR * n : (double) NR * m);
        long minUnits = (long) Math.ceil(PARALLEL_FLOPS / flopsPerUnit);
        CpuParallel.forRange((long) batch * units, minUnits, (from, to) -> {
            Workspace ws = WORKSPACE.get();
            ws.sharedAPacked = false;
            long u = from;
            while (u < to) {
                int entry = (int) (u / units);
                int first = (int) (u % units);
                int last = (int) Math.min(units, to - (long) entry * units);
                if (splitRows) {
                    block(ws, entry, first * MR, Math.min(m, last * MR), 0, n, k, a, b, c, alpha, beta);
                } else {
                    block(ws, entry, 0, m, first * NR, Math.min(n, last * NR), k, a, b, c, alpha, beta);
                }
                u += last - first;
            }
        });
    }

    /** C[rows, cols] of one batch entry, blocked over N (NC), K (KC) and M (MC). */
    private static void block(Workspace ws, int entry, int rowFrom, int rowTo, int colFrom, int colTo, int k,
                              Matrix a, Matrix b, Matrix c, float alpha, float beta) {
        int kBlocks = ceilDiv(k, KC);
        int kcStep = ceilDiv(k, kBlocks);
        int rows = rowTo - rowFrom;
        int mcStep = roundUp(ceilDiv(rows, ceilDiv(rows, MC)), MR);
        float[] packedA = ws.packedA(mcStep * kcStep);
        for (int jc = colFrom; jc < colTo; jc += NC) {
            int nc = Math.min(NC, colTo - jc);
            float[] packedB = ws.packedB(roundUp(nc, NR) * kcStep);
            for (int pc = 0; pc < k; pc += kcStep) {
                int kc = Math.min(kcStep, k - pc);
                GemmPacking.packB(b.segment(), b.at(entry, pc, jc), b.rowStride(), b.colStride(), kc, nc, packedB);
                // Later K blocks add to what the first one wrote.
                float betaNow = pc == 0 ? beta : 1f;
                for (int ic = rowFrom; ic < rowTo; ic += mcStep) {
                    int mc = Math.min(mcStep, rowTo - ic);
                    packA(ws, a, entry, ic, pc, mc, kc, alpha, packedA);
                    multiplyBlock(ws, packedA, packedB, mc, nc, kc, c, entry, ic, jc, betaNow);
                }
            }
        }
    }

    /** Packs a block of A, unless it is a shared A's block that the previous batch entry left packed. */
    private static void packA(Workspace ws, Matrix a, int entry, int ic, int pc, int mc, int kc, float alpha,
                              float[] packedA) {
        boolean shared = a.batchStride() == 0;
        if (shared && ws.sharedAPacked && ws.sharedRow == ic && ws.sharedDepth == pc && ws.sharedRows == mc
                && ws.sharedSteps == kc) {
            return;
        }
        GemmPacking.packA(a.segment(), a.at(entry, ic, pc), a.rowStride(), a.colStride(), mc, kc, alpha, packedA);
        ws.sharedAPacked = shared;
        ws.sharedRow = ic;
        ws.sharedDepth = pc;
        ws.sharedRows = mc;
        ws.sharedSteps = kc;
    }

    /** Runs the micro-kernel over every (MR x NR) tile of one packed A block times one packed B panel. */
    private static void multiplyBlock(Workspace ws, float[] packedA, float[] packedB, int mc, int nc, int kc,
                                      Matrix c, int entry, int ic, int jc, float beta) {
        boolean unitColumns = c.colStride() == 1;
        float[] tile = ws.tile;
        for (int jr = 0; jr < nc; jr += NR) {
            int nr = Math.min(NR, nc - jr);
            for (int ir = 0; ir < mc; ir += MR) {
                int mr = Math.min(MR, mc - ir);
                long at = c.at(entry, ic + ir, jc + jr);
                if (unitColumns && nr == NR && mr == MR && beta == 0f) {
                    GemmKernel.multiply(packedA, ir * kc, packedB, jr * kc, kc, null, c.segment(), at * Float.BYTES,
                            c.rowStride() * Float.BYTES);
                    continue;
                }
                GemmKernel.multiply(packedA, ir * kc, packedB, jr * kc, kc, tile, null, 0, 0);
                if (unitColumns && nr == NR) {
                    storeRows(tile, mr, c.segment(), at, c.rowStride(), beta);
                } else {
                    storeTile(tile, mr, nr, c, at, beta);
                }
            }
        }
    }

    /** {@code C = tile + beta * C} for full-width rows of unit-stride C, a vector at a time. */
    private static void storeRows(float[] tile, int mr, MemorySegment c, long at, long rowStride, float beta) {
        FloatVector betas = FloatVector.broadcast(SPECIES, beta);
        for (int r = 0; r < mr; r++) {
            long row = (at + r * rowStride) * Float.BYTES;
            for (int j = 0; j < NR; j += LANES) {
                FloatVector v = FloatVector.fromArray(SPECIES, tile, r * NR + j);
                long to = row + (long) j * Float.BYTES;
                if (beta != 0f) {
                    v = FloatVector.fromMemorySegment(SPECIES, c, to, NATIVE).fma(betas, v);
                }
                v.intoMemorySegment(c, to, NATIVE);
            }
        }
    }

    /**
     * Writes the valid {@code mr x nr} corner of a kernel tile into C: under a lane mask where C's
     * columns are contiguous, element by element otherwise.
     */
    private static void storeTile(float[] tile, int mr, int nr, Matrix c, long at, float beta) {
        MemorySegment cs = c.segment();
        if (c.colStride() == 1) {
            FloatVector betas = FloatVector.broadcast(SPECIES, beta);
            for (int j = 0; j < nr; j += LANES) {
                VectorMask<Float> valid = SPECIES.indexInRange(j, nr);
                for (int r = 0; r < mr; r++) {
                    long to = (at + r * c.rowStride() + j) * Float.BYTES;
                    FloatVector v = FloatVector.fromArray(SPECIES, tile, r * NR + j);
                    if (beta != 0f) {
                        v = FloatVector.fromMemorySegment(SPECIES, cs, to, NATIVE, valid).fma(betas, v);
                    }
                    v.intoMemorySegment(cs, to, NATIVE, valid);
                }
            }
            return;
        }
        for (int r = 0; r < mr; r++) {
            long row = at + r * c.rowStride();
            for (int j = 0; j < nr; j++) {
                long e = row + j * c.colStride();
                float v = tile[r * NR + j];
                cs.setAtIndex(FLOAT, e, beta == 0f ? v : v + beta * cs.getAtIndex(FLOAT, e));
            }
        }
    }

    /** {@code C = beta * C} (zero when beta is 0, even over NaN): the whole product when k or alpha is 0. */
    static void scale(int batch, int m, int n, float beta, MemorySegment cs, long offset, long batchStride,
                      long rowStride, long colStride) {
        scale(batch, m, n, beta, new Matrix(cs, offset, batchStride, rowStride, colStride));
    }

    private static void scale(int batch, int m, int n, float beta, Matrix c) {
        MemorySegment cs = c.segment();
        for (int s = 0; s < batch; s++) {
            for (int i = 0; i < m; i++) {
                for (int j = 0; j < n; j++) {
                    long e = c.at(s, i, j);
                    cs.setAtIndex(FLOAT, e, beta == 0f ? 0f : beta * cs.getAtIndex(FLOAT, e));
                }
            }
        }
    }

    static int ceilDiv(int a, int b) {
        return (a + b - 1) / b;
    }

    static int roundUp(int a, int multiple) {
        return ceilDiv(a, multiple) * multiple;
    }
}
