package dev.strix.layers;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.strix.tensor.Backend;
import dev.strix.tensor.Backends;
import dev.strix.tensor.Shape;
import dev.strix.tensor.Tensor;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.api.Test;

class Conv2DTest {
    private static final Backend CPU = Backends.cpu();

    /** One convolution configuration: odd sizes, strides, paddings, batch 1, non-power-of-two channels. */
    record Case(int n, int c, int h, int w, int o, int kh, int kw, int sh, int sw, Padding padding, boolean bias) {
        Conv2D build(ConvAlgorithm algorithm, SplittableRandom random) {
            return Conv2D.builder(c, o).kernel(kh, kw).stride(sh, sw).padding(padding).bias(bias).algorithm(algorithm)
                    .build(CPU, random);
        }

        NaiveConvolution reference() {
            return new NaiveConvolution(n, c, h, w, o, kh, kw, sh, sw, padding.resolve(h, w, kh, kw, sh, sw));
        }
    }

    static final List<Case> CASES = List.of(
            new Case(1, 3, 7, 6, 5, 3, 2, 2, 1, Padding.of(1, 1), true),     // batch 1, stride 2, padding 1, 3x2
            new Case(2, 2, 5, 5, 3, 3, 3, 2, 2, Padding.SAME, true),         // same padding with stride 2
            new Case(2, 3, 6, 7, 1, 2, 3, 1, 1, Padding.VALID, false),       // one output channel, no bias
            new Case(3, 5, 9, 8, 6, 4, 3, 3, 2, Padding.of(2, 1), true),     // stride leaves rows unused
            new Case(2, 3, 5, 6, 7, 1, 1, 1, 2, Padding.VALID, true),        // 1x1 kernel
            new Case(1, 2, 6, 6, 3, 4, 4, 1, 1, Padding.SAME, true));        // even kernel, asymmetric same

    private static float[] random(SplittableRandom random, int size) {
        float[] a = new float[size];
        for (int i = 0; i < size; i++) {
            a[i] = (float) (random.nextDouble() * 2 - 1);
        }
        return a;
    }

    private static void assertClose(String what, double[] expected, float[] actual) {
        assertEquals(expected.length, actual.length, what + " size");
        for (int i = 0; i < expected.length; i++) {
            if (!(Math.abs(expected[i] - actual[i]) <= 1e-5 * Math.max(1, Math.abs(expected[i])))) {
                fail(what + ": element " + i + " is " + actual[i] + ", the naive loops give " + expected[i]);
            }
        }
    }

    @ParameterizedTest
    @EnumSource(value = ConvAlgorithm.class, names = {"STRIDED_VIEW", "IM2COL_GEMM"})
    void passesTheNumericGradientCheck(ConvAlgorithm algorithm) {
        for (Case k : CASES) {
            SplittableRandom random = new SplittableRandom(7);
            try (Conv2D conv = k.build(algorithm, random);
                 Tensor x = Tensor.of(CPU, random(random, k.n() * k.c() * k.h() * k.w()), k.n(), k.c(), k.h(), k.w())) {
                GradientCheck.check(conv, x, Mode.TRAINING, random);
            }
        }
    }

    @Test
    void bothAlgorithmsMatchTheSevenLoopReferenceForwardAndBackward() {
        for (Case k : CASES) {
            SplittableRandom random = new SplittableRandom(11);
            float[] input = random(random, k.n() * k.c() * k.h() * k.w());
            NaiveConvolution ref = k.reference();
            float[] dz = random(random, k.n() * k.o() * ref.oh * ref.ow);
            for (ConvAlgorithm algorithm : List.of(ConvAlgorithm.STRIDED_VIEW, ConvAlgorithm.IM2COL_GEMM)) {
                String what = algorithm + " " + k;
                try (Conv2D conv = k.build(algorithm, new SplittableRandom(3));
                     Tensor x = Tensor.of(CPU, input, k.n(), k.c(), k.h(), k.w());
                     Tensor g = Tensor.of(CPU, dz, k.n(), k.o(), ref.oh, ref.ow)) {
                    float[] weight = conv.weight().value().toFloatArray();
                    float[] bias = k.bias() ? conv.bias().value().toFloatArray() : null;
                    Tensor z = conv.forward(x, Mode.TRAINING);
                    assertEquals(Shape.of(k.n(), k.o(), ref.oh, ref.ow), z.shape(), what + " output shape");
                    assertClose(what + " forward", ref.forward(input, weight, bias), z.toFloatArray());
                    double[][] grads = ref.backward(input, weight, dz);
                    assertClose(what + " dX", grads[0], conv.backward(g).toFloatArray());
                    assertClose(what + " dW", grads[1], conv.weight().gradient().toFloatArray());
                    if (k.bias()) {
                        assertClose(what + " db", grads[2], conv.bias().gradient().toFloatArray());
                    }
                }
            }
        }
    }

