package dev.strix.tensor.cpu;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * The batch-reduced SGEMM {@code C = alpha * sum_b A[b] * B[b] + beta * C} (a convolution's weight
 * gradient: one small product per sample, all summed into one matrix).
 *
 * <p>The sum over b is a longer sum over k: the packed panels of several batch entries are laid one
 * after another along k (up to {@link CpuGemm#KC} steps), so the micro-kernel runs one long
 * rank-update over them instead of many short ones. The batch is split between the cores; each
 * core sums its share into its own zero-padded partial matrix, and the partials are added into C
 * at the end, so no two cores ever write the same memory.
 */
final class GemmBatchSum {
    private static final ValueLayout.OfFloat FLOAT = ValueLayout.JAVA_FLOAT;
    private static final VectorSpecies<Float> SPECIES = GemmKernel.SPECIES;
    private static final int LANES = SPECIES.length();
    private static final int MR = GemmKernel.MR;
    private static final int NR = GemmKernel.NR;

    /** The calling thread's partial sums, one per task, sized on first use and then reused. */
    private static final ThreadLocal<float[][]> PARTIALS = ThreadLocal.withInitial(() -> new float[0][]);

    private GemmBatchSum() {
    }

    /** One operand: memory and the strides of its (batch, row, column) axes, in elements. */
    private record Operand(MemorySegment segment, long offset, long batchStride, long rowStride, long colStride) {
        long at(int batch, int row, int col) {
            return offset + batch * batchStride + row * rowStride + col * colStride;
        }

        Operand transposed() {
            return new Operand(segment, offset, batchStride, colStride, rowStride);
        }
    }

    static void gemmSum(int batch, int m, int n, int k, float alpha,
                        MemorySegment a, long aOffset, long aBatch, long aRow, long aCol,
                        MemorySegment b, long bOffset, long bBatch, long bRow, long bCol,
                        float beta, MemorySegment c, long cOffset, long cRow, long cCol) {
        if (m <= 0 || n <= 0) {
            return;
        }
        if (batch <= 0 || k <= 0 || alpha == 0f) {
            CpuGemm.scale(1, m, n, beta, c, cOffset, 0, cRow, cCol);
            return;
        }
        Operand oa = new Operand(a, aOffset, aBatch, aRow, aCol);
        Operand ob = new Operand(b, bOffset, bBatch, bRow, bCol);
        if (preferTransposed(m, n, k, oa, ob)) {
            // Sum C^T = B^T A^T instead. The partials are then transposed sums, which the final
            // add reads with swapped strides.
            run(batch, n, m, k, alpha, ob.transposed(), oa.transposed(), beta, c, cOffset, cCol, cRow);
        } else {
            run(batch, m, n, k, alpha, oa, ob, beta, c, cOffset, cRow, cCol);
        }
    }

    /**
     * Whether {@code C^T = B^T A^T} costs less: first by kernel lanes wasted on padding, then, on a
     * tie, by packing: every entry's A and B are packed once, and a B that is not row-major packs
     * through transposes, slower than the row copies of a row-major one, so the smaller operand
     * should be the one in that position. (A weight gradient {@code dZ[n] cols[n]^T} packs the
     * small {@code dZ^T} that way, not the columns.)
     */
    private static boolean preferTransposed(int m, int n, int k, Operand a, Operand b) {
        long straight = (long) CpuGemm.roundUp(m, MR) * CpuGemm.roundUp(n, NR);
        long swapped = (long) CpuGemm.roundUp(n, MR) * CpuGemm.roundUp(m, NR);
        if (swapped != straight) {
            return swapped < straight;
        }
        long slowStraight = b.colStride() == 1 ? 0 : (long) k * n;
        // Swapped, A^T is in B's place; its columns are contiguous where A's rows are.
        long slowSwapped = a.rowStride() == 1 ? 0 : (long) k * m;
        return slowSwapped < slowStraight;
    }

    private static void run(int batch, int m, int n, int k, float alpha, Operand a, Operand b, float beta,
                            MemorySegment c, long cOffset, long cRow, long cCol) {
        int mp = CpuGemm.roundUp(m, MR);
        int np = CpuGemm.roundUp(n, NR);
        double flops = 2.0 * m * n * k * batch;
        int tasks = (int) Math.max(1, Math.min(Math.min(CpuParallel.THREADS, batch),
                (long) (flops / CpuGemm.PARALLEL_FLOPS)));
        float[][] partials = partials(tasks, mp * np);
        CpuParallel.forRange(tasks, 1, (from, to) -> {
            for (long t = from; t < to; t++) {
                int first = (int) (t * batch / tasks);
                int last = (int) ((t + 1) * batch / tasks);
                float[] partial = partials[(int) t];
                CpuGemm.Workspace ws = CpuGemm.WORKSPACE.get();
                ws.sharedAPacked = false;
                Arrays.fill(partial, 0, mp * np, 0f);
                accumulate(ws, first, last, m, n, k, np, alpha, a, b, partial);
            }
        });
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                float sum = 0f;
                for (int t = 0; t < tasks; t++) {
                    sum += partials[t][i * np + j];
                }
                long at = cOffset + i * cRow + j * cCol;
                c.setAtIndex(FLOAT, at, beta == 0f ? sum : sum + beta * c.getAtIndex(FLOAT, at));
            }
        }
    }

    private static float[][] partials(int tasks, int size) {
        float[][] p = PARTIALS.get();
        if (p.length < tasks) {
            p = Arrays.copyOf(p, tasks);
            PARTIALS.set(p);
        }
        for (int t = 0; t < tasks; t++) {
            if (p[t] == null || p[t].length < size) {
                p[t] = new float[size];
            }
        }
        return p;
    }

    /**
     * Adds {@code sum over entries [first, last) of alpha * A[e] * B[e]} into {@code partial}
     * (row-major, {@code np} columns, zero-padded to whole tiles; alpha is folded into packed A).
     * Entries whose k is short are packed several to a panel; a long k is cut into blocks of at
     * most KC.
     */
    private static void accumulate(CpuGemm.Workspace ws, int first, int last, int m, int n, int k, int np,
                                   float alpha, Operand a, Operand b, float[] partial) {
        int group = Math.max(1, CpuGemm.KC / k);
        int kBlocks = CpuGemm.ceilDiv(k, CpuGemm.KC);
        int kcStep = CpuGemm.ceilDiv(k, kBlocks);
        int mcStep = CpuGemm.roundUp(CpuGemm.ceilDiv(m, CpuGemm.ceilDiv(m, CpuGemm.MC)), MR);
        for (int jc = 0; jc < n; jc += CpuGemm.NC) {
            int nc = Math.min(CpuGemm.NC, n - jc);
            for (int e = first; e < last; e += group) {
                int entries = Math.min(group, last - e);
                for (int pc = 0; pc < k; pc += kcStep) {
                    int kc = Math.min(kcStep, k - pc);
                    int depth = entries * kc;
                    float[] packedB = ws.packedB(CpuGemm.roundUp(nc, NR) * depth);
                    for (int q = 0; q < entries; q++) {
                        GemmPacking.packB(b.segment(), b.at(e + q, pc, jc), b.rowStride(), b.colStride(), kc, nc,
                                packedB, depth, q * kc);
                    }
                    float[] packedA = ws.packedA(mcStep * depth);
                    for (int ic = 0; ic < m; ic += mcStep) {
                        int mc = Math.min(mcStep, m - ic);
                        for (int q = 0; q < entries; q++) {
                            GemmPacking.packA(a.segment(), a.at(e + q, ic, pc), a.rowStride(), a.colStride(), mc,
                                    kc, alpha, packedA, depth, q * kc);
                        }
                        addBlock(ws.tile, packedA, packedB, mc, nc, depth, partial, ic * np + jc, np);
                    }
                }
            }
        }
    }

    /** {@code partial[block] += packedA * packedB}, one kernel tile at a time. */
    private static void addBlock(float[] tile, float[] packedA, float[] packedB, int mc, int nc, int kc,
                                 float[] partial, int at, int np) {
        for (int jr = 0; jr < nc; jr += NR) {
            for (int ir = 0; ir < mc; ir += MR) {
                GemmKernel.multiply(packedA, ir * kc, packedB, jr * kc, kc, tile, null, 0, 0);
                int corner = at + ir * np + jr;
                for (int r = 0; r < MR; r++) {
                    int row = corner + r * np;
                    for (int j = 0; j < NR; j += LANES) {
                        FloatVector.fromArray(SPECIES, tile, r * NR + j)
                                .add(FloatVector.fromArray(SPECIES, partial, row + j))
                                .intoArray(partial, row + j);
                    }
                }
            }
        }
    }
}
