package dev.strix.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.strix.bindings.cudnn.Cudnn;
import dev.strix.tensor.Backend;
import dev.strix.tensor.DType;
import dev.strix.tensor.Shape;
import dev.strix.tensor.Tensor;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Strict float32 unless TF32 is asked for, for cuBLAS and for cuDNN. The inputs are
 * {@code 1 + 2^-12}, which float32 holds exactly and TF32 (10 mantissa bits) rounds to 1, times
 * ones: every partial sum is exact in float32, so strict maths gives {@code K (1 + 2^-12)} and TF32
 * gives {@code K}. (Winograd convolutions round their transforms, so the cuDNN results are judged
 * against half the gap between the two.) The cuBLAS TF32 check needs compute capability 8 or more
 * and no {@code NVIDIA_TF32_OVERRIDE=0}; cuDNN only permits TF32 kernels, so its check accepts either
 * sum with TF32 on and prints which one its measured algorithm gave.
 */
class CudaTensorFloat32Test {
    private static final float NOT_IN_TF32 = 1f + 0x1p-12f;

    private Backend cuda;

    @BeforeEach
    void requireGpu() {
        cuda = CudaTestSupport.cudaOrSkip("CUDA TF32 tests");
    }

    @AfterEach
    void backToStrictFloat32() {
        if (cuda != null) {
            cuda.setTensorFloat32(false);
        }
    }

    private static boolean tf32Hardware(Backend cuda) {
        return ((CudaBackend) cuda).context().computeMajor() >= 8 && !"0".equals(System.getenv("NVIDIA_TF32_OVERRIDE"));
    }

    /** One element of a 512 x 512 x 512 product whose sums are all K = 512 terms of 1 + 2^-12. */
    private static float gemm(Backend b) {
        int k = 512;
        float[] a = new float[k * k];
        Arrays.fill(a, NOT_IN_TF32);
        float[] ones = new float[k * k];
        Arrays.fill(ones, 1f);
        try (Tensor ta = Tensor.of(b, a, k, k); Tensor tb = Tensor.of(b, ones, k, k);
             Tensor c = b.allocate(DType.F32, Shape.of(k, k))) {
            b.blas().gemm(false, false, 1f, ta, tb, 0f, c);
            float[] out = c.toFloatArray();
            for (float v : out) {
                assertEquals(out[0], v, "every element sums the same terms");
            }
            return out[0];
        }
    }

    /** One output of a cuDNN 3x3 convolution over 64 channels: K = 576 terms of 1 + 2^-12. */
    private static float cudnnConvolution(Backend b) {
        int n = 32;
        int c = 64;
        int o = 64;
        float[] x = new float[n * c * 16 * 16];
        Arrays.fill(x, NOT_IN_TF32);
        float[] w = new float[o * c * 9];
        Arrays.fill(w, 1f);
        try (Tensor tx = Tensor.of(b, x, n, c, 16, 16); Tensor tw = Tensor.of(b, w, o, c, 3, 3);
             Tensor y = b.allocate(DType.F32, Shape.of(n, o, 14, 14))) {
            b.directConvolution().forward(tx, tw, null, 1, 1, 0, 0, y);
            return y.toFloatArray()[7];
        }
    }

    @Test
    void gemmIsStrictFloat32UnlessTf32IsAskedFor() {
        float strict = 512 * NOT_IN_TF32;
        assertEquals(strict, gemm(cuda), "cuBLAS by default: float32 products");
        assertTrue(cuda.setTensorFloat32(true), "the CUDA backend has a TF32 mode");
        float tf32 = gemm(cuda);
        cuda.setTensorFloat32(false);
        assertEquals(strict, gemm(cuda), "back to float32 after TF32 was turned off");
        Assumptions.assumeTrue(tf32Hardware(cuda), "TF32 needs compute capability 8+ and no NVIDIA_TF32_OVERRIDE=0");
        assertEquals(512f, tf32, "cuBLAS with TF32: inputs rounded to 10 mantissa bits");
    }

