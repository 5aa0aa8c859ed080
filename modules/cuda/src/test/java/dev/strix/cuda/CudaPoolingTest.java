package dev.strix.cuda;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.strix.tensor.Backend;
import dev.strix.tensor.Backends;
import dev.strix.tensor.DType;
import dev.strix.tensor.Shape;
import dev.strix.tensor.Tensor;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * Max pooling specifics: an argmax outside its plane is refused with the CPU backend's message (the
 * GPU finds it, the host throws it), NaN propagation, strided views, and the exact scatter of
 * non-overlapping windows. The GPU parts skip, with the reason, where there is no GPU.
 */
class CudaPoolingTest {
    private final SplittableRandom random = new SplittableRandom(3);

    /**
     * The 2x2 stride-2 backward pass of a 4x4 plane, dOut [2, 3, 2, 2], with every argmax at its
     * window's top-left corner but {@code bad} at [1, 2, 0, 1] (whose window is rows 0-1, columns 2-3).
     */
    private static IllegalArgumentException badArgmax(Backend b, int bad) {
        int[] arg = new int[2 * 3 * 2 * 2];
        for (int i = 0; i < arg.length; i++) {
            arg[i] = (i / 2 % 2) * 2 * 4 + (i % 2) * 2;
        }
        arg[((1 * 3 + 2) * 2 + 0) * 2 + 1] = bad;
        try (Tensor dOut = Tensor.zeros(b, DType.F32, 2, 3, 2, 2); Tensor a = Tensor.ofInts(b, arg, 2, 3, 2, 2);
             Tensor dx = Tensor.zeros(b, DType.F32, 2, 3, 4, 4)) {
            // Thrown by the op on the CPU, at the next synchronisation on the GPU.
            return assertThrows(IllegalArgumentException.class, () -> {
                b.pooling().maxPoolBackward(dOut, a, 2, 2, 2, 2, dx);
                b.synchronize();
            });
        }
    }

    @Test
    void theOutOfWindowMessageIsTheCpuBackends() {
        long position = ((1 * 3 + 2) * 2 + 0) * 2 + 1;
        // Outside the plane, before it, in the plane but left of the window, below it.
        for (int bad : new int[] {99, -1, 1, 8 + 2}) {
            String cpu = badArgmax(Backends.cpu(), bad).getMessage();
            assertEquals("maxPoolBackward: argmax " + bad + " at [1, 2, 0, 1] lies outside its 2x2 window at row 0,"
                    + " column 2 of the 4x4 input plane", cpu);
            assertEquals(cpu, CudaPooling.outsideTheWindow(position, bad, 3, 2, 2, 4, 4, 2, 2, 2, 2));
        }
    }

    @Test
    void anArgmaxOutsideItsWindowIsRefusedAndTheNextCallIsClean() {
        Backend cuda = CudaTestSupport.cudaOrSkip("CUDA pooling tests");
        for (int bad : new int[] {99, -1, 1, 8 + 2}) {
            assertEquals(badArgmax(Backends.cpu(), bad).getMessage(), badArgmax(cuda, bad).getMessage());
        }
        try (Tensor x = Tensor.of(cuda, new float[] {1, 2, 3, 4}, 1, 1, 2, 2);
             Tensor out = Tensor.zeros(cuda, DType.F32, 1, 1, 1, 1); Tensor a = Tensor.zeros(cuda, DType.I32, 1, 1, 1, 1);
             Tensor dOut = Tensor.of(cuda, new float[] {5}, 1, 1, 1, 1); Tensor dx = Tensor.zeros(cuda, DType.F32, 1, 1, 2, 2)) {
            cuda.pooling().maxPoolForward(x, 2, 2, 2, 2, out, a);
            cuda.pooling().maxPoolBackward(dOut, a, 2, 2, 2, 2, dx);
            assertArrayEquals(new float[] {0, 0, 0, 5}, dx.toFloatArray());
        }
    }

    private static Object[] poolStridedViews(Backend b, float[] data, float[] grad) {
        try (Tensor base = Tensor.of(b, data, 3, 2, 9, 8); Tensor outBase = b.allocate(DType.F32, Shape.of(2, 3, 4, 4));
             Tensor arg = b.allocate(DType.I32, Shape.of(3, 2, 4, 4)); Tensor dOut = Tensor.of(b, grad, 3, 2, 4, 4);
             Tensor dxBase = b.allocate(DType.F32, Shape.of(3, 2, 9, 8))) {
            Tensor x = base.transpose(2, 3);                     // [3, 2, 8, 9]
            Tensor out = outBase.permute(1, 0, 3, 2);            // [3, 2, 4, 4], strided
            b.pooling().maxPoolForward(x, 2, 2, 2, 2, out, arg);
            Tensor dx = dxBase.transpose(2, 3);                  // column 8 is in no window: zeroed
            b.fill(dxBase, 9f);
            b.pooling().maxPoolBackward(dOut, arg, 2, 2, 2, 2, dx);
            return new Object[] {out.toFloatArray(), arg.toIntArray(), dxBase.toFloatArray()};
        }
    }

    @Test
    void stridedViewsAndNaNsGiveTheCpusResultsExactly() {
        Backend cuda = CudaTestSupport.cudaOrSkip("CUDA pooling tests");
        float[] data = new float[3 * 2 * 9 * 8];
        for (int i = 0; i < data.length; i++) {
            data[i] = (float) random.nextInt(-3, 4);         // many ties
        }
        data[17] = Float.NaN;
        data[200] = Float.NaN;
        float[] grad = new float[3 * 2 * 4 * 4];
        for (int i = 0; i < grad.length; i++) {
            grad[i] = (float) (random.nextDouble() * 2 - 1);
        }
        Object[] expected = poolStridedViews(Backends.cpu(), data, grad);
        Object[] actual = poolStridedViews(cuda, data, grad);
        assertArrayEquals((float[]) expected[0], (float[]) actual[0], "maxima");
        assertArrayEquals((int[]) expected[1], (int[]) actual[1], "argmax");
        assertArrayEquals((float[]) expected[2], (float[]) actual[2], "gradient, one per pixel at most");
    }
}
