package dev.strix.layers;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.strix.tensor.Backend;
import dev.strix.tensor.Backends;
import dev.strix.tensor.Shape;
import dev.strix.tensor.Tensor;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class SequentialTest {
    private static final Backend CPU = Backends.cpu();

    private static Sequential small(SplittableRandom random) {
        return new Sequential(Shape.of(1, 8, 8),
                Conv2D.builder(1, 4).kernel(3, 3).padding(Padding.SAME).build(CPU, random),
                new BatchNorm2D(CPU, 4),
                new ReLU(CPU),
                new MaxPool2D(CPU, 2),
                new Flatten(CPU),
                new Dense(CPU, 4 * 4 * 4, 3, random));
    }

    @Test
    void summaryListsShapesAndCountsWithTotals() {
        String nl = System.lineSeparator();
        try (Sequential model = small(new SplittableRandom(1))) {
            String expected = String.join(nl,
                    "Input: [-1, 1, 8, 8]",
                    "Layer                                                     Output shape    Params",
                    "--------------------------------------------------------------------------------",
                    "0  Conv2D(1 -> 4, kernel 3x3, stride 1x1, padding same)   [-1, 4, 8, 8]       40",
                    "1  BatchNorm2D(4)                                         [-1, 4, 8, 8]       16",
                    "2  ReLU                                                   [-1, 4, 8, 8]        0",
                    "3  MaxPool2D(2x2, stride 2x2)                             [-1, 4, 4, 4]        0",
                    "4  Flatten                                                [-1, 64]             0",
                    "5  Dense(64 -> 3)                                         [-1, 3]            195",
                    "--------------------------------------------------------------------------------",
                    "Total params: 251",
                    "Trainable params: 243",
                    "Non-trainable params: 8",
                    "");
            assertEquals(expected, model.summary());
            assertEquals(243, model.trainableCount());
            assertEquals(8, model.nonTrainableCount());
        }
    }

    @Test
    void namesArePrefixedWithTheLayerIndex() {
        try (Sequential model = small(new SplittableRandom(2))) {
            assertEquals(List.of("0.weight", "0.bias", "1.weight", "1.bias", "5.weight", "5.bias"),
                    model.parameters().stream().map(Parameter::name).toList());
            assertEquals(List.of("1.running_mean", "1.running_var"), List.copyOf(model.buffers().keySet()));
            assertEquals(Shape.of(4, 1, 3, 3), model.parameters().get(0).value().shape());
        }
    }

    @Test
    void aShapeMismatchAtBuildTimeNamesTheLayerAndBothShapes() {
        SplittableRandom random = new SplittableRandom(3);
        List<Layer> layers = List.of(
                Conv2D.builder(1, 4).kernel(3, 3).build(CPU, random),
                new Flatten(CPU),
                new Dense(CPU, 64, 3, random));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new Sequential(Shape.of(1, 8, 8), layers));
        String m = e.getMessage();
        assertTrue(m.contains("layer 2") && m.contains("Dense(64 -> 3)") && m.contains("[N, 64]")
                && m.contains("[1, 144]"), m);
        layers.forEach(Layer::close);
    }

    @Test
    void aWrongInputAtRunTimeNamesTheLayer() {
        try (Sequential model = small(new SplittableRandom(4));
             Tensor x = TestData.uniform(CPU, new SplittableRandom(5), 2, 3, 8, 8)) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> model.forward(x, Mode.TRAINING));
            assertTrue(e.getMessage().contains("layer 0") && e.getMessage().contains("[2, 3, 8, 8]"), e.getMessage());
        }
    }

    @Test
    void theWholeModelPassesTheGradientCheck() {
        // Smooth layers only, so no perturbation can cross a ReLU or max-pool kink. No convolution bias:
        // batch normalisation cancels any per-channel shift, so its gradient is exactly zero.
        SplittableRandom random = new SplittableRandom(6);
        try (Sequential model = new Sequential(Shape.of(2, 5, 5),
                     Conv2D.builder(2, 3).kernel(3, 2).stride(2, 1).padding(1, 1).bias(false).build(CPU, random),
                     new BatchNorm2D(CPU, 3),
                     new Flatten(CPU),
                     new Dense(CPU, 3 * 3 * 6, 4, random),
                     new Softmax(CPU));
             Tensor x = TestData.uniform(CPU, random, 3, 2, 5, 5)) {
            GradientCheck.check(model, x, Mode.TRAINING, random);
        }
    }

    @Test
    void backwardParametersStoresTheSameParameterGradientsAsBackward() {
        for (ConvAlgorithm algorithm : List.of(ConvAlgorithm.STRIDED_VIEW, ConvAlgorithm.IM2COL_GEMM)) {
            SplittableRandom random = new SplittableRandom(9);
            try (Sequential convFirst = new Sequential(Shape.of(2, 7, 6),
                         Conv2D.builder(2, 3).kernel(3, 3).stride(2, 1).padding(1, 1).algorithm(algorithm)
                                 .build(CPU, random),
                         new ReLU(CPU), new Flatten(CPU), new Dense(CPU, 3 * 4 * 6, 5, random));
                 Sequential denseFirst = new Sequential(Shape.of(6),
                         new Dense(CPU, 6, 4, random), new ReLU(CPU), new Dense(CPU, 4, 3, random));
                 Tensor image = TestData.uniform(CPU, random, 3, 2, 7, 6);
                 Tensor vector = TestData.uniform(CPU, random, 3, 6);
                 Tensor imageGradient = TestData.uniform(CPU, random, 3, 5);
                 Tensor vectorGradient = TestData.uniform(CPU, random, 3, 3)) {
                assertSameParameterGradients(algorithm + " conv first", convFirst, image, imageGradient);
                assertSameParameterGradients("dense first", denseFirst, vector, vectorGradient);
            }
        }
    }

    private static void assertSameParameterGradients(String what, Sequential model, Tensor x, Tensor dy) {
        model.forward(x, Mode.TRAINING);
        model.backward(dy);
        List<float[]> full = model.parameters().stream().map(p -> p.gradient().toFloatArray()).toList();
        for (Parameter p : model.parameters()) {
            p.gradient().fill(Float.NaN);
        }
        model.forward(x, Mode.TRAINING);
        model.backwardParameters(dy);
        for (int i = 0; i < full.size(); i++) {
            Parameter p = model.parameters().get(i);
            org.junit.jupiter.api.Assertions.assertArrayEquals(full.get(i), p.gradient().toFloatArray(),
                    what + ": " + p.name());
        }
    }

    @Test
    void reluBeforePoolingRunsAfterItWithTheSameOutputsAndGradients() {
        // The same model twice (same seed): once through Sequential, which pools before the ReLU,
        // once layer by layer in the declared order.
        try (Sequential model = pooled(new SplittableRandom(21)); Sequential layers = pooled(new SplittableRandom(21));
             Tensor x = TestData.uniform(CPU, new SplittableRandom(22), 3, 2, 9, 8);
             Tensor dy = TestData.uniform(CPU, new SplittableRandom(23), 3, 5)) {
            assertSameAsLayerByLayer(model, layers, x, dy);
        }
    }

    @Test
    void convReluPoolBlocksRunFusedWithTheLayerByLayerNumbers() {
        // Two conv + ReLU + 2x2 pool blocks (the second one needs its input gradient), through
        // Sequential, which runs each block as one fused pass on the CPU, and layer by layer.
        try (Sequential model = twoBlocks(new SplittableRandom(31)); Sequential layers = twoBlocks(new SplittableRandom(31));
             Tensor x = TestData.uniform(CPU, new SplittableRandom(32), 4, 2, 10, 10);
             Tensor dy = TestData.uniform(CPU, new SplittableRandom(33), 4, 3)) {
            assertEquals(List.of(ConvReluMaxPool.class, ConvReluMaxPool.class, DenseRelu.class), passTypes(model),
                    "both blocks fused through the implicit GEMM, and the dense + ReLU head");
            assertSameAsLayerByLayer(model, layers, x, dy);
            assertSameParameterGradients("fused first block", model, x, dy);
        }
    }

    @Test
    void materialisedColumnsRunTheBlocksAsOneGemmOverTheBatchThenTheEpilogue() {
        // With the implicit GEMM off (as on a GPU), each block is the convolution into a
        // channel-major Z (one GEMM over the batch matrix), then bias + ReLU + pooling in one pass;
        // layer by layer each convolution runs one GEMM per sample into a contiguous Z.
        try (Sequential model = builtWith(Im2colConvolution.IMPLICIT_PROPERTY, "false",
                     () -> twoBlocks(new SplittableRandom(51)));
             Sequential layers = builtWith(Im2colConvolution.IMPLICIT_PROPERTY, "false",
                     () -> twoBlocks(new SplittableRandom(51)));
             Tensor x = TestData.uniform(CPU, new SplittableRandom(52), 4, 2, 10, 10);
             Tensor dy = TestData.uniform(CPU, new SplittableRandom(53), 4, 3)) {
            assertEquals(List.of(ConvBiasReluMaxPool.class, ConvBiasReluMaxPool.class, DenseRelu.class),
                    passTypes(model));
            Conv2D first = (Conv2D) model.layers().get(0);
            assertTrue(first.path().channelMajorOutput(first.geometry(Shape.of(4, 2, 10, 10))));
            assertSameAsLayerByLayer(model, layers, x, dy, 1e-6f);
            assertSameParameterGradients("fused first block", model, x, dy);
        }
    }

    @Test
    void aConvolutionBeforeABatchNormWritesChannelMajorWithMaterialisedColumns() {
        // As on a GPU (implicit GEMM off): each convolution followed by a batch norm writes its output
        // channel-major (one GEMM over the batch), and the batch norm hands the gradient back so;
        // against the same model built with the implicit GEMM, which writes NCHW.
        try (Sequential layers = convBatchNorm(new SplittableRandom(61));
             Sequential model = builtWith(Im2colConvolution.IMPLICIT_PROPERTY, "false",
                     () -> convBatchNorm(new SplittableRandom(61)));
             Tensor x = TestData.uniform(CPU, new SplittableRandom(62), 4, 2, 10, 10);
             Tensor dy = TestData.uniform(CPU, new SplittableRandom(63), 4, 3)) {
            assertSameAsLayerByLayer(model, layers, x, dy, 1e-5f);
            for (int i : new int[] {0, 3}) {
                Layer conv = model.layers().get(i);
                Tensor in = i == 0 ? x : model.layers().get(2).forward(
                        model.layers().get(1).forward(model.layers().get(0).forward(x, Mode.TRAINING), Mode.TRAINING),
                        Mode.TRAINING);
                Tensor z = conv.forward(in, Mode.TRAINING);
                assertTrue(!z.isContiguous() && z.permute(1, 0, 2, 3).isContiguous(), "layer " + i + ": " + z);
                Tensor dz = model.layers().get(i + 1).backward(model.layers().get(i + 1).forward(z, Mode.TRAINING));
                assertTrue(!dz.isContiguous() && dz.permute(1, 0, 2, 3).isContiguous(), "layer " + (i + 1) + ": " + dz);
                Tensor alone = layers.layers().get(i).forward(in, Mode.TRAINING);
                assertTrue(alone.isContiguous(), "implicit GEMM: " + alone);
            }
        }
    }

    private static Sequential convBatchNorm(SplittableRandom random) {
        return new Sequential(Shape.of(2, 10, 10),
                Conv2D.builder(2, 4).kernel(3, 3).padding(1, 1).bias(false).build(CPU, random),
                new BatchNorm2D(CPU, 4),
                new ReLU(CPU),
                Conv2D.builder(4, 6).kernel(3, 3).bias(false).build(CPU, random),
                new BatchNorm2D(CPU, 6),
                new ReLU(CPU),
                new MaxPool2D(CPU, 2),
                new Flatten(CPU),
                new Dense(CPU, 6 * 4 * 4, 3, random));
    }

    /** The model {@code build} makes while the system property {@code name} is {@code value} (read when layers are built). */
    private static Sequential builtWith(String name, String value, java.util.function.Supplier<Sequential> build) {
        return SystemProperties.with(name, value, build);
    }

    @Test
    void theFusionPropertyRunsTheBlocksAsSeparateLayers() {
        try (Sequential model = builtWith(Sequential.FUSION_PROPERTY, "false", () -> twoBlocks(new SplittableRandom(31)))) {
            assertEquals(List.of(), passTypes(model));
            assertEquals("fused: none", model.fusion());
        }
    }

    @Test
    void otherConvolutionsFuseTheirBiasReluAndPoolingIntoOneEpiloguePass() {
        // STRIDED_VIEW and CUDNN (the CPU's direct loops) have no implicit GEMM: the convolution runs
        // without its bias, then bias + ReLU + pooling in one pass, each way. STRIDED_VIEW adds its
        // bias afterwards in float32 as the epilogue does, so only the bias-gradient sums may differ;
        // the direct loops add it inside their double-precision sums, so there the rounding differs.
        for (ConvAlgorithm algorithm : List.of(ConvAlgorithm.STRIDED_VIEW, ConvAlgorithm.CUDNN)) {
            try (Sequential model = twoBlocks(new SplittableRandom(41), algorithm);
                 Sequential layers = twoBlocks(new SplittableRandom(41), algorithm);
                 Tensor x = TestData.uniform(CPU, new SplittableRandom(42), 4, 2, 10, 10);
                 Tensor dy = TestData.uniform(CPU, new SplittableRandom(43), 4, 3)) {
                assertEquals(List.of(ConvBiasReluMaxPool.class, ConvBiasReluMaxPool.class, DenseRelu.class),
                        passTypes(model), algorithm.toString());
                assertSameAsLayerByLayer(model, layers, x, dy, algorithm == ConvAlgorithm.CUDNN ? 1e-6f : 0f);
                assertSameParameterGradients(algorithm + ", fused first block", model, x, dy);
            }
        }
    }

    @Test
    void denseReluRunsFusedWithTheLayerByLayerNumbers() {
        SplittableRandom random = new SplittableRandom(51);
        try (Sequential model = denseHead(new SplittableRandom(52)); Sequential layers = denseHead(new SplittableRandom(52));
             Tensor x = TestData.uniform(CPU, random, 5, 12);
             Tensor dy = TestData.uniform(CPU, random, 5, 3)) {
            assertEquals(List.of(DenseRelu.class, DenseRelu.class), passTypes(model));
            assertEquals("fused: layers 0-1 dense + ReLU; layers 2-3 dense + ReLU", model.fusion());
            assertSameAsLayerByLayer(model, layers, x, dy);
            assertSameParameterGradients("dense + ReLU first", model, x, dy);
        }
    }

    @Test
    void batchNormReluRunsFusedExceptBeforeAPoolingWhereReluAndPoolingFuseWithTheLayerByLayerNumbers() {
        try (Sequential model = normalized(new SplittableRandom(61)); Sequential layers = normalized(new SplittableRandom(61));
             Tensor x = TestData.uniform(CPU, new SplittableRandom(62), 4, 1, 10, 10);
             Tensor dy = TestData.uniform(CPU, new SplittableRandom(63), 4, 3)) {
            // conv BN ReLU (fused), conv BN ReLU pool (ReLU and pooling fused), dense BN ReLU (fused).
            assertEquals(List.of(BatchNormReluPass.class, ReluMaxPool.class, BatchNormReluPass.class), passTypes(model));
            assertEquals("fused: layers 1-2 batch norm + ReLU; layers 5-6 ReLU + 2x2 max pool; layers 9-10 batch norm"
                    + " + ReLU", model.fusion());
            // Evaluation first, while both models hold the same running statistics.
            Tensor h = x;
            for (Layer layer : layers.layers()) {
                h = layer.forward(h, Mode.EVALUATION);
            }
            org.junit.jupiter.api.Assertions.assertArrayEquals(h.toFloatArray(),
                    model.forward(x, Mode.EVALUATION).toFloatArray(), 0f, "evaluation outputs");
            assertSameAsLayerByLayer(model, layers, x, dy);
            for (int i = 0; i < model.buffers().size(); i++) {
                String name = List.copyOf(model.buffers().keySet()).get(i);
                org.junit.jupiter.api.Assertions.assertArrayEquals(layers.buffers().get(name).toFloatArray(),
                        model.buffers().get(name).toFloatArray(), 0f, name);
            }
            assertSameParameterGradients("batch norm + ReLU", model, x, dy);
        }
    }

    @Test
    void aModelThatStartsWithReluAndPoolingFusesThemAndKeepsTheLayerByLayerNumbers() {
        // Odd plane sizes: the pooling drops the last row and column, fused or not.
        try (Sequential model = reluPoolFirst(new SplittableRandom(81)); Sequential layers = reluPoolFirst(new SplittableRandom(81));
             Tensor x = TestData.uniform(CPU, new SplittableRandom(82), 3, 2, 7, 9);
             Tensor dy = TestData.uniform(CPU, new SplittableRandom(83), 3, 4)) {
            assertEquals(List.of(ReluMaxPool.class), passTypes(model));
            assertSameAsLayerByLayer(model, layers, x, dy);
            assertSameParameterGradients("ReLU + pooling first", model, x, dy);
        }
    }

    private static Sequential reluPoolFirst(SplittableRandom random) {
        return new Sequential(Shape.of(2, 7, 9), new ReLU(CPU), new MaxPool2D(CPU, 2), new Flatten(CPU),
                new Dense(CPU, 2 * 3 * 4, 4, random));
    }

    private static Sequential normalized(SplittableRandom random) {
        return new Sequential(Shape.of(1, 10, 10),
                Conv2D.builder(1, 4).kernel(3, 3).bias(false).build(CPU, random), new BatchNorm2D(CPU, 4), new ReLU(CPU),
                Conv2D.builder(4, 4).kernel(3, 3).bias(false).build(CPU, random), new BatchNorm2D(CPU, 4), new ReLU(CPU),
                new MaxPool2D(CPU, 2),
                new Flatten(CPU),
                new Dense(CPU, 4 * 3 * 3, 6, false, Init.KAIMING_UNIFORM, random), new BatchNorm1D(CPU, 6),
                new ReLU(CPU),
                new Dense(CPU, 6, 3, random));
    }

    @Test
    void cudnnPoolingIsNeverFusedAwayAndGivesTheLayerByLayerNumbers() {
        try (Sequential model = cudnnPooled(new SplittableRandom(71)); Sequential layers = cudnnPooled(new SplittableRandom(71));
             Tensor x = TestData.uniform(CPU, new SplittableRandom(72), 3, 2, 10, 10);
             Tensor dy = TestData.uniform(CPU, new SplittableRandom(73), 3, 3)) {
            // The conv + ReLU + pool block stays three layers (pooling, then the ReLU); only the head fuses.
            assertEquals(List.of(DenseRelu.class), passTypes(model));
            assertSameAsLayerByLayer(model, layers, x, dy);
        }
    }

    private static Sequential cudnnPooled(SplittableRandom random) {
        return new Sequential(Shape.of(2, 10, 10),
                Conv2D.builder(2, 4).kernel(3, 3).build(CPU, random), new ReLU(CPU),
                new MaxPool2D(CPU, 2, PoolingAlgorithm.CUDNN),
                new Flatten(CPU), new Dense(CPU, 4 * 4 * 4, 5, random), new ReLU(CPU), new Dense(CPU, 5, 3, random));
    }

    private static Sequential denseHead(SplittableRandom random) {
        return new Sequential(Shape.of(12),
                new Dense(CPU, 12, 8, random), new ReLU(CPU),
                new Dense(CPU, 8, 6, false, Init.KAIMING_UNIFORM, random), new ReLU(CPU),
                new Dense(CPU, 6, 3, random));
    }

    private static List<Class<?>> passTypes(Sequential model) {
        return model.fusedPasses().stream().<Class<?>>map(Object::getClass).toList();
    }

    private static Sequential twoBlocks(SplittableRandom random) {
        return twoBlocks(random, ConvAlgorithm.IM2COL_GEMM);
    }

    private static Sequential twoBlocks(SplittableRandom random, ConvAlgorithm algorithm) {
        return new Sequential(Shape.of(2, 10, 10),
                Conv2D.builder(2, 4).kernel(3, 3).padding(1, 1).algorithm(algorithm).build(CPU, random),
                new ReLU(CPU),
                new MaxPool2D(CPU, 2),
                Conv2D.builder(4, 6).kernel(3, 3).algorithm(algorithm).build(CPU, random),
                new ReLU(CPU),
                new MaxPool2D(CPU, 2),
                new Flatten(CPU),
                new Dense(CPU, 6, 5, random),
                new ReLU(CPU),
                new Dense(CPU, 5, 3, random));
    }

    /**
     * {@code model} (through Sequential, with its reorderings and fusions) against {@code layers}
     * (the same model, same seed) run layer by layer in the declared order: identical outputs,
     * input gradients and weight gradients, bit for bit; bias gradients within 1e-6 (a fused pass
     * sums them in another order).
     */
    private static void assertSameAsLayerByLayer(Sequential model, Sequential layers, Tensor x, Tensor dy) {
        assertSameAsLayerByLayer(model, layers, x, dy, 0f);
    }

    /** {@link #assertSameAsLayerByLayer(Sequential, Sequential, Tensor, Tensor)} within {@code tolerance}. */
    private static void assertSameAsLayerByLayer(Sequential model, Sequential layers, Tensor x, Tensor dy,
                                                 float tolerance) {
        float[] output = model.forward(x, Mode.TRAINING).toFloatArray();
        float[] dx = model.backward(dy).toFloatArray();
        Tensor h = x;
        for (Layer layer : layers.layers()) {
            h = layer.forward(h, Mode.TRAINING);
        }
        org.junit.jupiter.api.Assertions.assertArrayEquals(h.toFloatArray(), output, tolerance, "outputs");
        Tensor g = dy;
        for (int i = layers.layers().size() - 1; i >= 0; i--) {
            g = layers.layers().get(i).backward(g);
        }
        org.junit.jupiter.api.Assertions.assertArrayEquals(g.toFloatArray(), dx, tolerance, "input gradient");
        for (int i = 0; i < model.parameters().size(); i++) {
            Parameter p = model.parameters().get(i);
            float allowed = p.name().endsWith("bias") ? Math.max(1e-6f, tolerance) : tolerance;
            org.junit.jupiter.api.Assertions.assertArrayEquals(layers.parameters().get(i).gradient().toFloatArray(),
                    p.gradient().toFloatArray(), allowed, p.name());
        }
    }

    private static Sequential pooled(SplittableRandom random) {
        return new Sequential(Shape.of(2, 9, 8),
                Conv2D.builder(2, 4).kernel(3, 3).build(CPU, random),
                new ReLU(CPU),
                new MaxPool2D(CPU, 2),
                new Flatten(CPU),
                new Dense(CPU, 4 * 3 * 3, 5, random));
    }

    @Test
    void anObserverHearsEveryPassOnceEachWayInTheOrderItRan() {
        // BN alone (a pooling follows its ReLU), then ReLU and cuDNN-style pooling (never fused: run
        // pooling first), Flatten, Dense.
        SplittableRandom random = new SplittableRandom(91);
        try (Sequential model = new Sequential(Shape.of(2, 6, 6), new BatchNorm2D(CPU, 2), new ReLU(CPU),
                new MaxPool2D(CPU, 2, PoolingAlgorithm.CUDNN), new Flatten(CPU), new Dense(CPU, 2 * 3 * 3, 3, random));
             Tensor x = TestData.uniform(CPU, new SplittableRandom(92), 4, 2, 6, 6);
             Tensor dy = TestData.uniform(CPU, new SplittableRandom(93), 4, 3)) {
            List<String> heard = new java.util.ArrayList<>();
            model.observePasses((first, last, label, backward) ->
                    heard.add((backward ? "backward " : "forward ") + first + "-" + last + " " + label));
            model.forward(x, Mode.TRAINING);
            model.backward(dy);
            model.forward(x, Mode.TRAINING);
            model.backwardParameters(dy);
            String bn = "0-0 layer 0: " + model.layers().get(0).description();
            String pool = "1-2 layers 1-2: " + model.layers().get(2).description() + ", then ReLU (pooling first)";
            String flatten = "3-3 layer 3: Flatten";
            String dense = "4-4 layer 4: " + model.layers().get(4).description();
            List<String> step = List.of("forward " + bn, "forward " + pool, "forward " + flatten, "forward " + dense,
                    "backward " + dense, "backward " + flatten, "backward " + pool, "backward " + bn);
            List<String> twice = new java.util.ArrayList<>(step);
            twice.addAll(step);
            assertEquals(twice, heard);

            model.observePasses(null);
            model.forward(x, Mode.TRAINING);
            assertEquals(16, heard.size(), "no observer, nothing heard");
        }
    }

    @Test
    void fusedPassesAreHeardAsOnePassNamedByTheirFusion() {
        try (Sequential model = twoBlocks(new SplittableRandom(94));
             Tensor x = TestData.uniform(CPU, new SplittableRandom(95), 2, 2, 10, 10);
             Tensor dy = TestData.uniform(CPU, new SplittableRandom(96), 2, 3)) {
            List<String> forward = new java.util.ArrayList<>();
            List<String> backward = new java.util.ArrayList<>();
            model.observePasses((first, last, label, isBackward) ->
                    (isBackward ? backward : forward).add(first + "-" + last + " " + label));
            model.forward(x, Mode.TRAINING);
            model.backwardParameters(dy);
            List<FusedPass> passes = model.fusedPasses();
            assertEquals("0-2 layers 0-2: " + passes.get(0).description(), forward.get(0));
            assertEquals(forward.reversed(), backward);
            assertTrue(forward.stream().allMatch(s -> s.matches("\\d+-\\d+ layers? \\d+(-\\d+)?: .+")), forward.toString());
        }
    }
}
