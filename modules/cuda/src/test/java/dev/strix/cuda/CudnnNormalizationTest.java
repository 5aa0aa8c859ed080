package dev.strix.cuda;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.strix.tensor.Backend;
import dev.strix.tensor.Backends;
import dev.strix.tensor.CapturedGraph;
import dev.strix.tensor.DType;
import dev.strix.tensor.Normalization;
import dev.strix.tensor.Shape;
import dev.strix.tensor.Tensor;
import dev.strix.tensor.spi.ChannelView;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * cuDNN's batch norm ({@link CudnnNormalization}; its results are the conformance suite's, in
 * CudaConformanceTest): what it refuses before calling cuDNN (host logic, no GPU needed), and on the
 * GPU which batch norm the backend offers for each {@code strix.cuda.batchNorm}, one cuDNN call per
 * op, graph capture, and strided (NHWC) views against the CPU reference. The GPU parts skip, with
 * the reason, where there is no GPU or no cuDNN.
 */
class CudnnNormalizationTest {
    private static final String SUITE = "cuDNN batch norm tests";

    @Test
    void epsilonBelowCudnnsMinimumOrNotANumberIsRefused() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> CudnnNormalization.checkEpsilon("batchNormTraining", -1e-5f));
        assertEquals("batchNormTraining: cuDNN batch norm needs epsilon >= CUDNN_BN_MIN_EPSILON (0.0), got -1.0E-5",
                e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> CudnnNormalization.checkEpsilon("batchNormInference", Float.NaN));
        assertDoesNotThrow(() -> CudnnNormalization.checkEpsilon("batchNormTraining", 0f));
        assertDoesNotThrow(() -> CudnnNormalization.checkEpsilon("batchNormTraining", 1e-5f));
    }

    @Test
    void channelVectorsMustBeContiguousAndOfTheChannelCount() {
        Backend cpu = Backends.cpu();
        try (Tensor pairs = cpu.allocate(DType.F32, Shape.of(5, 2)); Tensor v = cpu.allocate(DType.F32, Shape.of(5));
             Tensor one = cpu.allocate(DType.F32, Shape.of(1, 3))) {
            assertDoesNotThrow(() -> CudnnNormalization.checkChannelVectors("batchNormTraining", 5, v,
                    pairs.reshape(10).slice(0, 5, 10)));
            Tensor strided = pairs.select(1, 1);
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> CudnnNormalization.checkChannelVectors("batchNormBackward", 5, v, strided));
            assertTrue(e.getMessage().startsWith("batchNormBackward: cuDNN batch norm needs contiguous channel vectors,"
                    + " got Tensor(F32[5], strides [2]"), e.getMessage());
            IllegalArgumentException shape = assertThrows(IllegalArgumentException.class,
                    () -> CudnnNormalization.checkChannelVectors("batchNormInference", 4, v));
            assertEquals("batchNormInference: channel vectors must be [4], got [5]", shape.getMessage());
            // One channel: its stride never matters.
            assertDoesNotThrow(() -> CudnnNormalization.checkChannelVectors("batchNormTraining", 1, one.select(1, 2)
                    .reshape(1)));
        }
    }

    @Test
    void inputsAreSeenAsNcs1AndTrailingAxesThatDoNotMergeAreRefused() {
        Backend cpu = Backends.cpu();
        try (Tensor dense = cpu.allocate(DType.F32, Shape.of(4, 3)); Tensor nhwc = cpu.allocate(DType.F32, Shape.of(2, 3, 4, 5));
             Tensor nchw = cpu.allocate(DType.F32, Shape.of(2, 5, 3, 4))) {
            assertEquals(new ChannelView(4, 3, 1, 3, 1, 1, 0), CudnnNormalization.cudnnLayout(dense, "x"));
            // [N, H, W, C] seen as [N, C, H, W]: H and W merge into one run of 12 with stride C.
            assertEquals(new ChannelView(2, 5, 12, 60, 1, 5, 0),
                    CudnnNormalization.cudnnLayout(nhwc.reshape(2, 3, 4, 5).permute(0, 3, 1, 2), "x"));
            assertEquals(new ChannelView(2, 5, 12, 60, 12, 1, 0), CudnnNormalization.cudnnLayout(nchw, "x"));
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> CudnnNormalization.cudnnLayout(nchw.transpose(2, 3), "batchNormTraining input"));
            assertTrue(e.getMessage().startsWith("batchNormTraining input: the axes after the channel axis of"),
                    e.getMessage());
            // Channels in reverse order: a negative stride, which cuDNN does not take.
            Tensor reversed = nchw.asStrided(Shape.of(2, 5, 12), new long[] {60, -12, 1}, 48);
            IllegalArgumentException negative = assertThrows(IllegalArgumentException.class,
                    () -> CudnnNormalization.cudnnLayout(reversed, "batchNormInference input"));
            assertTrue(negative.getMessage().startsWith("batchNormInference input: stride -12 is outside what cuDNN"
                    + " takes"), negative.getMessage());
            // One sample repeated over the batch: real cuDNN refuses the broadcast axis, so it is refused first.
            Tensor repeated = nchw.slice(0, 0, 1).broadcastTo(3, 5, 3, 4);
            IllegalArgumentException broadcast = assertThrows(IllegalArgumentException.class,
                    () -> CudnnNormalization.cudnnLayout(repeated, "batchNormTraining input"));
            assertEquals("batchNormTraining input: stride 0 on an axis of 3 elements (a broadcast), which cuDNN does"
                    + " not take; pass a contiguous copy", broadcast.getMessage());
        }
    }

    @Test
    void thePropertysChoiceDecidesTheBatchNormAndWhetherBatchNormReluIsOffered() {
        CudaTestSupport.cudaOrSkip(SUITE);
        try (CudaBackend kernels = new CudaBackend(BatchNormImplementation.KERNELS);
             CudaBackend cudnn = new CudaBackend(BatchNormImplementation.CUDNN)) {
            assertInstanceOf(CudaNormalization.class, kernels.normalization());
            assertTrue(kernels.batchNormRelu().isPresent(), "our kernels have the ReLU flag");
            assertSame(cudnn.cudnnNormalization(), cudnn.normalization());
            assertTrue(cudnn.batchNormRelu().isEmpty(), "cuDNN's batch norm has no ReLU flag");
            assertInstanceOf(CudnnNormalization.class, kernels.cudnnNormalization(), "reachable for tests either way");
        }
    }

    @Test
    void eachOpIsOneCudnnCall() {
        Backend cuda = CudnnTestSupport.cudnnOrSkip(SUITE);
        Normalization bn = ((CudaBackend) cuda).cudnnNormalization();
        // The reference network's first convolution at batch 128, and a dense layer.
        for (Shape shape : List.of(Shape.of(128, 32, 26, 26), Shape.of(128, 128))) {
            int c = shape.dim(1);
            try (Tensor x = Tensor.of(cuda, CudnnTestSupport.distinct((int) shape.size()), shape.dims());
                 Tensor y = cuda.allocate(DType.F32, shape); Tensor dx = cuda.allocate(DType.F32, shape);
                 Tensor v = cuda.allocate(DType.F32, Shape.of(8, c))) {
                cuda.fill(v, 1f);
                Runnable training = () -> bn.batchNormTraining(x, v.select(0, 0), v.select(0, 1), 0.1f, 1e-5f,
                        v.select(0, 2), v.select(0, 3), y, v.select(0, 4), v.select(0, 5));
                Runnable inference = () -> bn.batchNormInference(x, v.select(0, 0), v.select(0, 1), v.select(0, 2),
                        v.select(0, 3), 1e-5f, y);
                Runnable backward = () -> bn.batchNormBackward(x, y, v.select(0, 0), v.select(0, 4), v.select(0, 5), dx,
                        v.select(0, 6), v.select(0, 7));
                for (Runnable op : List.of(training, inference, backward)) {
                    op.run();   // the handle and this shape's descriptors are made once
                }
                assertEquals(1, launches(cuda, training), shape + " batchNormTraining");
                assertEquals(1, launches(cuda, inference), shape + " batchNormInference");
                assertEquals(1, launches(cuda, backward), shape + " batchNormBackward (dGamma, dBeta overwritten)");
                cuda.synchronize();
            }
        }
    }

    private static long launches(Backend cuda, Runnable op) {
        long before = cuda.deviceLaunches();
        op.run();
        return cuda.deviceLaunches() - before;
    }

    @Test
    void theOpsRecordIntoAGraphAndReplayTheEagerResults() {
        Backend cuda = CudnnTestSupport.cudnnOrSkip(SUITE);
        Normalization bn = ((CudaBackend) cuda).cudnnNormalization();
        int c = 8;
        float[] vectors = new float[4 * c];
        for (int i = 0; i < c; i++) {
            vectors[i] = 1f + i / 8f;        // gamma
            vectors[c + i] = (i - 4) / 4f;   // beta
            vectors[3 * c + i] = 1f;         // running variance
        }
        try (Tensor x = Tensor.of(cuda, CudnnTestSupport.distinct(16 * c * 12 * 12), 16, c, 12, 12);
             Tensor dy = Tensor.of(cuda, wave(16 * c * 12 * 12), 16, c, 12, 12);
             Tensor v = Tensor.of(cuda, vectors, 4, c); Tensor saved = cuda.allocate(DType.F32, Shape.of(2, c));
             Tensor y = cuda.allocate(DType.F32, Shape.of(16, c, 12, 12));
             Tensor inferred = cuda.allocate(DType.F32, Shape.of(16, c, 12, 12));
             Tensor dx = cuda.allocate(DType.F32, Shape.of(16, c, 12, 12));
             Tensor grads = cuda.allocate(DType.F32, Shape.of(2, c))) {
            Runnable ops = () -> {
                bn.batchNormInference(x, v.select(0, 0), v.select(0, 1), v.select(0, 2), v.select(0, 3), 1e-5f, inferred);
                bn.batchNormTraining(x, v.select(0, 0), v.select(0, 1), 0.1f, 1e-5f, v.select(0, 2), v.select(0, 3), y,
                        saved.select(0, 0), saved.select(0, 1));
                bn.batchNormBackward(x, dy, v.select(0, 0), saved.select(0, 0), saved.select(0, 1), dx,
                        grads.select(0, 0), grads.select(0, 1));
            };
            ops.run();   // eagerly first: the handle and the descriptors are made outside the graph
            Tensor[] results = {inferred, y, dx, grads, saved, v};
            float[][] eager = new float[results.length][];
            for (int i = 0; i < results.length; i++) {
                eager[i] = results[i].toFloatArray();
            }
            long before = cuda.deviceLaunches();
            try (CapturedGraph graph = cuda.graphCapture().orElseThrow().capture(ops)) {
                assertEquals(0, cuda.deviceLaunches() - before, "recording");
                // Replay from the eager run's starting point (the running statistics it updated restored).
                v.copyFrom(vectors);
                for (Tensor t : List.of(inferred, y, dx, grads, saved)) {
                    cuda.fill(t, 0f);
                }
                before = cuda.deviceLaunches();
                graph.launch();
                assertEquals(1, cuda.deviceLaunches() - before, "one replay");
                String[] names = {"inference", "training output", "dx", "dGamma and dBeta", "saved statistics",
                    "running statistics"};
                for (int i = 0; i < results.length; i++) {
                    assertNear(eager[i], results[i].toFloatArray(), 1e-6, names[i] + ", eager and replayed");
                }
            }
        }
    }

    @Test
    void nhwcAndChannelMajorViewsGiveTheCpuReferencesResults() {
        Backend cuda = CudnnTestSupport.cudnnOrSkip(SUITE);
        Normalization bn = ((CudaBackend) cuda).cudnnNormalization();
        Backend cpu = Backends.cpu();
        int n = 4;
        int c = 6;
        int h = 5;
        int w = 7;
        float[] x = CudnnTestSupport.distinct(n * c * h * w);
        float[] dy = wave(x.length);
        float[] vectors = new float[4 * c];
        for (int i = 0; i < c; i++) {
            vectors[i] = 0.5f + i / 4f;
            vectors[c + i] = i - 2f;
            vectors[2 * c + i] = i / 10f;
            vectors[3 * c + i] = 1f + i;
        }
        float[][] expected = run(cpu.normalization(), cpu, x, dy, vectors, n, c, h, w, "NCHW");
        String[] names = {"training output", "saved mean and inverse deviation", "running statistics", "inference output",
            "dx", "dGamma and dBeta"};
        // NHWC: every operand channels-last. Channel-major: x and dx [C, N, H, W] in memory (a
        // convolution's batch-matrix output and the gradient handed back to it), y and dy NCHW.
        for (String layout : new String[] {"NHWC", "channel-major"}) {
            float[][] actual = run(bn, cuda, x, dy, vectors, n, c, h, w, layout);
            for (int i = 0; i < names.length; i++) {
                assertNear(expected[i], actual[i], 1e-5, names[i] + " of " + layout + " views");
            }
        }
    }

    /**
     * Training, inference and backward on {@code b}, with x, y, dy and dx contiguous ({@code NCHW}),
     * all NCHW views of NHWC buffers ({@code NHWC}), or x and dx channel-major ({@code channel-major}).
     */
    private static float[][] run(Normalization bn, Backend b, float[] x, float[] dy, float[] vectors, int n, int c, int h,
                                 int w, String layout) {
        try (Tensor xs = Tensor.of(b, x, n, c, h, w); Tensor dys = Tensor.of(b, dy, n, c, h, w);
             Tensor store = b.allocate(DType.F32, Shape.of(4, n, h, w, c)); Tensor v = Tensor.of(b, vectors, 4, c);
             Tensor saved = b.allocate(DType.F32, Shape.of(2, c)); Tensor grads = b.allocate(DType.F32, Shape.of(2, c))) {
            Tensor[] t = new Tensor[4];
            for (int i = 0; i < 4; i++) {
                Tensor slot = store.select(0, i);
                t[i] = switch (layout) {
                    case "NHWC" -> slot.permute(0, 3, 1, 2);
                    case "channel-major" -> i == 0 || i == 3
                            ? slot.reshape(c, n, h, w).permute(1, 0, 2, 3) : slot.reshape(n, c, h, w);
                    default -> slot.reshape(n, c, h, w);
                };
            }
            b.copy(xs, t[0]);
            b.copy(dys, t[2]);
            Tensor tx = t[0];
            Tensor ty = t[1];
            Tensor tdy = t[2];
            Tensor tdx = t[3];
            bn.batchNormTraining(tx, v.select(0, 0), v.select(0, 1), 0.1f, 1e-5f, v.select(0, 2), v.select(0, 3), ty,
                    saved.select(0, 0), saved.select(0, 1));
            float[] out = ty.toFloatArray();
            float[] stats = saved.toFloatArray();
            float[] running = v.toFloatArray();
            bn.batchNormInference(tx, v.select(0, 0), v.select(0, 1), v.select(0, 2), v.select(0, 3), 1e-5f, ty);
            float[] inferred = ty.toFloatArray();
            bn.batchNormBackward(tx, tdy, v.select(0, 0), saved.select(0, 0), saved.select(0, 1), tdx, grads.select(0, 0),
                    grads.select(0, 1));
            return new float[][] {out, stats, running, inferred, tdx.toFloatArray(), grads.toFloatArray()};
        }
    }

    @Test
    void oneValuePerChannelIsRefusedAsByOurKernels() {
        Backend cuda = CudnnTestSupport.cudnnOrSkip(SUITE);
        Normalization bn = ((CudaBackend) cuda).cudnnNormalization();
        try (Tensor x = cuda.allocate(DType.F32, Shape.of(1, 3)); Tensor v = cuda.allocate(DType.F32, Shape.of(6, 3))) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> bn.batchNormTraining(x, v.select(0, 0), v.select(0, 1), 0.1f, 1e-5f, v.select(0, 2),
                            v.select(0, 3), x, v.select(0, 4), v.select(0, 5)));
            assertEquals("batchNormTraining needs more than one value per channel to estimate a variance, got input"
                    + " [1, 3]", e.getMessage());
        }
    }

    /** sin(0), sin(1), ...: an output gradient unrelated to the inputs. */
    private static float[] wave(int size) {
        float[] a = new float[size];
        for (int i = 0; i < size; i++) {
            a[i] = (float) Math.sin(i);
        }
        return a;
    }

    /** Each element within {@code tolerance} x max(1, |expected|). */
    private static void assertNear(float[] expected, float[] actual, double tolerance, String what) {
        assertEquals(expected.length, actual.length, what + ": element count");
        for (int i = 0; i < expected.length; i++) {
            double allowed = tolerance * Math.max(1, Math.abs(expected[i]));
            if (!(Math.abs(actual[i] - expected[i]) <= allowed)) {
                fail(what + ": element " + i + " is " + actual[i] + ", expected " + expected[i]);
            }
        }
    }
}
