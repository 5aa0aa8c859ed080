package dev.strix.tensor.conformance;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.strix.tensor.BatchNormRelu;
import dev.strix.tensor.DType;
import dev.strix.tensor.Shape;
import dev.strix.tensor.Tensor;
import dev.strix.tensor.UnaryOp;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Batch norm + ReLU in one pass (for backends that offer it) against the backend's own
 * {@link dev.strix.tensor.Normalization} ops followed by its ReLU ops, which the
 * {@link NormalizationConformance} and {@link ActivationConformance} suites check against
 * double-precision loops: the same passes with the ReLU folded in, so the forward values and
 * running statistics must be equal, and the gradients equal up to a few float32 ulps. Dense and
 * convolution shapes, a batch large enough to be split between cores and thread blocks, and inputs
 * that are views with the batch and channel axes swapped in memory.
 */
public abstract class BatchNormReluConformance extends BackendConformance {
    private static final float EPSILON = 1e-5f;
    private static final float MOMENTUM = 0.1f;

    private BatchNormRelu op() {
        return backend().batchNormRelu().orElseThrow();
    }

    private static List<int[]> shapes() {
        return List.of(new int[] {16, 8}, new int[] {128, 128}, new int[] {4, 3, 5, 5}, new int[] {3, 2, 7, 9},
                new int[] {64, 32, 26, 26});
    }

    /** One case's tensors: input (optionally stored [C, N, ...] and viewed as [N, C, ...]), parameters and statistics, twice. */
    private final class Case implements AutoCloseable {
        final Shape shape;
        final Tensor stored;
        final Tensor x;
        final Tensor gamma;
        final Tensor beta;
        final Tensor dOut;
        final Tensor[] running = new Tensor[4];
        final Tensor[] saved = new Tensor[4];
        final Tensor[] outputs = new Tensor[2];
        final Tensor[] inputGradients = new Tensor[2];
        final Tensor[] gammaGradients = new Tensor[2];
        final Tensor[] betaGradients = new Tensor[2];

        Case(int[] dims, boolean swappedInput) {
            shape = Shape.of(dims);
            int c = dims[1];
            float[] values = randomFloats((int) shape.size());
            for (int i = 0; i < values.length; i++) {
                values[i] = values[i] * 3 + 0.5f;  // off-centre: the ReLU cuts a varying share of each channel
            }
            if (swappedInput) {
                int[] swapped = dims.clone();
                swapped[0] = dims[1];
                swapped[1] = dims[0];
                stored = tensor(values, swapped);
                x = stored.transpose(0, 1);
            } else {
                stored = tensor(values, dims);
                x = stored;
            }
            gamma = tensor(randomFloats(c), c);
            beta = tensor(randomFloats(c), c);
            dOut = tensor(randomFloats((int) shape.size()), dims);
            float[] mean = randomFloats(c);
            float[] var = new float[c];
            for (int i = 0; i < c; i++) {
                var[i] = 0.5f + i;
            }
            for (int k = 0; k < 2; k++) {
                running[2 * k] = tensor(mean, c);
                running[2 * k + 1] = tensor(var, c);
                saved[2 * k] = backend().allocate(DType.F32, Shape.of(c));
                saved[2 * k + 1] = backend().allocate(DType.F32, Shape.of(c));
                outputs[k] = backend().allocate(DType.F32, shape);
                inputGradients[k] = backend().allocate(DType.F32, shape);
                gammaGradients[k] = backend().allocate(DType.F32, Shape.of(c));
                betaGradients[k] = backend().allocate(DType.F32, Shape.of(c));
            }
        }

        @Override
        public void close() {
            for (Tensor t : List.of(stored, gamma, beta, dOut)) {
                t.close();
            }
            for (Tensor[] group : List.of(running, saved, outputs, inputGradients, gammaGradients, betaGradients)) {
                for (Tensor t : group) {
                    t.close();
                }
            }
        }

        @Override
        public String toString() {
            return shape + (x == stored ? "" : ", input stored [C, N, ...]");
        }
    }

