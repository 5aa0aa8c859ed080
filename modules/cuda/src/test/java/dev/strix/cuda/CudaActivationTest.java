package dev.strix.cuda;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import dev.strix.tensor.Backend;
import dev.strix.tensor.Backends;
import dev.strix.tensor.DType;
import dev.strix.tensor.Shape;
import dev.strix.tensor.Tensor;
import dev.strix.tensor.UnaryOp;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * Activation specifics: the warp-per-row grid, rows longer than a warp and more rows than a grid's
 * first pass, strided and in-place operands, against the CPU backend. The GPU parts skip, with the
 * reason, where there is no GPU.
 */
class CudaActivationTest {
    private final SplittableRandom random = new SplittableRandom(29);

    @Test
    void eightRowsShareABlockAndTheGridIsCapped() {
        assertEquals(8, CudaActivation.ROWS_PER_BLOCK);
        assertEquals(1, CudaActivation.blocksForRows(1));
        assertEquals(1, CudaActivation.blocksForRows(8));
        assertEquals(2, CudaActivation.blocksForRows(9));
        assertEquals(1 << 16, CudaActivation.blocksForRows(10_000_000));
    }

    private float[] randomFloats(int n, double scale) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) {
            a[i] = (float) ((random.nextDouble() * 2 - 1) * scale);
        }
        return a;
    }

    /** Softmax of column-major logits, its backward pass in place over dOut, ReLU backward in place. */
    private static float[][] run(Backend b, float[] logitsByColumn, float[] g, int n, int k) {
        try (Tensor zBase = Tensor.of(b, logitsByColumn, k, n); Tensor y = b.allocate(DType.F32, Shape.of(n, k));
             Tensor dy = Tensor.of(b, g, n, k); Tensor relu = Tensor.of(b, logitsByColumn, k, n);
             Tensor dr = Tensor.of(b, g, n, k)) {
            Tensor z = zBase.transpose(0, 1);
            b.activation().softmax(z, y);
            b.activation().softmaxBackward(y, dy, dy);
            b.elementwise().unary(UnaryOp.RELU, relu, relu);
            b.activation().reluBackward(relu.transpose(0, 1), dr, dr);
            return new float[][] {y.toFloatArray(), dy.toFloatArray(), dr.toFloatArray()};
        }
    }

    private void compare(int n, int k) {
        Backend cuda = CudaTestSupport.cudaOrSkip("CUDA activation tests");
        float[] z = randomFloats(n * k, 20);
        float[] g = randomFloats(n * k, 1);
        float[][] expected = run(Backends.cpu(), z, g, n, k);
        float[][] actual = run(cuda, z, g, n, k);
        String[] names = {"softmax", "softmax backward (in place)"};
        for (int r = 0; r < 2; r++) {
            for (int i = 0; i < expected[r].length; i++) {
                double e = expected[r][i];
                // Double-precision sums in another order, and exp() from another library: a few ulps.
                if (!(Math.abs(e - actual[r][i]) <= 1e-6 * Math.max(Math.abs(e), 1e-3))) {
                    fail(names[r] + " element " + i + " of [" + n + ", " + k + "]: cpu " + e + ", cuda " + actual[r][i]);
                }
            }
        }
        assertArrayEquals(expected[2], actual[2], "relu backward (in place, through a transposed output)");
    }

    @Test
    void rowsWiderThanAWarpMatchTheCpu() {
        compare(3000, 100);
    }

    @Test
    void moreRowsThanTheGridCoversInOnePassMatchTheCpu() {
        compare(CudaActivation.ROWS_PER_BLOCK * (1 << 16) + 77, 3);
    }
}
