package dev.strix.cuda;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.strix.tensor.Backend;
import dev.strix.tensor.BiasReluEpilogue;
import dev.strix.tensor.DType;
import dev.strix.tensor.Tensor;
import java.util.Arrays;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The CUDA bias + ReLU epilogue beyond the shared conformance suite: how channels are cut into
 * slices (pure Java, runs everywhere), and on the GPU the sliced bias gradients, odd trailing rows and
 * columns, views with an offset, aliasing and run-to-run determinism, against naive loops written
 * here. The GPU parts skip, with the reason, where there is no GPU.
 */
class CudaBiasReluEpilogueTest {
    private final SplittableRandom random = new SplittableRandom(11);

    @Test
    void denseLayersGetABlockPerChannelAndBigConvolutionsAreSlicedToFillTheGpu() {
        assertEquals(1, CudaBiasReluEpilogue.slices(128, 1024), "dense [1024, 128]");
        assertEquals(1, CudaBiasReluEpilogue.slices(10, 128), "dense [128, 10]");
        assertEquals(128, CudaBiasReluEpilogue.slices(32, 1024L * 26 * 26), "conv [1024, 32, 26, 26]: 4096 blocks");
        assertEquals(85, CudaBiasReluEpilogue.slices(32, 1024L * 13 * 13), "its pooled gradient: 173056 / 2048 terms");
        assertEquals(43, CudaBiasReluEpilogue.slices(32, 128L * 26 * 26), "[128, 32, 26, 26]: 86528 / 2048 terms");
        assertEquals(1, CudaBiasReluEpilogue.slices(5000, 1L << 30), "more channels than target blocks");
        assertEquals(1, CudaBiasReluEpilogue.slices(1, 0), "nothing to sum");
        assertEquals(CudaBiasReluEpilogue.TARGET_BLOCKS, CudaBiasReluEpilogue.slices(1, Long.MAX_VALUE / 2));
    }

    @Test
    void forwardGridsGiveAThreadPerElementUpToTheTarget() {
        assertEquals(1, CudaBiasReluEpilogue.gridFor(0));
        assertEquals(1, CudaBiasReluEpilogue.gridFor(CudaKernels.THREADS));
        assertEquals(2, CudaBiasReluEpilogue.gridFor(CudaKernels.THREADS + 1));
        assertEquals(CudaBiasReluEpilogue.TARGET_BLOCKS, CudaBiasReluEpilogue.gridFor(1024L * 32 * 26 * 26));
    }

    @Test
    void slicedSumsNeverOutgrowTheWorkspaceNorCutSmallChannels() {
        for (long channels = 1; channels <= 5000; channels = channels * 3 + 1) {
            for (long terms = 0; terms <= 1L << 32; terms = terms * 5 + 7) {
                int s = CudaBiasReluEpilogue.slices(channels, terms);
                assertTrue(s >= 1, "at least one slice");
                assertTrue(s == 1 || channels * s <= CudaBiasReluEpilogue.TARGET_BLOCKS,
                        channels + " channels x " + s + " slices overflow the partials");
                assertTrue(s == 1 || terms > (s - 1) * CudaBiasReluEpilogue.MIN_TERMS_PER_BLOCK,
                        terms + " terms cut into " + s + " slices");
            }
        }
    }

