package dev.strix.cuda;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.strix.tensor.Backend;
import dev.strix.tensor.BatchNormRelu;
import dev.strix.tensor.DType;
import dev.strix.tensor.Shape;
import dev.strix.tensor.Tensor;
import dev.strix.tensor.UnaryOp;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The CUDA batch norm + ReLU beyond the shared conformance suite: on the GPU, each fused op gives
 * exactly the numbers of batch norm followed by the ReLU kernels (the same kernel code computes both,
 * and the mask is the ReLU backward's), for an input viewed at an offset with a channel stride, in
 * place, strided channel vectors, NaN outputs and NaN gradients where the ReLU cuts them; plus the
 * checks on the added forward output. The GPU parts skip, with the reason, where there is no GPU.
 */
class CudaBatchNormReluTest {
    private static final float EPSILON = 1e-5f;
    private static final float MOMENTUM = 0.1f;
    private final SplittableRandom random = new SplittableRandom(5);

    private float[] randomFloats(int n, double scale, double shift) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) {
            a[i] = (float) ((random.nextDouble() * 2 - 1) * scale + shift);
        }
        return a;
    }

    /**
     * Inference, training in place and backward, fused or as the separate ops, on one backend. The
     * input is every other channel of a [N, 2C, ...] tensor starting at channel 1, the channel
     * vectors every other element of [2C] rows, and the fused backward writes dx over its dOut.
     * Returns every output.
     */
    private static float[][] run(Backend b, boolean fused, float[] wide, float[] dy, float[] vectors, int[] dims) {
        int c = dims[1];
        int[] wideDims = dims.clone();
        wideDims[1] = 2 * c;
        try (Tensor whole = Tensor.of(b, wide, wideDims); Tensor tdy = Tensor.of(b, dy, dims);
             Tensor v = Tensor.of(b, vectors, 4, 2 * c); Tensor saved = b.allocate(DType.F32, Shape.of(2, c));
             Tensor inferred = b.allocate(DType.F32, Shape.of(dims)); Tensor y = b.allocate(DType.F32, Shape.of(dims));
             Tensor dx = b.allocate(DType.F32, Shape.of(dims)); Tensor grads = b.allocate(DType.F32, Shape.of(2, c))) {
            Tensor x = whole.slice(1, 1, 2 * c, 2);
            Tensor gamma = v.select(0, 0).slice(0, 0, 2 * c, 2);
            Tensor beta = v.select(0, 1).slice(0, 1, 2 * c, 2);
            Tensor runningMean = v.select(0, 2).slice(0, 0, 2 * c, 2);
            Tensor runningVar = v.select(0, 3).slice(0, 1, 2 * c, 2);
            Tensor savedMean = saved.select(0, 0);
            Tensor savedInvStd = saved.select(0, 1);
            b.copy(x, y);
            if (fused) {
                BatchNormRelu ops = b.batchNormRelu().orElseThrow();
                ops.batchNormReluInference(x, gamma, beta, runningMean, runningVar, EPSILON, inferred);
                ops.batchNormReluTraining(y, gamma, beta, MOMENTUM, EPSILON, runningMean, runningVar, y, savedMean,
                        savedInvStd);
                ops.batchNormReluBackward(x, y, tdy, gamma, savedMean, savedInvStd, tdy, grads.select(0, 0),
                        grads.select(0, 1));
                b.copy(tdy, dx);
            } else {
                b.normalization().batchNormInference(x, gamma, beta, runningMean, runningVar, EPSILON, inferred);
                b.elementwise().unary(UnaryOp.RELU, inferred, inferred);
                b.normalization().batchNormTraining(y, gamma, beta, MOMENTUM, EPSILON, runningMean, runningVar, y,
                        savedMean, savedInvStd);
                b.elementwise().unary(UnaryOp.RELU, y, y);
                b.activation().reluBackward(y, tdy, tdy);
                b.normalization().batchNormBackward(x, tdy, gamma, savedMean, savedInvStd, dx, grads.select(0, 0),
                        grads.select(0, 1));
            }
            return new float[][] {inferred.toFloatArray(), y.toFloatArray(), saved.toFloatArray(), v.toFloatArray(),
                dx.toFloatArray(), grads.toFloatArray()};
        }
    }

    private void compare(boolean nans, int... dims) {
        Backend cuda = CudaTestSupport.cudaOrSkip("CUDA batch norm + ReLU tests");
        int size = 1;
        for (int d : dims) {
            size *= d;
        }
        int c = dims[1];
        float[] wide = randomFloats(2 * size, 3, 2);
        float[] dy = randomFloats(size, 1, 0);
        float[] vectors = randomFloats(4 * 2 * c, 1, 0);
        for (int i = 3 * 2 * c; i < vectors.length; i++) {
            vectors[i] = Math.abs(vectors[i]) + 0.5f;    // running variances
        }
        if (nans) {
            vectors[2] = Float.NaN;                      // gamma of channel 1: its outputs are NaN, the ReLU's 0
            for (int i = 0; i < size; i += 7) {
                dy[i] = Float.NaN;                       // kept where the output is positive, cut elsewhere
            }
        }
        float[][] expected = run(cuda, false, wide, dy, vectors, dims);
        float[][] actual = run(cuda, true, wide, dy, vectors, dims);
        String[] names = {"inference", "training output (in place)", "saved mean and inverse std",
            "channel vectors with updated running statistics", "dx (over dOut)", "dGamma and dBeta"};
        for (int r = 0; r < names.length; r++) {
            assertArrayEquals(expected[r], actual[r], names[r] + ", separate ops and fused");
        }
        int zeros = 0;
        for (float e : actual[1]) {
            zeros += e == 0f ? 1 : 0;
        }
        assertTrue(zeros > 0 && zeros < actual[1].length, "the ReLU cuts part of the output: " + zeros + " zeros");
    }

    @Test
    void convolutionChannelsMatchTheSeparateOpsExactly() {
        compare(false, 16, 3, 20, 20);
    }

    @Test
    void denseChannelsMatchTheSeparateOpsExactly() {
        compare(false, 33, 300);
    }

    @Test
    void nanOutputsAndGradientsAreCutAsTheReluCutsThem() {
        compare(true, 8, 4, 6, 6);
    }

    @Test
    void nanOutputsAndGradientsAreCutAsTheReluCutsThemInSlicedChannels() {
        assertEquals(3, CudaNormalization.slices(4, 8 * 24 * 24));
        compare(true, 8, 4, 24, 24);
    }

    @Test
    void theForwardOutputMustBeGivenWithTheInputsShape() {
        Backend cuda = CudaTestSupport.cudaOrSkip("CUDA batch norm + ReLU tests");
        BatchNormRelu ops = cuda.batchNormRelu().orElseThrow();
        try (Tensor x = Tensor.zeros(cuda, DType.F32, 4, 3, 2); Tensor y = Tensor.zeros(cuda, DType.F32, 4, 3, 3);
             Tensor v = Tensor.zeros(cuda, DType.F32, 3)) {
            IllegalArgumentException wrong = assertThrows(IllegalArgumentException.class,
                    () -> ops.batchNormReluBackward(x, y, x, v, v, v, x, v, v));
            assertEquals("batchNormReluBackward forward output [4, 3, 3] does not match the input's [N, C, S] ="
                    + " [4, 3, 2]", wrong.getMessage());
            IllegalArgumentException missing = assertThrows(IllegalArgumentException.class,
                    () -> ops.batchNormReluBackward(x, null, x, v, v, v, x, v, v));
            assertEquals("batchNormReluBackward needs the forward output, got null", missing.getMessage());
        }
    }
}