    @Test
    void backwardInputGivesBackwardsInputGradientAndLeavesParameterGradientsAlone() {
        for (Case k : CASES) {
            SplittableRandom random = new SplittableRandom(13);
            float[] input = random(random, k.n() * k.c() * k.h() * k.w());
            NaiveConvolution ref = k.reference();
            float[] dz = random(random, k.n() * k.o() * ref.oh * ref.ow);
            for (ConvAlgorithm algorithm : List.of(ConvAlgorithm.STRIDED_VIEW, ConvAlgorithm.IM2COL_GEMM)) {
                String what = algorithm + " " + k;
                try (Conv2D conv = k.build(algorithm, new SplittableRandom(3));
                     Tensor x = Tensor.of(CPU, input, k.n(), k.c(), k.h(), k.w());
                     Tensor g = Tensor.of(CPU, dz, k.n(), k.o(), ref.oh, ref.ow)) {
                    double[][] grads = ref.backward(input, conv.weight().value().toFloatArray(), dz);
                    conv.forward(x, Mode.TRAINING);
                    for (Parameter p : conv.parameters()) {
                        p.gradient().fill(7f);
                    }
                    assertClose(what + " dX alone", grads[0], conv.backwardInput(g).toFloatArray());
                    for (Parameter p : conv.parameters()) {
                        for (float v : p.gradient().toFloatArray()) {
                            assertEquals(7f, v, what + ": " + p.name() + " gradient untouched");
                        }
                    }
                }
            }
        }
    }

    @Test
    void everyIm2colVariantMatchesTheStridedView() {
        ConvGeometry g = new ConvGeometry(5, 3, 7, 6, 4, 3, 3, 2, 1, new Padding.Amounts(1, 1, 1, 1), 4, 6);
        long sample = (long) g.patchSize() * g.oh() * g.ow();
        // Materialised columns: a budget of two samples (the batch of 5 goes through as 2 + 2 + 1)
        // and a whole-batch budget (backward reuses the forward columns); then the implicit GEMM.
        Im2colConvolution[] variants = {
            new Im2colConvolution(CPU, 2 * sample, false),
            new Im2colConvolution(CPU, 5 * sample, false),
            new Im2colConvolution(CPU)};
        String[] names = {"chunked columns", "whole-batch columns", "implicit GEMM"};
        SplittableRandom random = new SplittableRandom(5);
        try (StridedViewConvolution view = new StridedViewConvolution(CPU);
             Tensor x = Tensor.of(CPU, random(random, 5 * 3 * 7 * 6), 5, 3, 7, 6);
             Tensor w = Tensor.of(CPU, random(random, 4 * 3 * 3 * 3), 4, 3, 3, 3);
             Tensor dz = Tensor.of(CPU, random(random, 5 * 4 * 4 * 6), 5, 4, 4, 6);
             Tensor b = Tensor.of(CPU, random(random, 4), 4);
             Tensor db1 = CPU.allocate(dev.strix.tensor.DType.F32, b.shape());
             Tensor db2 = CPU.allocate(dev.strix.tensor.DType.F32, b.shape());
             Tensor z1 = CPU.allocate(dev.strix.tensor.DType.F32, g.output());
             Tensor z2 = CPU.allocate(dev.strix.tensor.DType.F32, g.output());
             Tensor dw1 = CPU.allocate(dev.strix.tensor.DType.F32, w.shape());
             Tensor dw2 = CPU.allocate(dev.strix.tensor.DType.F32, w.shape());
             Tensor dx1 = CPU.allocate(dev.strix.tensor.DType.F32, x.shape());
             Tensor dx2 = CPU.allocate(dev.strix.tensor.DType.F32, x.shape())) {
            view.forward(x, w, b, g, z2);
            view.backward(x, w, dz, g, dw2, db2, dx2);
            for (int i = 0; i < variants.length; i++) {
                try (Im2colConvolution variant = variants[i]) {
                    variant.forward(x, w, b, g, z1);
                    variant.backward(x, w, dz, g, dw1, db1, dx1);
                    assertClose(names[i] + " forward", toDouble(z2.toFloatArray()), z1.toFloatArray());
                    assertClose(names[i] + " dW", toDouble(dw2.toFloatArray()), dw1.toFloatArray());
                    assertClose(names[i] + " dX", toDouble(dx2.toFloatArray()), dx1.toFloatArray());
                    assertClose(names[i] + " dBias", toDouble(db2.toFloatArray()), db1.toFloatArray());
                }
            }
        }
    }