    private float[] values(int n, int range) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) {
            a[i] = random.nextInt(-range, range + 1) / 4f;   // quarters: many ties and exact zeros
        }
        return a;
    }

    /**
     * {@code data} after one sample of filler, as a tensor one sample larger than {@code dims}: its
     * {@link #view} is {@code data} at an offset, as a batch slice is.
     */
    private static Tensor padded(Backend b, float[] data, int... dims) {
        int[] bigger = dims.clone();
        bigger[0]++;
        int sample = data.length / dims[0];
        float[] padded = new float[data.length + sample];
        Arrays.fill(padded, 0, sample, 123f);
        System.arraycopy(data, 0, padded, sample, data.length);
        return Tensor.of(b, padded, bigger);
    }

    private static Tensor view(Tensor padded) {
        return padded.slice(0, 1, padded.dim(0));
    }

    private static double[] biasSums(float[] grad, int n, int c, int pixels) {
        double[] db = new double[c];
        for (int i = 0; i < n * c * pixels; i++) {
            db[i / pixels % c] += grad[i];
        }
        return db;
    }

    private static void assertSums(double[] expected, float[] actual, String what) {
        assertEquals(expected.length, actual.length, what);
        for (int c = 0; c < expected.length; c++) {
            assertEquals(expected[c], actual[c], 1e-6 * Math.max(1, Math.abs(expected[c])), what + " [" + c + "]");
        }
    }

    /** Forward and backward of {@code [n, c, h, w]} (or {@code [n, c]} when h == 0) against loops. */
    private void biasReluMatchesTheLoops(Backend cuda, int n, int c, int h, int w) {
        BiasReluEpilogue e = cuda.biasReluEpilogue().orElseThrow();
        int pixels = h == 0 ? 1 : h * w;
        int[] dims = h == 0 ? new int[] {n, c} : new int[] {n, c, h, w};
        int size = n * c * pixels;
        float[] z = values(size, 12);
        float[] bias = values(c, 8);
        float[] dy = values(size, 40);
        float[] y = new float[size];
        float[] dz = new float[size];
        for (int i = 0; i < size; i++) {
            float v = z[i] + bias[i / pixels % c];
            y[i] = v > 0 ? v : 0;
            dz[i] = y[i] > 0 ? dy[i] : 0;
        }
        try (Tensor pz = padded(cuda, z, dims); Tensor tb = Tensor.of(cuda, bias, c);
             Tensor ty = Tensor.zeros(cuda, DType.F32, dims); Tensor pdy = padded(cuda, dy, dims);
             Tensor tdz = Tensor.zeros(cuda, DType.F32, dims); Tensor tdb = Tensor.zeros(cuda, DType.F32, c)) {
            Tensor tz = view(pz);
            Tensor tdy = view(pdy);
            e.biasRelu(tz, tb, ty);
            assertArrayEquals(y, ty.toFloatArray(), "y");
            e.biasRelu(tz, null, tz);                  // in place, no bias
            float[] relu = z.clone();
            for (int i = 0; i < size; i++) {
                relu[i] = Math.max(0, z[i]);
            }
            assertArrayEquals(relu, tz.toFloatArray(), "max(0, z) in place");
            assertEquals(123f, pz.toFloatArray()[0], "the element before the view is not touched");
            e.biasReluBackward(ty, tdy, tdz, null);
            assertArrayEquals(dz, tdz.toFloatArray(), "dz without a bias gradient");
            e.biasReluBackward(ty, tdy, tdy, tdb);     // dz aliases dy
            assertArrayEquals(dz, tdy.toFloatArray(), "dz");
            float[] first = tdb.toFloatArray();
            assertSums(biasSums(dz, n, c, pixels), first, "db");
            tdy.copyFrom(dy);
            e.biasReluBackward(ty, tdy, tdy, tdb);
            assertArrayEquals(first, tdb.toFloatArray(), "db is the same on a second run, bit for bit");
        }
    }

    @Test
    void biasReluAndItsSlicedBiasGradientMatchTheLoops() {
        Backend cuda = CudaTestSupport.cudaOrSkip("CUDA bias + ReLU epilogue tests");
        assertTrue(CudaBiasReluEpilogue.slices(8, 64L * 27 * 27) > 1, "the convolution shape is sliced");
        biasReluMatchesTheLoops(cuda, 64, 8, 27, 27);
        biasReluMatchesTheLoops(cuda, 3, 5, 7, 3);
        biasReluMatchesTheLoops(cuda, 1000, 10, 0, 0);
        biasReluMatchesTheLoops(cuda, 256, 128, 0, 0);
        assertTrue(CudaBiasReluEpilogue.slices(2, 70_000) > 1, "the dense shape is sliced");
        biasReluMatchesTheLoops(cuda, 70_000, 2, 0, 0);
    }

    /** Pooling forward and backward of {@code [n, c, h, w]} against loops, sliced or not. */
    private void poolingMatchesTheLoops(Backend cuda, int n, int c, int h, int w, boolean withBias) {
        BiasReluEpilogue e = cuda.biasReluEpilogue().orElseThrow();
        int oh = h / 2;
        int ow = w / 2;
        float[] z = values(n * c * h * w, 6);
        float[] bias = withBias ? values(c, 4) : new float[c];
        float[] dPooled = values(n * c * oh * ow, 40);
        float[] pooled = new float[n * c * oh * ow];
        int[] argmax = new int[pooled.length];
        float[] dz = new float[z.length];
        for (int plane = 0; plane < n * c; plane++) {
            for (int y = 0; y < oh; y++) {
                for (int x = 0; x < ow; x++) {
                    int o = (plane * oh + y) * ow + x;
                    float best = Float.NEGATIVE_INFINITY;
                    int at = -1;
                    for (int i = 0; i < 2; i++) {
                        for (int j = 0; j < 2; j++) {
                            float v = z[plane * h * w + (2 * y + i) * w + 2 * x + j] + bias[plane % c];
                            if (at < 0 || v > best) {
                                best = v;
                                at = (2 * y + i) * w + 2 * x + j;
                            }
                        }
                    }
                    pooled[o] = Math.max(0, best);
                    argmax[o] = at;
                    dz[plane * h * w + at] = pooled[o] > 0 ? dPooled[o] : 0;
                }
            }
        }
        int[] zDims = {n, c, h, w};
        int[] pDims = {n, c, oh, ow};
        try (Tensor pz = padded(cuda, z, zDims); Tensor tb = Tensor.of(cuda, bias, c);
             Tensor tp = Tensor.zeros(cuda, DType.F32, pDims); Tensor ta = Tensor.zeros(cuda, DType.I32, pDims);
             Tensor pdp = padded(cuda, dPooled, pDims); Tensor tdz = Tensor.zeros(cuda, DType.F32, zDims);
             Tensor tdb = Tensor.zeros(cuda, DType.F32, c)) {
            Tensor tz = view(pz);
            Tensor tdp = view(pdp);
            e.biasReluMaxPool(tz, withBias ? tb : null, tp, ta);
            assertArrayEquals(pooled, tp.toFloatArray(), "pooled");
            assertArrayEquals(argmax, ta.toIntArray(), "argmax");
            cuda.fill(tdz, 9f);                        // every element must be overwritten
            e.biasReluMaxPoolBackward(tdp, tp, ta, tdz, tdb);
            assertArrayEquals(dz, tdz.toFloatArray(), "dz");
            float[] first = tdb.toFloatArray();
            assertSums(biasSums(dz, n, c, h * w), first, "db");
            cuda.fill(tdz, 9f);
            e.biasReluMaxPoolBackward(tdp, tp, ta, tdz, null);
            assertArrayEquals(dz, tdz.toFloatArray(), "dz without a bias gradient");
            e.biasReluMaxPoolBackward(tdp, tp, ta, tdz, tdb);
            assertArrayEquals(first, tdb.toFloatArray(), "db is the same on a second run, bit for bit");
        }
    }

    @Test
    void poolingWithOddTrailingRowsAndSlicedBiasGradientsMatchesTheLoops() {
        Backend cuda = CudaTestSupport.cudaOrSkip("CUDA bias + ReLU epilogue tests");
        assertTrue(CudaBiasReluEpilogue.slices(8, 64L * 13 * 13) > 1, "the pooled gradient is sliced");
        poolingMatchesTheLoops(cuda, 64, 8, 27, 27, true);
        poolingMatchesTheLoops(cuda, 64, 8, 26, 27, false);
        poolingMatchesTheLoops(cuda, 5, 3, 7, 6, true);
        poolingMatchesTheLoops(cuda, 2, 4, 2, 2, true);
    }

    @Test
    void anEmptyBatchZeroesTheBiasGradient() {
        Backend cuda = CudaTestSupport.cudaOrSkip("CUDA bias + ReLU epilogue tests");
        BiasReluEpilogue e = cuda.biasReluEpilogue().orElseThrow();
        try (Tensor y = Tensor.zeros(cuda, DType.F32, 0, 3); Tensor z = Tensor.zeros(cuda, DType.F32, 0, 3, 4, 4);
             Tensor p = Tensor.zeros(cuda, DType.F32, 0, 3, 2, 2); Tensor a = Tensor.zeros(cuda, DType.I32, 0, 3, 2, 2);
             Tensor db = Tensor.of(cuda, new float[] {7, 7, 7}, 3)) {
            e.biasReluBackward(y, y, y, db);
            assertArrayEquals(new float[3], db.toFloatArray(), "dense");
            db.copyFrom(new float[] {7, 7, 7});
            e.biasReluMaxPoolBackward(p, p, a, z, db);
            assertArrayEquals(new float[3], db.toFloatArray(), "pooled");
        }
    }
}
