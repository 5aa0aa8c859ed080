package dev.strix.cuda;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.strix.tensor.Backends;
import dev.strix.tensor.Convolution;
import dev.strix.tensor.DType;
import dev.strix.tensor.Shape;
import dev.strix.tensor.Tensor;
import org.junit.jupiter.api.Test;

/**
 * The window contraction's geometry and kernel choice, on the three contractions a convolution
 * layer makes (shapes as StridedViewConvolution builds them), without a GPU.
 */
class CorrelationPlanTest {
    private static Tensor zeros(int... dims) {
        return Tensor.zeros(Backends.cpu(), DType.F32, dims);
    }

    @Test
    void theForwardPassIsAThreadPerOutput() {
        // 64 MNIST images through 32 kernels of 5x5, padded by 2: [64, 1, 32, 32] -> [64, 32, 28, 28].
        try (Tensor xp = zeros(64, 1, 32, 32); Tensor w = zeros(32, 1, 5, 5); Tensor z = zeros(64, 32, 28, 28)) {
            CorrelationPlan plan = CorrelationPlan.of(Convolution.slidingWindows(xp, 5, 5, 1, 1), w, z);
            assertArrayEquals(new int[] {64, 32, 1, 28, 28, 5, 5}, plan.geometry());
            assertEquals(64L * 32 * 28 * 28, plan.outputs());
            assertEquals(25, plan.terms());
            assertFalse(plan.blockPerOutput());
        }
    }

    @Test
    void theWeightGradientSharesEachLongSumAmongABlock() {
        // dW[o, c, i, j] = sum over n, y, x: windows [C, N, KH, KW, OH, OW] over the padded input.
        int n = 64;
        int c = 32;
        int o = 64;
        try (Tensor xp = zeros(n, c, 18, 18); Tensor dz = zeros(n, o, 14, 14); Tensor dw = zeros(o, c, 5, 5)) {
            Tensor windows = xp.asStrided(Shape.of(c, n, 5, 5, 14, 14),
                    new long[] {xp.stride(1), xp.stride(0), xp.stride(2), xp.stride(3), xp.stride(2), xp.stride(3)});
            CorrelationPlan plan = CorrelationPlan.of(windows, dz.permute(1, 0, 2, 3), dw.permute(1, 0, 2, 3));
            assertArrayEquals(new int[] {c, o, n, 5, 5, 14, 14}, plan.geometry());
            assertEquals((long) c * o * 25, plan.outputs());
            assertEquals((long) n * 14 * 14, plan.terms());
            assertTrue(plan.blockPerOutput(), "51200 outputs, each a sum of 12544 terms");
        }
    }

    @Test
    void manyLongSumsStillGetAThreadEach() {
        // The input gradient of a wide layer: long sums, but enough outputs to fill the GPU.
        try (Tensor full = zeros(64, 64, 18, 18); Tensor rotated = zeros(32, 64, 5, 5); Tensor dx = zeros(64, 32, 14, 14)) {
            CorrelationPlan plan = CorrelationPlan.of(Convolution.slidingWindows(full, 5, 5, 1, 1), rotated, dx);
            assertEquals(64L * 25, plan.terms());
            assertTrue(plan.terms() >= CorrelationPlan.LONG_SUM && plan.outputs() >= CorrelationPlan.FEW_OUTPUTS);
            assertFalse(plan.blockPerOutput());
        }
    }

    @Test
    void mismatchedOperandsAreRefusedWithEveryShape() {
        try (Tensor x = zeros(1, 2, 4, 4); Tensor k = zeros(3, 5, 2, 2); Tensor out = zeros(1, 3, 3, 3)) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> CorrelationPlan.of(Convolution.slidingWindows(x, 2, 2, 1, 1), k, out));
            assertEquals("correlate needs windows [A, C, Y, X, I, J], kernels [B, C, I, J] and output [A, B, Y, X],"
                    + " got windows [1, 2, 3, 3, 2, 2], kernels [3, 5, 2, 2], output [1, 3, 3, 3]", e.getMessage());
        }
    }
}
