package dev.strix.cuda;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.strix.tensor.Backend;
import dev.strix.tensor.BinaryOp;
import dev.strix.tensor.CapturedGraph;
import dev.strix.tensor.DType;
import dev.strix.tensor.Shape;
import dev.strix.tensor.Tensor;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * CUDA graphs of the backend's ops: a replay does what the recorded ops did, reading inputs that
 * are rewritten between launches; what a graph cannot hold (allocation, host copies, waits) is
 * refused with the reason and leaves the backend working; GPU-side label checks still report from
 * replays. Skipped, with the reason, where there is no GPU.
 */
class CudaGraphTest {
    private Backend cuda;

    @BeforeEach
    void requireGpu() {
        cuda = CudaTestSupport.cudaOrSkip("CUDA graph tests");
    }

    @Test
    void replaysRepeatTheRecordedOpsOnInputsRewrittenBetweenLaunches() {
        int n = 1000;
        float[] input = new float[n];
        try (Tensor x = cuda.allocate(DType.F32, Shape.of(n)); Tensor acc = cuda.allocate(DType.F32, Shape.of(n));
             Tensor scale = cuda.allocate(DType.F32, Shape.of(1))) {
            // acc = acc * 0.5 + x * scale, where x and scale change before every launch.
            Runnable ops = () -> {
                cuda.elementwise().binary(BinaryOp.MULTIPLY, x, scale, x);
                cuda.elementwise().axpby(1f, x, 0.5f, acc);
            };
            double[] expected = new double[n];
            try (CapturedGraph graph = cuda.graphCapture().orElseThrow().capture(ops)) {
                for (int step = 1; step <= 5; step++) {
                    for (int i = 0; i < n; i++) {
                        input[i] = step * 0.25f + i;
                    }
                    x.copyFrom(input);
                    scale.copyFrom(new float[] {1f / step});
                    graph.launch();
                    for (int i = 0; i < n; i++) {
                        expected[i] = expected[i] * 0.5 + (float) (input[i] * (1f / step));
                    }
                }
                float[] actual = acc.toFloatArray();
                for (int i = 0; i < n; i++) {
                    assertEquals(expected[i], actual[i], 1e-4 * Math.abs(expected[i]), "element " + i);
                }
            }
        }
    }

    @Test
    void aReplayGivesTheBitsOfTheSameOpsRunEagerly() {
        int n = 4096;
        float[] start = new float[n];
        for (int i = 0; i < n; i++) {
            start[i] = (float) Math.sin(i);
        }
        try (Tensor eager = Tensor.of(cuda, start, n); Tensor replayed = Tensor.of(cuda, start, n);
             Tensor tmp = cuda.allocate(DType.F32, Shape.of(n))) {
            Tensor[] target = {eager};
            Runnable ops = () -> {
                cuda.elementwise().binary(BinaryOp.MULTIPLY, target[0], target[0], tmp);
                cuda.elementwise().axpby(-0.1f, tmp, 1f, target[0]);
            };
            for (int i = 0; i < 7; i++) {
                ops.run();
            }
            target[0] = replayed;
            try (CapturedGraph graph = cuda.graphCapture().orElseThrow().capture(ops)) {
                assertArrayEquals(start, replayed.toFloatArray(), "capturing runs nothing");
                for (int i = 0; i < 7; i++) {
                    graph.launch();
                }
            }
            assertArrayEquals(eager.toFloatArray(), replayed.toFloatArray());
        }
    }