    @Test
    void cudnnConvolutionIsStrictFloat32UnlessTf32IsAskedFor() {
        CudnnTestSupport.cudnnOrSkip("CUDA TF32 tests");
        float strict = 576 * NOT_IN_TF32;
        float halfGap = (strict - 576f) / 2;
        float fp32 = cudnnConvolution(cuda);
        assertEquals(strict, fp32, halfGap, "cuDNN by default (CUDNN_FMA_MATH): float32");
        cuda.setTensorFloat32(true);
        float tf32 = cudnnConvolution(cuda);
        cuda.setTensorFloat32(false);
        assertEquals(strict, cudnnConvolution(cuda), halfGap, "back to float32 after TF32 was turned off");
        // Tensor-op maths permits TF32 kernels; cudnnFind may still measure a float32 one fastest.
        boolean rounded = Math.abs(tf32 - 576f) < halfGap;
        assertTrue(rounded || Math.abs(tf32 - strict) < halfGap, "cuDNN with TF32 allowed gave " + tf32
                + ", neither the TF32 sum 576 nor the float32 sum " + strict);
        System.out.println("[strix] cuDNN with TF32 allowed chose " + (rounded ? "a TF32" : "a float32")
                + " kernel for a 64-channel 3x3 convolution");
    }
    /**
     * Under tensor-op maths cudnnFind reports algorithm and math type pairs; the descriptor's math
     * type decides which one runs, so each plan must carry its chosen pair's. A 3x3 convolution of
     * one input channel (K = 9 terms of 1 + 2^-12), where an FMA algorithm may well be the fastest
     * (the emulator's model says so): when it is, the sum must be float32's, which it is not when the
     * descriptor still says tensor ops and the algorithm has a tensor-op variant.
     */
    @Test
    void cudnnRunsTheChosenAlgorithmWithTheMathTypeItWasMeasuredWith() {
        CudnnTestSupport.cudnnOrSkip("CUDA TF32 tests");
        float strict = 9 * NOT_IN_TF32;
        float halfGap = (strict - 9f) / 2;
        float[] x = new float[8 * 16 * 16];
        Arrays.fill(x, NOT_IN_TF32);
        float[] w = new float[64 * 9];
        Arrays.fill(w, 1f);
        cuda.setTensorFloat32(true);
        float sum;
        try (Tensor tx = Tensor.of(cuda, x, 8, 1, 16, 16); Tensor tw = Tensor.of(cuda, w, 64, 1, 3, 3);
             Tensor y = cuda.allocate(DType.F32, Shape.of(8, 64, 14, 14))) {
            cuda.directConvolution().forward(tx, tw, null, 1, 1, 0, 0, y);
            sum = y.toFloatArray()[7];
        }
        CudaDirectConvolution convolutions = (CudaDirectConvolution) cuda.directConvolution();
        CudnnPlan forward = null;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment math = arena.allocate(ValueLayout.JAVA_INT);
            for (CudnnPlan p : convolutions.plans()) {
                if (p.direction() == CudnnPlan.BIAS) {
                    continue;
                }
                CudaErrors.checkCudnn(Cudnn.cudnnGetConvolutionMathType(p.conv, math),
                        "cudnnGetConvolutionMathType");
                // TF32 plans run the measured pair's math type; float32 plans FMA, whatever was reported.
                assertEquals(p.tensorFloat32() ? p.measuredMathType : Cudnn.CUDNN_FMA_MATH(),
                        math.get(ValueLayout.JAVA_INT, 0), "the descriptor's math type: " + p.describe());
                if (p.direction() == CudnnPlan.FORWARD && p.describe().startsWith("input [8, 1, 16, 16]")) {
                    forward = p;
                }
            }
        }
        assertTrue(forward != null, "the forward plan was made");
        boolean fma = forward.measuredMathType == Cudnn.CUDNN_FMA_MATH();
        System.out.println("[strix] cuDNN with TF32 allowed chose algorithm " + forward.algorithm + " with "
                + (fma ? "FMA" : "math type " + forward.measuredMathType) + " for a 1-channel 3x3 convolution");
        if (fma) {
            assertEquals(strict, sum, halfGap, "an FMA algorithm runs in float32");
        } else {
            assertTrue(Math.abs(sum - 9f) < halfGap || Math.abs(sum - strict) < halfGap, "gave " + sum);
        }
    }
}
