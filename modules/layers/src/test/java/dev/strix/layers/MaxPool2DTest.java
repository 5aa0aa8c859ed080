package dev.strix.layers;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.strix.tensor.Backend;
import dev.strix.tensor.Backends;
import dev.strix.tensor.Shape;
import dev.strix.tensor.Tensor;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class MaxPool2DTest {
    private static final Backend CPU = Backends.cpu();

    @ParameterizedTest
    @EnumSource(PoolingAlgorithm.class)
    void passesTheGradientCheckWithOverlappingAndDisjointWindows(PoolingAlgorithm algorithm) {
        SplittableRandom random = new SplittableRandom(1);
        try (MaxPool2D overlapping = new MaxPool2D(CPU, 3, 2, 2, 1, algorithm);
             Tensor x = TestData.separated(CPU, random, 0.02, 2, 3, 7, 6)) {
            GradientCheck.check(overlapping, x, Mode.TRAINING, random);
        }
        try (MaxPool2D pool = new MaxPool2D(CPU, 2, algorithm);
             Tensor x = TestData.separated(CPU, random, 0.02, 1, 5, 5, 7)) {
            GradientCheck.check(pool, x, Mode.TRAINING, random);
            assertEquals(Shape.of(1, 5, 2, 3), pool.outputShape(x.shape()));
        }
    }

    @Test
    void bothAlgorithmsGiveTheSameOutputsAndGradients() {
        SplittableRandom random = new SplittableRandom(3);
        try (MaxPool2D argmax = new MaxPool2D(CPU, 3, 2, 2, 1);
             MaxPool2D direct = new MaxPool2D(CPU, 3, 2, 2, 1, PoolingAlgorithm.CUDNN);
             Tensor x = TestData.separated(CPU, random, 0.02, 2, 3, 7, 6);
             Tensor g = TestData.uniform(CPU, random, 2, 3, 3, 5)) {
            assertArrayEquals(argmax.forward(x, Mode.TRAINING).toFloatArray(),
                    direct.forward(x, Mode.TRAINING).toFloatArray());
            assertArrayEquals(argmax.backward(g).toFloatArray(), direct.backward(g).toFloatArray());
            assertEquals("MaxPool2D(3x2, stride 2x1, CUDNN)", direct.description());
        }
    }

    @Test
    void routesEachGradientToItsWindowMaximum() {
        float[] x = {
            1, 9, 2, 3,
            4, 5, 8, 6,
            0, 1, 2, 3,
            7, 1, 1, 2,
        };
        try (MaxPool2D pool = new MaxPool2D(CPU, 2); Tensor in = Tensor.of(CPU, x, 1, 1, 4, 4);
             Tensor g = Tensor.of(CPU, new float[] {10, 20, 30, 40}, 1, 1, 2, 2)) {
            assertArrayEquals(new float[] {9, 8, 7, 3}, pool.forward(in, Mode.TRAINING).toFloatArray());
            assertArrayEquals(new float[] {
                0, 10, 0, 0,
                0, 0, 20, 0,
                0, 0, 0, 40,
                30, 0, 0, 0,
            }, pool.backward(g).toFloatArray());
        }
    }

    @Test
    void windowLargerThanTheInputNamesTheLayerAndTheShape() {
        try (MaxPool2D pool = new MaxPool2D(CPU, 3)) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> pool.outputShape(Shape.of(2, 4, 2, 9)));
            assertTrue(e.getMessage().contains("MaxPool2D(3x3") && e.getMessage().contains("[2, 4, 2, 9]"), e.getMessage());
        }
    }
}
