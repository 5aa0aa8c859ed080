package dev.strix.cuda;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.strix.tensor.Backend;
import dev.strix.tensor.DType;
import dev.strix.tensor.DirectConvolution;
import dev.strix.tensor.Shape;
import dev.strix.tensor.Tensor;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

/**
 * What the cuDNN path refuses that the CPU reference takes: weights (or a weight gradient) in
 * neither of the two orders a cuDNN filter descriptor can name (the NCHW and NHWC results
 * themselves are checked by the conformance suite). Skips, with the reason, where there is no GPU.
 */
class CudaDirectConvolutionTest {
    private Backend cuda;

    @BeforeEach
    void requireGpu() {
        cuda = CudaTestSupport.cudaOrSkip("CUDA direct convolution tests");
    }

    private static void refused(String what, Executable call) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, call);
        assertTrue(e.getMessage().startsWith(what + ": cuDNN takes weights"), e.getMessage());
        assertTrue(e.getMessage().contains("[O, KH, KW, C]"), e.getMessage());
    }

    @Test
    void weightsInNeitherFilterOrderAreRefusedByEveryPass() {
        DirectConvolution conv = cuda.directConvolution();
        try (Tensor x = cuda.allocate(DType.F32, Shape.of(2, 3, 8, 8)); Tensor y = cuda.allocate(DType.F32, Shape.of(2, 4, 6, 6));
             Tensor stored = cuda.allocate(DType.F32, Shape.of(4, 3, 3, 3))) {
            cuda.fill(x, 1f);
            cuda.fill(y, 1f);
            // [O, C, KW, KH] seen as [O, C, KH, KW]: a transposed kernel, neither KCRS nor KRSC.
            Tensor transposed = stored.transpose(2, 3);
            refused("forward weights", () -> conv.forward(x, transposed, null, 1, 1, 0, 0, y));
            refused("backwardData weights", () -> conv.backwardData(y, transposed, 1, 1, 0, 0, x));
            refused("backwardFilter weight gradient", () -> conv.backwardFilter(x, y, 1, 1, 0, 0, transposed));
        }
    }
}
