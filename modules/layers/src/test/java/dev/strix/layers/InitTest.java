package dev.strix.layers;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.strix.tensor.Backend;
import dev.strix.tensor.Backends;
import dev.strix.tensor.DType;
import dev.strix.tensor.Shape;
import dev.strix.tensor.Tensor;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class InitTest {
    private static final Backend CPU = Backends.cpu();

    /** {max |v|, standard deviation} of the values the scheme writes into a [256, 32, 2, 2] weight. */
    private static double[] sample(Init init, long seed) {
        try (Tensor w = CPU.allocate(DType.F32, Shape.of(256, 32, 2, 2))) {
            init.initialize(w, new SplittableRandom(seed));
            float[] v = w.toFloatArray();
            double max = 0;
            double squares = 0;
            for (float x : v) {
                max = Math.max(max, Math.abs(x));
                squares += (double) x * x;
            }
            return new double[] {max, Math.sqrt(squares / v.length)};
        }
    }

    @Test
    void fansFollowPyTorch() {
        assertEquals(32 * 4, Init.fanIn(Shape.of(256, 32, 2, 2)));
        assertEquals(256 * 4, Init.fanOut(Shape.of(256, 32, 2, 2)));
        assertEquals(784, Init.fanIn(Shape.of(10, 784)));
        assertEquals(10, Init.fanOut(Shape.of(10, 784)));
    }

    @Test
    void uniformSchemesFillTheirWholeRange() {
        int fanIn = 128;
        int fanOut = 1024;
        double[][] cases = {
            {Init.PYTORCH_DEFAULT.ordinal(), 1 / Math.sqrt(fanIn)},
            {Init.KAIMING_UNIFORM.ordinal(), Math.sqrt(6.0 / fanIn)},
            {Init.GLOROT_UNIFORM.ordinal(), Math.sqrt(6.0 / (fanIn + fanOut))},
        };
        for (double[] c : cases) {
            Init init = Init.values()[(int) c[0]];
            double[] s = sample(init, 1);
            assertTrue(s[0] <= c[1] && s[0] > 0.999 * c[1], init + " max " + s[0] + " for bound " + c[1]);
            assertEquals(c[1] / Math.sqrt(3), s[1], 0.02 * s[1], init + " standard deviation");
        }
        assertEquals(1 / Math.sqrt(fanIn), Init.kaimingBound(Math.sqrt(5), fanIn), 1e-12);
    }

    @Test
    void normalSchemesHaveTheirStandardDeviation() {
        assertEquals(Math.sqrt(2.0 / 128), sample(Init.KAIMING_NORMAL, 2)[1], 0.02 * Math.sqrt(2.0 / 128));
        assertEquals(Math.sqrt(2.0 / (128 + 1024)), sample(Init.GLOROT_NORMAL, 3)[1], 0.02 * Math.sqrt(2.0 / 1152));
    }

    @Test
    void theSameSeedGivesTheSameWeights() {
        try (Tensor a = CPU.allocate(DType.F32, Shape.of(4, 3)); Tensor b = CPU.allocate(DType.F32, Shape.of(4, 3))) {
            Init.KAIMING_NORMAL.initialize(a, new SplittableRandom(9));
            Init.KAIMING_NORMAL.initialize(b, new SplittableRandom(9));
            assertArrayEquals(a.toFloatArray(), b.toFloatArray());
        }
    }
}
