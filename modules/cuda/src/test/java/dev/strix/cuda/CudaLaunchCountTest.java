package dev.strix.cuda;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.strix.tensor.Backend;
import dev.strix.tensor.BatchNormRelu;
import dev.strix.tensor.BiasReluEpilogue;
import dev.strix.tensor.BinaryOp;
import dev.strix.tensor.CapturedGraph;
import dev.strix.tensor.DType;
import dev.strix.tensor.Normalization;
import dev.strix.tensor.OptimizerSteps;
import dev.strix.tensor.ParameterGroup;
import dev.strix.tensor.Shape;
import dev.strix.tensor.Tensor;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * {@link Backend#deviceLaunches()} on the GPU: each kernel launch, library call, device copy or
 * memset, and graph replay counts exactly one; ops recorded into a graph count none. And the
 * multi-tensor optimizer update is one launch for any number of parameters, a batch-summed GEMM
 * two for any batch, each pass of the bias + ReLU epilogue one (two for a bias gradient summed in
 * slices), batch norm training one launch (three when its channels are sliced) and backward one (two
 * sliced), each pass of batch norm + ReLU as many as batch norm's alone. Skipped, with the reason,
 * where there is no GPU.
 */
class CudaLaunchCountTest {
    private Backend cuda;

    @BeforeEach
    void requireGpu() {
        cuda = CudaTestSupport.cudaOrSkip("CUDA launch count tests");
    }

    /** How many launches {@code ops} queued. */
    private long launches(Runnable ops) {
        long before = cuda.deviceLaunches();
        ops.run();
        return cuda.deviceLaunches() - before;
    }

    @Test
    void oneElementwiseOpIsOneLaunch() {
        try (Tensor a = cuda.allocate(DType.F32, Shape.of(1000)); Tensor b = cuda.allocate(DType.F32, Shape.of(1000));
             Tensor c = cuda.allocate(DType.F32, Shape.of(1000))) {
            assertEquals(1, launches(() -> cuda.elementwise().binary(BinaryOp.ADD, a, b, c)), "binary add");
            assertEquals(1, launches(() -> cuda.elementwise().axpby(2f, a, 1f, c)), "axpby");
        }
    }

    @Test
    void copiesMemsetsAndGemmsCountOneEach() {
        try (Tensor a = cuda.allocate(DType.F32, Shape.of(8, 8)); Tensor b = cuda.allocate(DType.F32, Shape.of(8, 8));
             Tensor c = cuda.allocate(DType.F32, Shape.of(8, 8))) {
            assertEquals(1, launches(() -> cuda.fill(a, 1f)), "contiguous fill (one memset)");
            assertEquals(1, launches(() -> cuda.copy(a, b)), "contiguous copy (one device-to-device copy)");
            assertEquals(1, launches(() -> cuda.blas().gemm(false, false, 1f, a, b, 0f, c)), "gemm (one cuBLAS call)");
            assertEquals(1, launches(() -> b.copyFrom(new float[64])), "upload");
            Tensor[] made = new Tensor[1];
            assertEquals(1, launches(() -> made[0] = cuda.allocate(DType.F32, Shape.of(4))),
                    "allocation (one zero memset)");
            made[0].close();
        }
    }

    @Test
    void aConvolutionWeightGradientOverTheBatchIsTwoLaunches() {
        // The im2col path's dW = sum_n dZ[n] columns[n]^T for 128 samples of the reference network's
        // second convolution: one batched GEMM and one summing kernel, not 128 GEMMs.
        try (Tensor dz = cuda.allocate(DType.F32, Shape.of(128, 64, 121));
             Tensor columns = cuda.allocate(DType.F32, Shape.of(128, 288, 121));
             Tensor dw = cuda.allocate(DType.F32, Shape.of(64, 288))) {
            Runnable gradient = () -> cuda.blas().gemmBatchSum(false, true, 1f, dz, columns, 0f, dw);
            gradient.run();
            assertEquals(2, launches(gradient), "batch sum once its buffer is sized");
            cuda.synchronize();
        }
    }

    @Test
    void aGraphRecordsWithoutCountingAndReplaysAsOneLaunch() {
        try (Tensor a = cuda.allocate(DType.F32, Shape.of(1000)); Tensor b = cuda.allocate(DType.F32, Shape.of(1000))) {
            Runnable ops = () -> {
                cuda.elementwise().binary(BinaryOp.ADD, a, b, b);
                cuda.elementwise().binary(BinaryOp.MULTIPLY, a, b, b);
                cuda.fill(a, 2f);
            };
            assertEquals(3, launches(ops), "the ops run eagerly");
            CapturedGraph[] graph = new CapturedGraph[1];
            assertEquals(0, launches(() -> graph[0] = cuda.graphCapture().orElseThrow().capture(ops)), "recording");
            try (CapturedGraph g = graph[0]) {
                assertEquals(1, launches(g::launch), "one replay");
            }
            cuda.synchronize();
        }
    }

    @Test
    void theMultiTensorAdamUpdateOfEightParametersIsOneLaunch() {
        int[] sizes = {288, 32, 18_432, 64, 401_408, 128, 1280, 10};
        List<Tensor> all = new ArrayList<>();
        List<Tensor> p = new ArrayList<>();
        List<Tensor> g = new ArrayList<>();
        List<Tensor> m = new ArrayList<>();
        List<Tensor> v = new ArrayList<>();
        for (int n : sizes) {
            for (List<Tensor> role : List.of(p, g, m, v)) {
                Tensor t = cuda.allocate(DType.F32, Shape.of(n));
                role.add(t);
                all.add(t);
            }
        }
        float[] s = new float[OptimizerSteps.ADAM_SCALARS];
        OptimizerSteps.adamScalars(1e-3f, 0.9f, 0.999f, 0f, false, 1, s);
        var steps = cuda.optimizerSteps();
        try (Tensor scalars = Tensor.of(cuda, s, s.length);
             ParameterGroup group = steps.group(p, g, List.of(m, v))) {
            assertEquals(1, launches(() -> steps.adamAll(group, scalars, 0.9f, 0.999f, 1e-8f, 0f, false)), "adamAll");
            assertEquals(sizes.length, launches(() -> {
                for (int i = 0; i < sizes.length; i++) {
                    steps.adam(p.get(i), g.get(i), m.get(i), v.get(i), scalars, 0.9f, 0.999f, 1e-8f, 0f, false);
                }
            }), "adam per parameter");
            cuda.synchronize();
        } finally {
            all.forEach(Tensor::close);
        }
    }

    @Test
    void eachEpiloguePassIsOneLaunchAndASlicedBiasGradientTwo() {
        BiasReluEpilogue e = cuda.biasReluEpilogue().orElseThrow();
        try (Tensor y = cuda.allocate(DType.F32, Shape.of(1024, 128)); Tensor b = cuda.allocate(DType.F32, Shape.of(128))) {
            // A dense layer: 1024 terms per channel, a block per channel.
            assertEquals(1, CudaBiasReluEpilogue.slices(128, 1024));
            assertEquals(1, launches(() -> e.biasRelu(y, b, y)), "dense biasRelu");
            assertEquals(1, launches(() -> e.biasReluBackward(y, y, y, b)), "dense biasReluBackward with db");
        }
        // The reference network's first convolution at batch 128: 32 channels of 128 x 26 x 26.
        try (Tensor z = cuda.allocate(DType.F32, Shape.of(128, 32, 26, 26));
             Tensor dz = cuda.allocate(DType.F32, Shape.of(128, 32, 26, 26));
             Tensor b = cuda.allocate(DType.F32, Shape.of(32));
             Tensor pooled = cuda.allocate(DType.F32, Shape.of(128, 32, 13, 13));
             Tensor argmax = cuda.allocate(DType.I32, Shape.of(128, 32, 13, 13))) {
            assertEquals(43, CudaBiasReluEpilogue.slices(32, 128 * 26 * 26));
            assertEquals(11, CudaBiasReluEpilogue.slices(32, 128 * 13 * 13));
            assertEquals(1, launches(() -> e.biasRelu(z, b, z)), "conv biasRelu");
            assertEquals(2, launches(() -> e.biasReluBackward(z, dz, dz, b)), "sliced dz and partial sums, then db");
            assertEquals(1, launches(() -> e.biasReluBackward(z, dz, dz, null)), "biasReluBackward without db");
            assertEquals(1, launches(() -> e.biasReluMaxPool(z, b, pooled, argmax)), "biasReluMaxPool");
            assertEquals(2, launches(() -> e.biasReluMaxPoolBackward(pooled, pooled, argmax, dz, b)),
                    "biasReluMaxPoolBackward with db");
            assertEquals(1, launches(() -> e.biasReluMaxPoolBackward(pooled, pooled, argmax, dz, null)),
                    "biasReluMaxPoolBackward without db");
            cuda.synchronize();
        }
    }

    @Test
    void theEpilogueRecordsIntoAGraphAndReplaysTheEagerResults() {
        BiasReluEpilogue e = cuda.biasReluEpilogue().orElseThrow();
        // Both bias gradients summed in slices: the shared partials need no allocation while recording.
        assertEquals(22, CudaBiasReluEpilogue.slices(8, 64 * 26 * 26));
        assertEquals(6, CudaBiasReluEpilogue.slices(8, 64 * 13 * 13));
        float[] data = new float[64 * 8 * 26 * 26];
        for (int i = 0; i < data.length; i++) {
            data[i] = (i * 37 % 101 - 50) / 8f;
        }
        try (Tensor z = Tensor.of(cuda, data, 64, 8, 26, 26); Tensor b = Tensor.of(cuda, new float[8], 8);
             Tensor pooled = cuda.allocate(DType.F32, Shape.of(64, 8, 13, 13));
             Tensor argmax = cuda.allocate(DType.I32, Shape.of(64, 8, 13, 13));
             Tensor dz = cuda.allocate(DType.F32, Shape.of(64, 8, 26, 26));
             Tensor db = cuda.allocate(DType.F32, Shape.of(8));
             Tensor db2 = cuda.allocate(DType.F32, Shape.of(8))) {
            Runnable ops = () -> {
                e.biasReluMaxPool(z, b, pooled, argmax);
                e.biasReluMaxPoolBackward(pooled, pooled, argmax, dz, db);
                e.biasReluBackward(z, z, dz, db2);
            };
            CapturedGraph[] graph = new CapturedGraph[1];
            assertEquals(0, launches(() -> graph[0] = cuda.graphCapture().orElseThrow().capture(ops)), "recording");
            try (CapturedGraph g = graph[0]) {
                assertEquals(1, launches(g::launch), "one replay");
                float[] replayed = db.toFloatArray();
                float[] replayed2 = db2.toFloatArray();
                cuda.fill(db, 0f);
                cuda.fill(db2, 0f);
                ops.run();
                assertArrayEquals(db.toFloatArray(), replayed, "pooled db, eager and replayed");
                assertArrayEquals(db2.toFloatArray(), replayed2, "db, eager and replayed");
            }
        }
    }

    @Test
    void eachBatchNormReluPassTakesTheLaunchesOfItsBatchNormAlone() {
        Normalization plain = cuda.normalization();
        BatchNormRelu fused = cuda.batchNormRelu().orElseThrow();
        // The reference network's first convolution at batch 128 (43 slices per channel), and a dense
        // layer (a block per channel).
        assertEquals(43, CudaNormalization.slices(32, 128 * 26 * 26));
        assertEquals(1, CudaNormalization.slices(128, 128));
        for (Shape shape : List.of(Shape.of(128, 32, 26, 26), Shape.of(128, 128))) {
            int c = shape.dim(1);
            boolean sliced = shape.rank() == 4;
            try (Tensor x = cuda.allocate(DType.F32, shape); Tensor y = cuda.allocate(DType.F32, shape);
                 Tensor dx = cuda.allocate(DType.F32, shape); Tensor v = cuda.allocate(DType.F32, Shape.of(8, c))) {
                Tensor gamma = v.select(0, 0);
                Tensor beta = v.select(0, 1);
                Tensor runningMean = v.select(0, 2);
                Tensor runningVar = v.select(0, 3);
                Tensor savedMean = v.select(0, 4);
                Tensor savedInvStd = v.select(0, 5);
                Tensor dGamma = v.select(0, 6);
                Tensor dBeta = v.select(0, 7);
                long training = launches(() -> plain.batchNormTraining(x, gamma, beta, 0.1f, 1e-5f, runningMean,
                        runningVar, y, savedMean, savedInvStd));
                long inference = launches(() -> plain.batchNormInference(x, gamma, beta, runningMean, runningVar,
                        1e-5f, y));
                long backward = launches(() -> plain.batchNormBackward(x, y, gamma, savedMean, savedInvStd, dx, dGamma,
                        dBeta));
                assertEquals(sliced ? 3 : 1, training, shape + " batchNormTraining");
                assertEquals(1, inference, shape + " batchNormInference");
                assertEquals(sliced ? 2 : 1, backward, shape + " batchNormBackward");
                assertEquals(training, launches(() -> fused.batchNormReluTraining(x, gamma, beta, 0.1f, 1e-5f,
                        runningMean, runningVar, y, savedMean, savedInvStd)), shape + " batchNormReluTraining");
                assertEquals(inference, launches(() -> fused.batchNormReluInference(x, gamma, beta, runningMean,
                        runningVar, 1e-5f, y)), shape + " batchNormReluInference");
                assertEquals(backward, launches(() -> fused.batchNormReluBackward(x, y, y, gamma, savedMean,
                        savedInvStd, dx, dGamma, dBeta)), shape + " batchNormReluBackward");
                cuda.synchronize();
            }
        }
    }

    @Test
    void batchNormReluRecordsIntoAGraphAndReplaysTheEagerResults() {
        BatchNormRelu fused = cuda.batchNormRelu().orElseThrow();
        int c = 8;
        // Training and backward sliced: the shared partials need no allocation while recording.
        assertEquals(2, CudaNormalization.slices(c, 16 * 12 * 12));
        float[] data = new float[16 * c * 12 * 12];
        for (int i = 0; i < data.length; i++) {
            data[i] = (i * 37 % 101 - 50) / 8f;
        }
        float[] vectors = new float[4 * c];
        for (int i = 0; i < c; i++) {
            vectors[i] = 1f + i / 8f;        // gamma
            vectors[c + i] = (i - 4) / 4f;   // beta
            vectors[3 * c + i] = 1f;         // running variance
        }
        try (Tensor x = Tensor.of(cuda, data, 16, c, 12, 12); Tensor dy = Tensor.of(cuda, data, 16, c, 12, 12);
             Tensor v = Tensor.of(cuda, vectors, 4, c); Tensor saved = cuda.allocate(DType.F32, Shape.of(2, c));
             Tensor y = cuda.allocate(DType.F32, Shape.of(16, c, 12, 12));
             Tensor inferred = cuda.allocate(DType.F32, Shape.of(16, c, 12, 12));
             Tensor dx = cuda.allocate(DType.F32, Shape.of(16, c, 12, 12));
             Tensor grads = cuda.allocate(DType.F32, Shape.of(2, c))) {
            Runnable ops = () -> {
                fused.batchNormReluInference(x, v.select(0, 0), v.select(0, 1), v.select(0, 2), v.select(0, 3),
                        1e-5f, inferred);
                fused.batchNormReluTraining(x, v.select(0, 0), v.select(0, 1), 0.1f, 1e-5f, v.select(0, 2),
                        v.select(0, 3), y, saved.select(0, 0), saved.select(0, 1));
                fused.batchNormReluBackward(x, y, dy, v.select(0, 0), saved.select(0, 0), saved.select(0, 1), dx,
                        grads.select(0, 0), grads.select(0, 1));
            };
            CapturedGraph[] graph = new CapturedGraph[1];
            assertEquals(0, launches(() -> graph[0] = cuda.graphCapture().orElseThrow().capture(ops)), "recording");
            try (CapturedGraph g = graph[0]) {
                assertEquals(1, launches(g::launch), "one replay");
                float[][] replayed = {inferred.toFloatArray(), y.toFloatArray(), dx.toFloatArray(),
                    grads.toFloatArray(), v.toFloatArray()};
                // The replay updated the running statistics: run eagerly from the same starting point.
                v.copyFrom(vectors);
                for (Tensor t : List.of(inferred, y, dx, grads)) {
                    cuda.fill(t, 0f);
                }
                ops.run();
                assertArrayEquals(inferred.toFloatArray(), replayed[0], "inference, eager and replayed");
                assertArrayEquals(y.toFloatArray(), replayed[1], "training output, eager and replayed");
                assertArrayEquals(dx.toFloatArray(), replayed[2], "dx, eager and replayed");
                assertArrayEquals(grads.toFloatArray(), replayed[3], "dGamma and dBeta, eager and replayed");
                assertArrayEquals(v.toFloatArray(), replayed[4], "running statistics, eager and replayed");
            }
        }
    }
}
