package dev.strix.layers;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.strix.layers.loss.SoftmaxCrossEntropy;
import dev.strix.tensor.Backend;
import dev.strix.tensor.Backends;
import dev.strix.tensor.DType;
import dev.strix.tensor.Shape;
import dev.strix.tensor.Tensor;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Channels-last activations ({@link ActivationLayout#NHWC}) change where values lie, not what they
 * are: the same model trained the same way gives the same numbers in either layout.
 */
class ActivationLayoutTest {
    private static final Backend CPU = Backends.cpu();

    /** Runs {@code body} with {@link ActivationLayout#PROPERTY} (and the fusion property) set, then restores them. */
    private static <T> T with(String layout, boolean fuse, Supplier<T> body) {
        return SystemProperties.with(java.util.Map.of(ActivationLayout.PROPERTY, layout, Sequential.FUSION_PROPERTY,
                Boolean.toString(fuse)), body);
    }

    @Test
    void anNhwcBufferHandsOutChannelsLastViewsOfFourAxesOnly() {
        try (ReusableTensor nhwc = ReusableTensor.activations(CPU, ActivationLayout.NHWC);
             ReusableTensor nchw = ReusableTensor.activations(CPU, ActivationLayout.NCHW)) {
            Tensor t = nhwc.get(Shape.of(2, 3, 4, 5));
            assertEquals(Shape.of(2, 3, 4, 5), t.shape());
            assertArrayEquals(new long[] {60, 1, 15, 3}, t.strides(), "[N, H, W, C] seen as [N, C, H, W]");
            assertArrayEquals(new long[] {6, 1}, nhwc.get(Shape.of(4, 6)).strides(), "two axes: contiguous");
            assertArrayEquals(new long[] {60, 20, 5, 1}, nchw.get(Shape.of(2, 3, 4, 5)).strides());
        }
    }

    @Test
    void anUnknownLayoutIsRefusedNamingTheProperty() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> with("CHWN", true, ActivationLayout::configured));
        assertEquals("-Dstrix.layers.layout=CHWN: expected NCHW or NHWC", e.getMessage());
    }

    @Test
    void cudnnConvolutionsPoolingAndReluWriteChannelsLastOtherConvolutionsDoNot() {
        with("NHWC", false, () -> {
            SplittableRandom random = new SplittableRandom(3);
            try (Conv2D cudnn = Conv2D.builder(2, 3).kernel(3, 3).algorithm(ConvAlgorithm.CUDNN).build(CPU, random);
                 Conv2D im2col = Conv2D.builder(2, 3).kernel(3, 3).build(CPU, random);
                 MaxPool2D pool = new MaxPool2D(CPU, 2); ReLU relu = new ReLU(CPU);
                 Tensor x = CPU.allocate(DType.F32, Shape.of(2, 2, 6, 6))) {
                x.fill(1f);
                Tensor z = cudnn.forward(x, Mode.TRAINING);
                assertArrayEquals(new long[] {48, 1, 12, 3}, z.strides(), "cuDNN output [2, 3, 4, 4], channels last");
                assertArrayEquals(new long[] {48, 16, 4, 1}, im2col.forward(x, Mode.TRAINING).strides(), "im2col: NCHW");
                assertArrayEquals(new long[] {12, 1, 6, 3}, pool.forward(z, Mode.TRAINING).strides());
                assertArrayEquals(new long[] {48, 1, 12, 3}, relu.forward(z, Mode.TRAINING).strides());
            }
            return null;
        });
    }

    /**
     * Two CUDNN conv blocks (the first with batch norm), pooled, flattened, dense. Fused, the first
     * block's ReLU and pooling are one epilogue pass, the second block's conv, ReLU and pooling
     * another, which meets Flatten's NCHW gradient.
     */
    private static Sequential model(long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        return new Sequential(Shape.of(1, 14, 14),
                Conv2D.builder(1, 4).kernel(3, 3).padding(Padding.SAME).algorithm(ConvAlgorithm.CUDNN).build(CPU, random),
                new BatchNorm2D(CPU, 4),
                new ReLU(CPU),
                new MaxPool2D(CPU, 2),
                Conv2D.builder(4, 6).kernel(3, 3).algorithm(ConvAlgorithm.CUDNN).build(CPU, random),
                new ReLU(CPU),
                new MaxPool2D(CPU, 2),
                new Flatten(CPU),
                new Dense(CPU, 6 * 2 * 2, 3, random));
    }

    /** Three SGD steps on seeded batches; every parameter afterwards, and the last logits. */
    private static List<float[]> train(String layout, boolean fuse) {
        return with(layout, fuse, () -> {
            SplittableRandom data = new SplittableRandom(7);
            List<float[]> result = new ArrayList<>();
            try (Sequential m = model(11); SoftmaxCrossEntropy loss = new SoftmaxCrossEntropy(CPU);
                 Tensor x = CPU.allocate(DType.F32, Shape.of(5, 1, 14, 14));
                 Tensor y = CPU.allocate(DType.I32, Shape.of(5))) {
                assertEquals(fuse ? "fused: layers 2-3 ReLU + 2x2 max pool; layers 4-6 conv, then bias + ReLU + 2x2 max"
                        + " pool in one pass" : "fused: none", m.fusion(), layout);
                float[] logits = null;
                for (int step = 0; step < 3; step++) {
                    float[] images = new float[5 * 14 * 14];
                    for (int i = 0; i < images.length; i++) {
                        images[i] = (float) data.nextGaussian();
                    }
                    x.copyFrom(images);
                    y.copyFrom(new int[] {0, 1, 2, 1, 0});
                    Tensor out = m.forward(x, Mode.TRAINING);
                    logits = out.toFloatArray();
                    loss.forward(out, y);
                    m.backward(loss.backward());
                    for (Parameter p : m.parameters()) {
                        CPU.elementwise().axpby(-0.05f, p.gradient(), 1f, p.value());
                    }
                }
                result.add(logits);
                for (Parameter p : m.parameters()) {
                    result.add(p.value().toFloatArray());
                }
            }
            return result;
        });
    }

    @ParameterizedTest
    @ValueSource(booleans = {true, false})
    void trainingGivesTheSameNumbersInEitherLayout(boolean fuse) {
        List<float[]> nchw = train("NCHW", fuse);
        List<float[]> nhwc = train("NHWC", fuse);
        assertEquals(nchw.size(), nhwc.size());
        for (int i = 0; i < nchw.size(); i++) {
            assertArrayEquals(nchw.get(i), nhwc.get(i), 0f, i == 0 ? "logits" : "parameter " + (i - 1));
        }
    }
}