    /**
     * Channel-major Z and dL/dZ ({@code [O, N, OH, OW]} in memory): with the whole batch within the
     * column budget, one GEMM over the batch matrix each way and the weight gradient summed over
     * groups of samples; with a smaller budget, the per-sample GEMMs through a contiguous copy. Both
     * give the strided view's numbers.
     */
    @Test
    void channelMajorOutputsRunTheBatchMatrixAndMatchTheStridedView() {
        // 16 x 16 outputs: the weight gradient sums 3 groups of 2 samples (512 terms each).
        ConvGeometry g = new ConvGeometry(6, 2, 31, 16, 4, 3, 3, 2, 1, new Padding.Amounts(1, 1, 1, 1), 16, 16);
        assertEquals(2, Im2colConvolution.samplesPerGroup(g.n(), (long) g.oh() * g.ow()));
        long sample = (long) g.patchSize() * g.oh() * g.ow();
        SplittableRandom random = new SplittableRandom(8);
        try (StridedViewConvolution view = new StridedViewConvolution(CPU);
             Tensor x = Tensor.of(CPU, random(random, 6 * 2 * 31 * 16), 6, 2, 31, 16);
             Tensor w = Tensor.of(CPU, random(random, 4 * 2 * 3 * 3), 4, 2, 3, 3);
             Tensor dzValues = Tensor.of(CPU, random(random, 6 * 4 * 16 * 16), 6, 4, 16, 16);
             Tensor b = Tensor.of(CPU, random(random, 4), 4);
             Tensor z = CPU.allocate(dev.strix.tensor.DType.F32, g.output());
             Tensor dw = CPU.allocate(dev.strix.tensor.DType.F32, w.shape());
             Tensor db = CPU.allocate(dev.strix.tensor.DType.F32, b.shape());
             Tensor dx = CPU.allocate(dev.strix.tensor.DType.F32, x.shape());
             Tensor zStore = CPU.allocate(dev.strix.tensor.DType.F32, Shape.of(4, 6, 16, 16));
             Tensor dzStore = CPU.allocate(dev.strix.tensor.DType.F32, Shape.of(4, 6, 16, 16));
             Tensor dw1 = CPU.allocate(dev.strix.tensor.DType.F32, w.shape());
             Tensor db1 = CPU.allocate(dev.strix.tensor.DType.F32, b.shape());
             Tensor dx1 = CPU.allocate(dev.strix.tensor.DType.F32, x.shape())) {
            view.forward(x, w, b, g, z);
            view.backward(x, w, dzValues, g, dw, db, dx);
            Tensor zm = zStore.permute(1, 0, 2, 3);
            Tensor dzm = dzStore.permute(1, 0, 2, 3);
            CPU.copy(dzValues, dzm);
            for (long budget : new long[] {6 * sample, 2 * sample}) {
                try (Im2colConvolution variant = new Im2colConvolution(CPU, budget, false)) {
                    String what = budget == 6 * sample ? "batch matrix" : "chunks of two samples";
                    assertEquals(budget == 6 * sample, variant.channelMajorOutput(g), what);
                    zStore.fill(Float.NaN);
                    variant.forward(x, w, b, g, zm);
                    variant.backward(x, w, dzm, g, dw1, db1, dx1);
                    assertClose(what + " forward", toDouble(z.toFloatArray()), zm.toFloatArray());
                    assertClose(what + " dW", toDouble(dw.toFloatArray()), dw1.toFloatArray());
                    assertClose(what + " dX", toDouble(dx.toFloatArray()), dx1.toFloatArray());
                    assertClose(what + " dBias", toDouble(db.toFloatArray()), db1.toFloatArray());
                    // Backward again without a forward in between: the columns are recomputed.
                    dw1.fill(0f);
                    variant.backward(x, w, dzm, g, dw1, null, null);
                    assertClose(what + " dW, columns recomputed", toDouble(dw.toFloatArray()), dw1.toFloatArray());
                }
            }
        }
    }

