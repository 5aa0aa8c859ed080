package dev.strix.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.strix.tensor.Backend;
import dev.strix.tensor.Backends;
import dev.strix.tensor.Tensor;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * {@link CudaBlas#gemmBatchSum} when its per-sample products do not fit its budget at once: groups
 * of samples, beta applied by the first group only, against the CPU's sum over the whole batch.
 * Skipped, with the reason, where there is no GPU.
 */
class CudaBlasTest {
    private Backend cuda;

    private CudaBlas gpuBlas() {
        cuda = CudaTestSupport.cudaOrSkip("cuBLAS batch-sum tests");
        return (CudaBlas) cuda.blas();
    }

    private static float[] random(SplittableRandom r, int n) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = (float) (r.nextDouble() * 2 - 1);
        }
        return v;
    }

    @Test
    void aBatchSumInGroupsEqualsTheWholeBatchSum() {
        CudaBlas blas = gpuBlas();
        Backend cpu = Backends.cpu();
        SplittableRandom r = new SplittableRandom(9);
        int batch = 7;
        int m = 5;
        int n = 6;
        int k = 4;
        float[] a = random(r, batch * k * m);   // [batch, k, m], used transposed
        float[] b = random(r, batch * k * n);   // [batch, k, n]
        float[] c = random(r, m * n);
        for (int perGroup : new int[] {1, 2, 3, batch}) {
            blas.batchSumBudget((long) perGroup * m * n);
            try (Tensor ga = Tensor.of(cuda, a, batch, k, m); Tensor gb = Tensor.of(cuda, b, batch, k, n);
                 Tensor gc = Tensor.of(cuda, c, m, n); Tensor ca = Tensor.of(cpu, a, batch, k, m);
                 Tensor cb = Tensor.of(cpu, b, batch, k, n); Tensor cc = Tensor.of(cpu, c, m, n)) {
                blas.gemmBatchSum(true, false, 0.5f, ga, gb, 0.25f, gc);
                cpu.blas().gemmBatchSum(true, false, 0.5f, ca, cb, 0.25f, cc);
                float[] expected = cc.toFloatArray();
                float[] actual = gc.toFloatArray();
                for (int i = 0; i < expected.length; i++) {
                    assertEquals(expected[i], actual[i], 1e-5f, perGroup + " samples a group, element " + i);
                }
            } finally {
                blas.batchSumBudget(CudaBlas.BATCH_SUM_BUDGET);
            }
        }
    }

    @Test
    void warpsSplitTheBatchAboutEightSamplesEachUpToSixteen() {
        assertEquals(1, CudaBlas.batchSumSplits(1));
        assertEquals(1, CudaBlas.batchSumSplits(8));
        assertEquals(2, CudaBlas.batchSumSplits(9));
        assertEquals(13, CudaBlas.batchSumSplits(100));
        assertEquals(16, CudaBlas.batchSumSplits(128));
        assertEquals(16, CudaBlas.batchSumSplits(1024));
    }

    @Test
    void aBatchSplitBetweenWarpsEqualsTheCpuSumAndRepeatsToTheBit() {
        CudaBlas blas = gpuBlas();
        Backend cpu = Backends.cpu();
        SplittableRandom r = new SplittableRandom(10);
        // 100 samples: 13 warps of about 8 samples; 5 x 7 = 35 elements: a second, partial group of 32 lanes.
        int batch = 100;
        int m = 5;
        int n = 7;
        int k = 3;
        float[] a = random(r, batch * m * k);   // [batch, m, k]
        float[] b = random(r, batch * n * k);   // [batch, n, k], used transposed
        try (Tensor ga = Tensor.of(cuda, a, batch, m, k); Tensor gb = Tensor.of(cuda, b, batch, n, k);
             Tensor gc = Tensor.zeros(cuda, dev.strix.tensor.DType.F32, m, n);
             Tensor again = Tensor.zeros(cuda, dev.strix.tensor.DType.F32, m, n);
             Tensor ca = Tensor.of(cpu, a, batch, m, k); Tensor cb = Tensor.of(cpu, b, batch, n, k);
             Tensor cc = Tensor.zeros(cpu, dev.strix.tensor.DType.F32, m, n)) {
            blas.gemmBatchSum(false, true, 1f, ga, gb, 0f, gc);
            blas.gemmBatchSum(false, true, 1f, ga, gb, 0f, again);
            cpu.blas().gemmBatchSum(false, true, 1f, ca, cb, 0f, cc);
            float[] expected = cc.toFloatArray();
            float[] actual = gc.toFloatArray();
            for (int i = 0; i < expected.length; i++) {
                assertEquals(expected[i], actual[i], 1e-5f * Math.max(1f, Math.abs(expected[i])), "element " + i);
            }
            org.junit.jupiter.api.Assertions.assertArrayEquals(actual, again.toFloatArray(), "the same bits every run");
        }
    }
}
