package dev.strix.layers;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.strix.tensor.Backend;
import dev.strix.tensor.Backends;
import dev.strix.tensor.Shape;
import dev.strix.tensor.Tensor;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** ReLU, Softmax and Flatten. */
class ActivationLayersTest {
    private static final Backend CPU = Backends.cpu();

    @Test
    void reluPassesTheGradientCheckAwayFromTheKink() {
        SplittableRandom random = new SplittableRandom(1);
        try (ReLU relu = new ReLU(CPU); Tensor x = TestData.separated(CPU, random, 0.02, 2, 3, 5)) {
            GradientCheck.check(relu, x, Mode.TRAINING, random);
            float[] in = x.toFloatArray();
            float[] out = relu.forward(x, Mode.TRAINING).toFloatArray();
            for (int i = 0; i < in.length; i++) {
                assertEquals(Math.max(0, in[i]), out[i]);
            }
        }
    }

    @Test
    void softmaxPassesTheGradientCheckAndRowsSumToOne() {
        SplittableRandom random = new SplittableRandom(2);
        try (Softmax softmax = new Softmax(CPU); Tensor x = TestData.uniform(CPU, random, 3, 5)) {
            GradientCheck.check(softmax, x, Mode.TRAINING, random);
            float[] y = softmax.forward(x, Mode.TRAINING).toFloatArray();
            for (int r = 0; r < 3; r++) {
                double sum = 0;
                for (int k = 0; k < 5; k++) {
                    sum += y[r * 5 + k];
                }
                assertEquals(1, sum, 1e-6);
            }
        }
    }

    @Test
    void softmaxNeedsRows() {
        try (Softmax softmax = new Softmax(CPU)) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> softmax.outputShape(Shape.of(2, 3, 4)));
            assertTrue(e.getMessage().contains("Softmax") && e.getMessage().contains("[2, 3, 4]"), e.getMessage());
        }
    }

    @Test
    void flattenPassesTheGradientCheckAndKeepsRowMajorOrder() {
        SplittableRandom random = new SplittableRandom(3);
        try (Flatten flatten = new Flatten(CPU); Tensor x = TestData.uniform(CPU, random, 2, 3, 4, 5)) {
            GradientCheck.check(flatten, x, Mode.TRAINING, random);
            Tensor y = flatten.forward(x, Mode.TRAINING);
            assertEquals(Shape.of(2, 60), y.shape());
            assertArrayEquals(x.toFloatArray(), y.toFloatArray());
        }
    }

    @Test
    void flattenCopiesAStridedInput() {
        SplittableRandom random = new SplittableRandom(4);
        try (Flatten flatten = new Flatten(CPU); Tensor base = TestData.uniform(CPU, random, 2, 3, 5, 4)) {
            Tensor view = base.transpose(2, 3);
            assertFalse(view.isContiguous());
            Tensor y = flatten.forward(view, Mode.TRAINING);
            assertArrayEquals(view.toFloatArray(), y.toFloatArray());
            Tensor dx = flatten.backward(y);
            assertEquals(view.shape(), dx.shape());
            assertArrayEquals(view.toFloatArray(), dx.toFloatArray());
        }
    }

    @Test
    void gradientOfTheWrongShapeIsRefused() {
        try (ReLU relu = new ReLU(CPU); Tensor x = TestData.uniform(CPU, new SplittableRandom(5), 2, 3);
             Tensor g = TestData.uniform(CPU, new SplittableRandom(6), 3, 2)) {
            relu.forward(x, Mode.TRAINING);
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> relu.backward(g));
            assertTrue(e.getMessage().contains("[3, 2]") && e.getMessage().contains("[2, 3]"), e.getMessage());
        }
    }
}