    /**
     * The builder's channel-major option, with the columns materialised (as on a GPU): the output is
     * the {@code [N, O, OH, OW]} view of an {@code [O, N, OH, OW]} buffer, and forward and backward
     * (given dL/dZ channel-major, and given it contiguous) match the default layer's.
     */
    @Test
    void channelMajorOutputOptionHandsOutChannelMajorZAndTheSameNumbers() {
        Case k = new Case(3, 2, 9, 8, 5, 3, 3, 1, 1, Padding.of(1, 1), true);
        SplittableRandom random = new SplittableRandom(21);
        float[] input = random(random, k.n() * k.c() * k.h() * k.w());
        NaiveConvolution ref = k.reference();
        float[] dz = random(random, k.n() * k.o() * ref.oh * ref.ow);
        try (Conv2D plain = SystemProperties.with(Im2colConvolution.IMPLICIT_PROPERTY, "false",
                     () -> k.build(ConvAlgorithm.IM2COL_GEMM, new SplittableRandom(3)));
             Conv2D channelMajor = SystemProperties.with(Im2colConvolution.IMPLICIT_PROPERTY, "false",
                     () -> Conv2D.builder(k.c(), k.o()).kernel(k.kh(), k.kw()).padding(k.padding())
                             .channelMajorOutput(true).build(CPU, new SplittableRandom(3)));
             Tensor x = Tensor.of(CPU, input, k.n(), k.c(), k.h(), k.w());
             Tensor g = Tensor.of(CPU, dz, k.n(), k.o(), ref.oh, ref.ow);
             Tensor gStore = CPU.allocate(dev.strix.tensor.DType.F32, Shape.of(k.o(), k.n(), ref.oh, ref.ow))) {
            Tensor gChannelMajor = gStore.permute(1, 0, 2, 3);
            CPU.copy(g, gChannelMajor);
            Tensor z = plain.forward(x, Mode.TRAINING);
            assertTrue(z.isContiguous(), "without the option Z is contiguous NCHW");
            float[] expectedZ = z.toFloatArray();
            float[] expectedDx = plain.backward(g).toFloatArray();
            float[] expectedDw = plain.weight().gradient().toFloatArray();
            float[] expectedDb = plain.bias().gradient().toFloatArray();
            for (Tensor gradient : List.of(gChannelMajor, g)) {
                String what = gradient == g ? "dL/dZ contiguous" : "dL/dZ channel-major";
                Tensor zm = channelMajor.forward(x, Mode.TRAINING);
                assertTrue(Im2colConvolution.isChannelMajor(zm) && !zm.isContiguous(), "Z is channel-major");
                assertClose(what + ": forward", toDouble(expectedZ), zm.toFloatArray());
                for (Parameter p : channelMajor.parameters()) {
                    p.gradient().fill(0f);
                }
                assertClose(what + ": dX", toDouble(expectedDx), channelMajor.backward(gradient).toFloatArray());
                assertClose(what + ": dW", toDouble(expectedDw), channelMajor.weight().gradient().toFloatArray());
                assertClose(what + ": dBias", toDouble(expectedDb), channelMajor.bias().gradient().toFloatArray());
            }
        }
    }

    @Test
    void weightGradientGroupsAreTheFewestSamplesThatDivideTheBatchAndHoldEnoughTerms() {
        int terms = Im2colConvolution.WEIGHT_GRADIENT_TERMS;
        assertEquals(1, Im2colConvolution.samplesPerGroup(1024, 676), "conv 1 of the reference network");
        assertEquals(8, Im2colConvolution.samplesPerGroup(1024, 121), "conv 2 at batch 1024");
        assertEquals(5, Im2colConvolution.samplesPerGroup(1000, 121), "5 x 121 = 605, and 5 divides 1000");
        assertEquals(97, Im2colConvolution.samplesPerGroup(97, 1), "a prime batch: one group");
        assertEquals(1, Im2colConvolution.samplesPerGroup(3, terms), "a sample of enough terms is a group of its own");
    }

