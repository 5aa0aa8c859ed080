package dev.strix.layers;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.strix.tensor.Backend;
import dev.strix.tensor.Backends;
import dev.strix.tensor.Shape;
import dev.strix.tensor.Tensor;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class BatchNormTest {
    private static final Backend CPU = Backends.cpu();

    /** Non-trivial scale and shift, so their gradients are tested away from the ones/zeros start. */
    private static void randomiseAffine(BatchNorm bn, SplittableRandom random) {
        bn.weight().value().copyFrom(TestData.uniform(random, bn.channels()));
        bn.bias().value().copyFrom(TestData.uniform(random, bn.channels()));
    }

    @Test
    void batchNorm2DPassesTheGradientCheck() {
        SplittableRandom random = new SplittableRandom(1);
        for (int[] dims : List.of(new int[] {2, 3, 4, 5}, new int[] {1, 3, 3, 3})) {
            try (BatchNorm2D bn = new BatchNorm2D(CPU, 3); Tensor x = TestData.uniform(CPU, random, dims)) {
                randomiseAffine(bn, random);
                GradientCheck.check(bn, x, Mode.TRAINING, random);
            }
        }
    }

    @Test
    void batchNorm1DPassesTheGradientCheck() {
        SplittableRandom random = new SplittableRandom(2);
        try (BatchNorm1D bn = new BatchNorm1D(CPU, 5); Tensor x = TestData.uniform(CPU, random, 6, 5)) {
            randomiseAffine(bn, random);
            GradientCheck.check(bn, x, Mode.TRAINING, random);
        }
    }

    @Test
    void runningStatisticsFollowPyTorchAndEvaluationUsesThem() {
        SplittableRandom random = new SplittableRandom(3);
        float[][] batches = {TestData.uniform(random, 4 * 2), TestData.uniform(random, 4 * 2)};
        double[] mean = {0, 0};
        double[] var = {1, 1};
        try (BatchNorm1D bn = new BatchNorm1D(CPU, 2)) {
            for (float[] b : batches) {
                try (Tensor x = Tensor.of(CPU, b, 4, 2)) {
                    bn.forward(x, Mode.TRAINING);
                }
                for (int f = 0; f < 2; f++) {
                    double m = 0;
                    for (int n = 0; n < 4; n++) {
                        m += b[n * 2 + f] / 4.0;
                    }
                    double ss = 0;
                    for (int n = 0; n < 4; n++) {
                        ss += (b[n * 2 + f] - m) * (b[n * 2 + f] - m);
                    }
                    mean[f] = 0.9 * mean[f] + 0.1 * m;
                    var[f] = 0.9 * var[f] + 0.1 * ss / 3;      // unbiased: divide by N - 1
                }
            }
            float[] rm = bn.runningMean().toFloatArray();
            float[] rv = bn.runningVar().toFloatArray();
            for (int f = 0; f < 2; f++) {
                assertEquals(mean[f], rm[f], 1e-6, "running_mean");
                assertEquals(var[f], rv[f], 1e-6, "running_var");
            }
            float[] probe = {0.5f, -0.25f};
            try (Tensor x = Tensor.of(CPU, probe, 1, 2)) {
                float[] y = bn.forward(x, Mode.EVALUATION).toFloatArray();
                for (int f = 0; f < 2; f++) {
                    assertEquals((probe[f] - mean[f]) / Math.sqrt(var[f] + 1e-5), y[f], 1e-5, "evaluation output");
                }
                IllegalStateException e = assertThrows(IllegalStateException.class, () -> bn.backward(x));
                assertTrue(e.getMessage().contains("BatchNorm1D(2)") && e.getMessage().contains("TRAINING"), e.getMessage());
            }
        }
    }

    @Test
    void buffersAndParametersHavePyTorchNames() {
        try (BatchNorm2D bn = new BatchNorm2D(CPU, 4)) {
            assertEquals(List.of("weight", "bias"), bn.parameters().stream().map(Parameter::name).toList());
            assertEquals(List.of("running_mean", "running_var"), List.copyOf(bn.buffers().keySet()));
            assertEquals(4, bn.buffers().get("running_var").size());
        }
    }

    @Test
    void wrongChannelCountNamesTheLayerAndBothShapes() {
        try (BatchNorm2D bn = new BatchNorm2D(CPU, 4)) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> bn.outputShape(Shape.of(2, 3, 5, 5)));
            assertTrue(e.getMessage().contains("BatchNorm2D(4)") && e.getMessage().contains("[N, 4, H, W]")
                    && e.getMessage().contains("[2, 3, 5, 5]"), e.getMessage());
        }
    }
}