    @Test
    void trainingAndBackwardGiveTheNumbersOfBatchNormThenRelu() {
        int made = 0;
        for (int[] dims : shapes()) {
            try (Case k = new Case(dims, made++ % 2 == 1)) {
                // Separate: batch norm, ReLU in place, ReLU backward, batch norm backward.
                backend().normalization().batchNormTraining(k.x, k.gamma, k.beta, MOMENTUM, EPSILON, k.running[0],
                        k.running[1], k.outputs[0], k.saved[0], k.saved[1]);
                backend().elementwise().unary(UnaryOp.RELU, k.outputs[0], k.outputs[0]);
                try (Tensor masked = backend().allocate(DType.F32, k.shape)) {
                    backend().activation().reluBackward(k.outputs[0], k.dOut, masked);
                    backend().normalization().batchNormBackward(k.x, masked, k.gamma, k.saved[0], k.saved[1],
                            k.inputGradients[0], k.gammaGradients[0], k.betaGradients[0]);
                }
                // Fused.
                op().batchNormReluTraining(k.x, k.gamma, k.beta, MOMENTUM, EPSILON, k.running[2], k.running[3],
                        k.outputs[1], k.saved[2], k.saved[3]);
                op().batchNormReluBackward(k.x, k.outputs[1], k.dOut, k.gamma, k.saved[2], k.saved[3],
                        k.inputGradients[1], k.gammaGradients[1], k.betaGradients[1]);

                float[] y = k.outputs[1].toFloatArray();
                assertArrayEquals(k.outputs[0].toFloatArray(), y, 0f, "output, " + k);
                assertTrue(zeros(y) > y.length / 10 && zeros(y) < y.length * 9 / 10,
                        "the ReLU cuts part of the values, " + k);
                for (int i = 0; i < 2; i++) {
                    assertArrayEquals(k.running[i].toFloatArray(), k.running[2 + i].toFloatArray(), 0f,
                            "running statistics, " + k);
                    assertArrayEquals(k.saved[i].toFloatArray(), k.saved[2 + i].toFloatArray(), 0f,
                            "saved statistics, " + k);
                }
                assertUlps(k.inputGradients[0], k.inputGradients[1], "input gradient, " + k);
                assertUlps(k.gammaGradients[0], k.gammaGradients[1], "gamma gradient, " + k);
                assertUlps(k.betaGradients[0], k.betaGradients[1], "beta gradient, " + k);
            }
        }
    }

    @Test
    void inferenceGivesTheNumbersOfBatchNormThenRelu() {
        int made = 0;
        for (int[] dims : shapes()) {
            try (Case k = new Case(dims, made++ % 2 == 0)) {
                backend().normalization().batchNormInference(k.x, k.gamma, k.beta, k.running[0], k.running[1], EPSILON,
                        k.outputs[0]);
                backend().elementwise().unary(UnaryOp.RELU, k.outputs[0], k.outputs[0]);
                op().batchNormReluInference(k.x, k.gamma, k.beta, k.running[2], k.running[3], EPSILON, k.outputs[1]);
                float[] y = k.outputs[1].toFloatArray();
                assertArrayEquals(k.outputs[0].toFloatArray(), y, 0f, "inference output, " + k);
                assertTrue(zeros(y) > 0 && zeros(y) < y.length, "the ReLU cuts part of the values, " + k);
            }
        }
    }

    private static int zeros(float[] values) {
        int count = 0;
        for (float v : values) {
            count += v == 0f ? 1 : 0;
        }
        return count;
    }

    /** Equal within 4 ulps of the larger magnitude (or 1e-7 near zero): the same sums, maybe grouped otherwise. */
    private static void assertUlps(Tensor expected, Tensor actual, String what) {
        float[] e = expected.toFloatArray();
        float[] a = actual.toFloatArray();
        for (int i = 0; i < e.length; i++) {
            float allowed = Math.max(1e-7f, 4 * Math.ulp(Math.max(Math.abs(e[i]), Math.abs(a[i]))));
            assertTrue(Math.abs(e[i] - a[i]) <= allowed, what + ": element " + i + " is " + a[i] + ", expected "
                    + e[i] + " (allowed " + allowed + ")");
        }
    }
}