    private static double[] toDouble(float[] a) {
        double[] d = new double[a.length];
        for (int i = 0; i < a.length; i++) {
            d[i] = a[i];
        }
        return d;
    }

    @Test
    void outputShapesFollowPaddingAndStride() {
        try (Conv2D same = Conv2D.builder(1, 4).kernel(3, 3).padding(Padding.SAME).build(CPU, new SplittableRandom(1));
             Conv2D strided = Conv2D.builder(1, 4).kernel(3, 3).stride(2, 2).padding(1, 1).build(CPU, new SplittableRandom(1));
             Conv2D valid = Conv2D.builder(1, 4).kernel(5, 3).build(CPU, new SplittableRandom(1))) {
            assertEquals(Shape.of(8, 4, 28, 28), same.outputShape(Shape.of(8, 1, 28, 28)));
            assertEquals(Shape.of(8, 4, 14, 14), strided.outputShape(Shape.of(8, 1, 28, 28)));
            assertEquals(Shape.of(8, 4, 24, 26), valid.outputShape(Shape.of(8, 1, 28, 28)));
        }
    }

    @Test
    void initialisationIsPyTorchsDefaultAndSeeded() {
        try (Conv2D a = Conv2D.builder(3, 16).kernel(5, 5).build(CPU, new SplittableRandom(42));
             Conv2D b = Conv2D.builder(3, 16).kernel(5, 5).build(CPU, new SplittableRandom(42))) {
            float[] w = a.weight().value().toFloatArray();
            assertEquals(java.util.Arrays.toString(w), java.util.Arrays.toString(b.weight().value().toFloatArray()));
            double bound = 1 / Math.sqrt(3 * 5 * 5);
            double max = 0;
            for (float v : w) {
                max = Math.max(max, Math.abs(v));
            }
            assertTrue(max <= bound && max > 0.9 * bound, "weights within U(-1/sqrt(fan_in), 1/sqrt(fan_in)), max " + max);
            for (float v : a.bias().value().toFloatArray()) {
                assertTrue(Math.abs(v) <= bound, "bias " + v + " within the bound " + bound);
            }
        }
    }

    @Test
    void wrongInputChannelsNameTheLayerAndBothShapes() {
        try (Conv2D conv = Conv2D.builder(3, 8).kernel(3, 3).build(CPU, new SplittableRandom(1));
             Tensor x = CPU.allocate(dev.strix.tensor.DType.F32, Shape.of(2, 4, 9, 9))) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> conv.forward(x, Mode.TRAINING));
            assertTrue(e.getMessage().contains("Conv2D(3 -> 8") && e.getMessage().contains("[N, 3, H, W]")
                    && e.getMessage().contains("[2, 4, 9, 9]"), e.getMessage());
        }
    }

    @Test
    void kernelLargerThanThePaddedInputIsRefused() {
        try (Conv2D conv = Conv2D.builder(1, 2).kernel(5, 5).build(CPU, new SplittableRandom(1))) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> conv.outputShape(Shape.of(1, 1, 4, 9)));
            assertTrue(e.getMessage().contains("Conv2D(1 -> 2") && e.getMessage().contains("[1, 1, 4, 9]"), e.getMessage());
        }
    }

    @Test
    void cudnnRefusesAsymmetricPadding() {
        try (Conv2D conv = Conv2D.builder(1, 2).kernel(2, 2).padding(Padding.SAME).algorithm(ConvAlgorithm.CUDNN)
                .build(CPU, new SplittableRandom(1));
             Tensor x = CPU.allocate(dev.strix.tensor.DType.F32, Shape.of(1, 1, 6, 6))) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> conv.forward(x, Mode.TRAINING));
            assertTrue(e.getMessage().contains("CUDNN") && e.getMessage().contains("symmetric"), e.getMessage());
        }
    }

    @Test
    void backwardBeforeForwardFails() {
        try (Conv2D conv = Conv2D.builder(1, 2).build(CPU, new SplittableRandom(1));
             Tensor g = CPU.allocate(dev.strix.tensor.DType.F32, Shape.of(1, 2, 3, 3))) {
            assertThrows(IllegalStateException.class, () -> conv.backward(g));
        }
    }
}
