package dev.strix.layers;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.strix.tensor.Backend;
import dev.strix.tensor.Backends;
import dev.strix.tensor.Shape;
import dev.strix.tensor.Tensor;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class DenseTest {
    private static final Backend CPU = Backends.cpu();

    @Test
    void passesTheNumericGradientCheck() {
        SplittableRandom random = new SplittableRandom(1);
        for (int batch : new int[] {1, 3}) {
            try (Dense dense = new Dense(CPU, 7, 5, random); Tensor x = TestData.uniform(CPU, random, batch, 7)) {
                GradientCheck.check(dense, x, Mode.TRAINING, random);
            }
        }
        try (Dense dense = new Dense(CPU, 6, 3, false, Init.GLOROT_UNIFORM, random);
             Tensor x = TestData.uniform(CPU, random, 2, 6)) {
            GradientCheck.check(dense, x, Mode.TRAINING, random);
            assertEquals(1, dense.parameters().size());
        }
    }

    @Test
    void computesXTimesWTransposedPlusB() {
        SplittableRandom random = new SplittableRandom(2);
        try (Dense dense = new Dense(CPU, 4, 3, random); Tensor x = TestData.uniform(CPU, random, 2, 4)) {
            float[] w = dense.weight().value().toFloatArray();
            float[] b = dense.bias().value().toFloatArray();
            float[] in = x.toFloatArray();
            float[] y = dense.forward(x, Mode.EVALUATION).toFloatArray();
            for (int n = 0; n < 2; n++) {
                for (int o = 0; o < 3; o++) {
                    double expected = b[o];
                    for (int i = 0; i < 4; i++) {
                        expected += (double) in[n * 4 + i] * w[o * 4 + i];
                    }
                    assertEquals(expected, y[n * 3 + o], 1e-6);
                }
            }
        }
    }

    @Test
    void aSmallerBatchReusesTheBufferAndTheFullBatchGetsItBack() {
        SplittableRandom random = new SplittableRandom(3);
        try (Dense dense = new Dense(CPU, 4, 3, random); Tensor full = TestData.uniform(CPU, random, 8, 4);
             Tensor partial = TestData.uniform(CPU, random, 3, 4)) {
            Tensor first = dense.forward(full, Mode.TRAINING);
            Tensor smaller = dense.forward(partial, Mode.TRAINING);
            assertEquals(Shape.of(3, 3), smaller.shape());
            assertSame(first.storage(), smaller.storage());
            assertSame(first.storage(), dense.forward(full, Mode.TRAINING).storage());
        }
    }

    @Test
    void wrongInputSizeNamesTheLayerAndBothShapes() {
        try (Dense dense = new Dense(CPU, 800, 10, new SplittableRandom(1))) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> dense.outputShape(Shape.of(4, 32, 5, 5)));
            assertTrue(e.getMessage().contains("Dense(800 -> 10)") && e.getMessage().contains("[N, 800]")
                    && e.getMessage().contains("[4, 32, 5, 5]"), e.getMessage());
        }
    }

    @Test
    void pytorchDefaultBoundsWeightsAndBias() {
        try (Dense dense = new Dense(CPU, 100, 50, new SplittableRandom(4))) {
            double bound = 1 / Math.sqrt(100);
            for (float v : dense.weight().value().toFloatArray()) {
                assertTrue(Math.abs(v) <= bound, "weight " + v);
            }
            for (float v : dense.bias().value().toFloatArray()) {
                assertTrue(Math.abs(v) <= bound, "bias " + v);
            }
        }
    }
}
