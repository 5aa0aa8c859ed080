package dev.strix.cuda;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.strix.tensor.Backend;
import dev.strix.tensor.Backends;
import dev.strix.tensor.Convolution;
import dev.strix.tensor.DType;
import dev.strix.tensor.Shape;
import dev.strix.tensor.Tensor;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The convolution ops on the GPU against the CPU backend on the same inputs: a whole strided-view
 * convolution (forward, weight gradient, input gradient, as the Conv2D layer chains them), padding
 * and dilation of views the conformance suite does not reach, and im2col / col2im. Where the two
 * backends do the same float operations in the same order the results must be equal bit for bit.
 * The GPU parts skip, with the reason, where there is no GPU.
 */
class CudaConvolutionTest {
    private final SplittableRandom random = new SplittableRandom(5);

    private float[] randomFloats(int n) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) {
            a[i] = (float) (random.nextDouble() * 2 - 1);
        }
        return a;
    }

    @Test
    void im2colGeometryIsTheKernelsStructInOrder() {
        try (Tensor x = Tensor.zeros(Backends.cpu(), DType.F32, 2, 3, 7, 6);
             Tensor cols = Tensor.zeros(Backends.cpu(), DType.F32, 2, 3, 3, 2, 4, 9)) {
            assertArrayEquals(new int[] {2, 3, 7, 6, 3, 2, 4, 9, 2, 1, 1, 2},
                    CudaConvolution.geometry(x, 2, 1, 1, 2, cols));
        }
    }

    /** Forward and both gradients of one convolution, as StridedViewConvolution chains the ops. */
    private static float[][] stridedViewConvolution(Backend b, float[] x, float[] w, float[] dz, int n, int c, int h,
                                                    int o, int k, int s, int pad) {
        int hp = h + 2 * pad;
        int oh = (hp - k) / s + 1;
        Convolution conv = b.convolution();
        try (Tensor tx = Tensor.of(b, x, n, c, h, h); Tensor tw = Tensor.of(b, w, o, c, k, k);
             Tensor tdz = Tensor.of(b, dz, n, o, oh, oh); Tensor xp = b.allocate(DType.F32, Shape.of(n, c, hp, hp));
             Tensor z = b.allocate(DType.F32, Shape.of(n, o, oh, oh)); Tensor dw = b.allocate(DType.F32, Shape.of(o, c, k, k));
             Tensor spread = b.allocate(DType.F32, Shape.of(n, o, (oh - 1) * s + 1, (oh - 1) * s + 1));
             Tensor full = b.allocate(DType.F32, Shape.of(n, o, hp + k - 1, hp + k - 1));
             Tensor dxp = b.allocate(DType.F32, Shape.of(n, c, hp, hp)); Tensor dx = b.allocate(DType.F32, Shape.of(n, c, h, h))) {
            conv.pad(tx, pad, pad, pad, pad, xp);
            conv.correlate(Convolution.slidingWindows(xp, k, k, s, s), tw, z);
            Tensor inputWindows = xp.asStrided(Shape.of(c, n, k, k, oh, oh), new long[] {xp.stride(1), xp.stride(0),
                xp.stride(2), xp.stride(3), xp.stride(2) * s, xp.stride(3) * s});
            conv.correlate(inputWindows, tdz.permute(1, 0, 2, 3), dw.permute(1, 0, 2, 3));
            conv.dilate(tdz, s, s, spread);
            int below = hp - spread.dim(2);
            conv.pad(spread, k - 1, below, k - 1, below, full);
            Tensor rotated = tw.asStrided(Shape.of(c, o, k, k), new long[] {tw.stride(1), tw.stride(0), -tw.stride(2),
                -tw.stride(3)}, (k - 1) * tw.stride(2) + (k - 1) * tw.stride(3));
            conv.correlate(Convolution.slidingWindows(full, k, k, 1, 1), rotated, dxp);
            conv.unpad(dxp, pad, pad, pad, pad, dx);
            return new float[][] {z.toFloatArray(), dw.toFloatArray(), dx.toFloatArray()};
        }
    }

    private void checkStridedViewConvolution(int n, int c, int h, int o, int k, int s, int pad, boolean weightBlocks) {
        Backend cuda = CudaTestSupport.cudaOrSkip("CUDA convolution tests");
        int oh = (h + 2 * pad - k) / s + 1;
        float[] x = randomFloats(n * c * h * h);
        float[] w = randomFloats(o * c * k * k);
        float[] dz = randomFloats(n * o * oh * oh);
        // The weight gradient's sum runs over n * oh * oh terms: make sure the intended kernel runs it.
        try (Tensor xp = Tensor.zeros(Backends.cpu(), DType.F32, n, c, h + 2 * pad, h + 2 * pad);
             Tensor dzt = Tensor.zeros(Backends.cpu(), DType.F32, n, o, oh, oh);
             Tensor dw = Tensor.zeros(Backends.cpu(), DType.F32, o, c, k, k)) {
            Tensor windows = xp.asStrided(Shape.of(c, n, k, k, oh, oh), new long[] {xp.stride(1), xp.stride(0),
                xp.stride(2), xp.stride(3), xp.stride(2) * s, xp.stride(3) * s});
            assertEquals(weightBlocks,
                    CorrelationPlan.of(windows, dzt.permute(1, 0, 2, 3), dw.permute(1, 0, 2, 3)).blockPerOutput());
        }
        float[][] expected = stridedViewConvolution(Backends.cpu(), x, w, dz, n, c, h, o, k, s, pad);
        float[][] actual = stridedViewConvolution(cuda, x, w, dz, n, c, h, o, k, s, pad);
        assertArrayEquals(expected[0], actual[0], "forward: same double sums in the same order");
        if (weightBlocks) {
            // Summed in a different order, still in double precision: at most an ulp or so apart.
            for (int i = 0; i < expected[1].length; i++) {
                float e = expected[1][i];
                float a = actual[1][i];
                if (Math.abs(e - a) > 2 * Math.ulp(Math.max(Math.abs(e), Math.abs(a)))) {
                    fail("weight gradient element " + i + ": cpu " + e + ", cuda " + a);
                }
            }
        } else {
            assertArrayEquals(expected[1], actual[1], "weight gradient, a thread per output");
        }
        assertArrayEquals(expected[2], actual[2], "input gradient");
    }

    @Test
    void aStridedPaddedConvolutionMatchesTheCpuBitForBit() {
        checkStridedViewConvolution(4, 3, 11, 5, 3, 2, 1, false);
    }

    @Test
    void aWeightGradientSummedByBlocksMatchesTheCpu() {
        checkStridedViewConvolution(8, 2, 16, 3, 3, 1, 1, true);
    }

    /** pad then dilate a permuted 5-D view, writing through a permuted output view. */
    private static float[][] padAndDilate(Backend b, float[] data) {
        try (Tensor base = Tensor.of(b, data, 3, 2, 4, 5, 3); Tensor padded = b.allocate(DType.F32, Shape.of(2, 3, 4, 3 + 3, 5 + 1));
             Tensor dilatedBase = b.allocate(DType.F32, Shape.of(3, 2, 4, 7, 9))) {
            Tensor view = base.permute(1, 0, 2, 4, 3);                      // [2, 3, 4, 3, 5]
            b.fill(padded, 7f);
            b.convolution().pad(view, 2, 1, 0, 1, padded);
            Tensor dilated = dilatedBase.permute(1, 0, 2, 3, 4);            // [2, 3, 4, 7, 9], strided
            b.fill(dilatedBase, 7f);
            b.convolution().dilate(view, 3, 2, dilated);
            return new float[][] {padded.toFloatArray(), dilated.toFloatArray()};
        }
    }

    @Test
    void padAndDilateOfPermutedFiveDimensionalViewsMatchTheCpu() {
        Backend cuda = CudaTestSupport.cudaOrSkip("CUDA convolution tests");
        float[] data = randomFloats(3 * 2 * 4 * 5 * 3);
        float[][] expected = padAndDilate(Backends.cpu(), data);
        float[][] actual = padAndDilate(cuda, data);
        assertArrayEquals(expected[0], actual[0], "pad");
        assertArrayEquals(expected[1], actual[1], "dilate");
    }

    private static float[][] im2colRoundTrip(Backend b, float[] x, float[] cols) {
        int[] cd = {3, 4, 3, 3, 4, 5};
        try (Tensor base = Tensor.of(b, x, 3, 4, 9, 8); Tensor c = b.allocate(DType.F32, Shape.of(cd));
             Tensor tc = Tensor.of(b, cols, cd); Tensor back = b.allocate(DType.F32, Shape.of(4, 3, 8, 9))) {
            Tensor image = base.transpose(2, 3);                          // [3, 4, 8, 9], strided
            b.convolution().im2col(image, 2, 2, 1, 2, c);
            b.convolution().col2im(tc, 2, 2, 1, 2, back.transpose(0, 1));
            return new float[][] {c.toFloatArray(), back.toFloatArray()};
        }
    }

    @Test
    void im2colAndCol2imMatchTheCpuBitForBit() {
        Backend cuda = CudaTestSupport.cudaOrSkip("CUDA convolution tests");
        float[] x = randomFloats(3 * 4 * 9 * 8);
        float[] cols = randomFloats(3 * 4 * 3 * 3 * 4 * 5);
        float[][] expected = im2colRoundTrip(Backends.cpu(), x, cols);
        float[][] actual = im2colRoundTrip(cuda, x, cols);
        assertArrayEquals(expected[0], actual[0], "im2col");
        assertArrayEquals(expected[1], actual[1], "col2im: the same float additions in the same order");
        assertTrue(expected[1].length > 0);
    }
}
