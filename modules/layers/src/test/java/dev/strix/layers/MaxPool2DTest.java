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

class MaxPool2DTest {
    private static final Backend CPU = Backends.cpu();

    @Test
    void passesTheGradientCheckWithOverlappingAndDisjointWindows() {
        SplittableRandom random = new SplittableRandom(1);
        try (MaxPool2D overlapping = new MaxPool2D(CPU, 3, 2, 2, 1);
             Tensor x = TestData.separated(CPU, random, 0.02, 2, 3, 7, 6)) {
            GradientCheck.check(overlapping, x, Mode.TRAINING, random);
        }
        try (MaxPool2D pool = new MaxPool2D(CPU, 2); Tensor x = TestData.separated(CPU, random, 0.02, 1, 5, 5, 7)) {
            GradientCheck.check(pool, x, Mode.TRAINING, random);
            assertEquals(Shape.of(1, 5, 2, 3), pool.outputShape(x.shape()));
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