    @Test
    void cublasProductsReplayOnNewInputsLikeTheCpu() {
        // cuBLAS runs in the workspace the backend gave its handle; without one it would allocate
        // inside the capture (the emulator refuses that), and the step could not be recorded.
        Backend cpu = dev.strix.tensor.Backends.cpu();
        java.util.Random random = new java.util.Random(5);
        try (Tensor a = cuda.allocate(DType.F32, Shape.of(3, 20, 30)); Tensor b = cuda.allocate(DType.F32, Shape.of(3, 30, 10));
             Tensor product = cuda.allocate(DType.F32, Shape.of(20, 10));
             Tensor summed = cuda.allocate(DType.F32, Shape.of(20, 10))) {
            Runnable ops = () -> {
                cuda.blas().gemm(false, false, 1f, a.slice(0, 0, 1).reshape(20, 30), b.slice(0, 0, 1).reshape(30, 10), 0f,
                        product);
                cuda.blas().gemmBatchSum(false, false, 1f, a, b, 0f, summed);
            };
            ops.run(); // sizes gemmBatchSum's buffer of per-sample products, which a capture cannot allocate
            try (CapturedGraph graph = cuda.graphCapture().orElseThrow().capture(ops)) {
                for (int launch = 0; launch < 2; launch++) {
                    float[] av = new float[3 * 20 * 30];
                    float[] bv = new float[3 * 30 * 10];
                    for (int i = 0; i < av.length; i++) {
                        av[i] = random.nextFloat() - 0.5f;
                    }
                    for (int i = 0; i < bv.length; i++) {
                        bv[i] = random.nextFloat() - 0.5f;
                    }
                    a.copyFrom(av);
                    b.copyFrom(bv);
                    graph.launch();
                    try (Tensor ca = Tensor.of(cpu, av, 3, 20, 30); Tensor cb = Tensor.of(cpu, bv, 3, 30, 10);
                         Tensor cp = cpu.allocate(DType.F32, Shape.of(20, 10));
                         Tensor cs = cpu.allocate(DType.F32, Shape.of(20, 10))) {
                        cpu.blas().gemm(false, false, 1f, ca.slice(0, 0, 1).reshape(20, 30),
                                cb.slice(0, 0, 1).reshape(30, 10), 0f, cp);
                        cpu.blas().gemmBatchSum(false, false, 1f, ca, cb, 0f, cs);
                        assertArrayEquals(cp.toFloatArray(), product.toFloatArray(), 1e-4f, "gemm, launch " + launch);
                        assertArrayEquals(cs.toFloatArray(), summed.toFloatArray(), 1e-4f, "gemmBatchSum, launch " + launch);
                    }
                }
            }
        }
    }

    @Test
    void allocationHostCopiesAndWaitsAreRefusedAndTheBackendStillWorks() {
        try (Tensor x = Tensor.of(cuda, new float[] {1, 2, 3}, 3); Arena arena = Arena.ofConfined()) {
            MemorySegment host = arena.allocate(ValueLayout.JAVA_FLOAT, 3);
            var capture = cuda.graphCapture().orElseThrow();
            IllegalStateException allocation = assertThrows(IllegalStateException.class,
                    () -> capture.capture(() -> cuda.allocate(DType.F32, Shape.of(4))));
            assertTrue(allocation.getMessage().startsWith("CUDA graph capture failed: allocate F32[4] while a CUDA"
                    + " graph is being captured"), allocation.getMessage());
            IllegalStateException copy = assertThrows(IllegalStateException.class,
                    () -> capture.capture(() -> cuda.copyToHost(x, host)));
            assertTrue(copy.getMessage().contains("copyToHost while a CUDA graph is being captured"), copy.getMessage());
            IllegalStateException upload = assertThrows(IllegalStateException.class,
                    () -> capture.capture(() -> cuda.copyFromHost(host, x)));
            assertTrue(upload.getMessage().contains("copyFromHost while"), upload.getMessage());
            IllegalStateException sync = assertThrows(IllegalStateException.class,
                    () -> capture.capture(cuda::synchronize));
            assertTrue(sync.getMessage().contains("synchronize while"), sync.getMessage());
            // Eager ops after the failed captures.
            cuda.elementwise().scalar(BinaryOp.MULTIPLY, x, 2f, x);
            assertArrayEquals(new float[] {2, 4, 6}, x.toFloatArray());
        }
    }

    @Test
    void aBadLabelInAReplayedStepIsReportedAtTheNextSynchronisation() {
        try (Tensor logits = Tensor.of(cuda, new float[] {1, 2, 3, 4, 5, 6}, 2, 3);
             Tensor labels = Tensor.ofInts(cuda, new int[] {0, 2}, 2);
             Tensor probabilities = cuda.allocate(DType.F32, Shape.of(2, 3));
             Tensor loss = cuda.allocate(DType.F32, Shape.of())) {
            Runnable ops = () -> cuda.losses().softmaxCrossEntropy(logits, labels, probabilities, loss);
            try (CapturedGraph graph = cuda.graphCapture().orElseThrow().capture(ops)) {
                graph.launch();
                cuda.synchronize();
                labels.copyFrom(new int[] {0, 7});
                graph.launch();
                IllegalArgumentException e = assertThrows(IllegalArgumentException.class, cuda::synchronize);
                assertTrue(e.getMessage().contains("7"), e.getMessage());
                labels.copyFrom(new int[] {1, 1});
                graph.launch();
                cuda.synchronize();
            }
        }
    }
}
