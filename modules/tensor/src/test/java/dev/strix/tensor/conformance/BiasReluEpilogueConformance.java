package dev.strix.tensor.conformance;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.strix.tensor.BiasReluEpilogue;
import dev.strix.tensor.BinaryOp;
import dev.strix.tensor.DType;
import dev.strix.tensor.Shape;
import dev.strix.tensor.Tensor;
import dev.strix.tensor.UnaryOp;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The fused bias + ReLU (+ 2x2 max pool) op group (for backends that offer it) against loops in
 * the test: the element-wise results and the argmax exactly (float32 additions and comparisons
 * have one right answer), the bias gradients within a tolerance relative to the sum of absolute
 * terms. Shapes include odd planes (a dropped row and column), values with ties, no bias, outputs
 * aliasing inputs, and a batch large enough to be split between cores and thread blocks. A last
 * test checks the claim that these are the numbers of the separate ops.
 */
public abstract class BiasReluEpilogueConformance extends BackendConformance {
    private static final double SUM_TOLERANCE = 1e-5;

    private BiasReluEpilogue op() {
        return backend().biasReluEpilogue().orElseThrow();
    }

    /** [N, C] dense outputs and [N, C, H, W] convolution outputs. */
    private static List<int[]> rowShapes() {
        return List.of(new int[] {5, 10}, new int[] {128, 128}, new int[] {3, 4, 5, 6}, new int[] {64, 32, 26, 26});
    }

    /** Convolution outputs to pool: the reference network's (26x26, 11x11), odd both ways, one-window planes. */
    private static List<int[]> poolShapes() {
        return List.of(new int[] {2, 3, 26, 26}, new int[] {3, 64, 11, 11}, new int[] {2, 5, 10, 9},
                new int[] {1, 2, 2, 3}, new int[] {64, 32, 26, 26});
    }

    /** Values in [-2, 2] in steps of 1/2 half the time (ties, zeros, negative windows), random otherwise. */
    private float[] values(int size, boolean ties) {
        float[] v = randomFloats(size);
        if (ties) {
            for (int i = 0; i < size; i++) {
                v[i] = Math.round(v[i] * 4) / 2f;
            }
        }
        return v;
    }

    private static int size(int[] dims) {
        int s = 1;
        for (int d : dims) {
            s *= d;
        }
        return s;
    }

    private static int plane(int[] dims) {
        return dims.length == 2 ? 1 : dims[2] * dims[3];
    }

    @Test
    void biasReluIsMaxOfZeroAndInputPlusBias() {
        int made = 0;
        for (int[] dims : rowShapes()) {
            for (boolean withBias : new boolean[] {true, false}) {
                boolean inPlace = made++ % 2 == 1;
                float[] z = values(size(dims), made % 3 == 0);
                float[] bias = randomFloats(dims[1]);
                float[] expected = new float[z.length];
                for (int i = 0; i < z.length; i++) {
                    float v = z[i] + (withBias ? bias[i / plane(dims) % dims[1]] : 0f);
                    expected[i] = v > 0f ? v : 0f;
                }
                try (Tensor zt = tensor(z, dims); Tensor b = tensor(bias, dims[1]);
                     Tensor y = inPlace ? null : backend().allocate(DType.F32, Shape.of(dims))) {
                    Tensor out = inPlace ? zt : y;
                    op().biasRelu(zt, withBias ? b : null, out);
                    assertArrayEquals(expected, out.toFloatArray(), 0f, "biasRelu " + Shape.of(dims)
                            + (withBias ? "" : ", no bias") + (inPlace ? ", in place" : ""));
                }
            }
        }
    }

    @Test
    void biasReluBackwardPassesGradientWhereOutputIsPositiveAndSumsIt() {
        int made = 0;
        for (int[] dims : rowShapes()) {
            boolean inPlace = made++ % 2 == 1;
            float[] y = values(size(dims), true);
            for (int i = 0; i < y.length; i++) {
                y[i] = Math.max(0f, y[i]);
            }
            float[] dy = randomFloats(y.length);
            float[] expected = new float[y.length];
            double[] sum = new double[dims[1]];
            double[] scale = new double[dims[1]];
            for (int i = 0; i < y.length; i++) {
                expected[i] = y[i] > 0f ? dy[i] : 0f;
                int c = i / plane(dims) % dims[1];
                sum[c] += expected[i];
                scale[c] += Math.abs(expected[i]);
            }
            try (Tensor yt = tensor(y, dims); Tensor dyt = tensor(dy, dims);
                 Tensor dz = inPlace ? null : backend().allocate(DType.F32, Shape.of(dims));
                 Tensor db = backend().allocate(DType.F32, Shape.of(dims[1]))) {
                Tensor out = inPlace ? dyt : dz;
                backend().fill(db, 7f);
                op().biasReluBackward(yt, dyt, out, db);
                String what = "biasReluBackward " + Shape.of(dims) + (inPlace ? ", in place" : "");
                assertArrayEquals(expected, out.toFloatArray(), 0f, what);
                assertClose(sum, scale, db.toFloatArray(), SUM_TOLERANCE, what + ", bias gradient");
            }
            try (Tensor yt = tensor(y, dims); Tensor dyt = tensor(dy, dims);
                 Tensor dz = backend().allocate(DType.F32, Shape.of(dims))) {
                op().biasReluBackward(yt, dyt, dz, null);
                assertArrayEquals(expected, dz.toFloatArray(), 0f, "biasReluBackward without bias " + Shape.of(dims));
            }
        }
    }

    /** The expected pooling of {@code z + bias}: pooled values and argmax, by loops. */
    private record Pooled(float[] values, int[] argmax) {
        static Pooled of(int[] dims, float[] z, float[] bias) {
            int n = dims[0], c = dims[1], h = dims[2], w = dims[3], oh = h / 2, ow = w / 2;
            float[] values = new float[n * c * oh * ow];
            int[] argmax = new int[values.length];
            for (int p = 0; p < n * c; p++) {
                float b = bias == null ? 0f : bias[p % c];
                for (int y = 0; y < oh; y++) {
                    for (int x = 0; x < ow; x++) {
                        float best = Float.NEGATIVE_INFINITY;
                        int at = -1;
                        for (int i = 0; i < 2; i++) {
                            for (int j = 0; j < 2; j++) {
                                int k = (2 * y + i) * w + 2 * x + j;
                                float v = z[p * h * w + k] + b;
                                if (at < 0 || v > best) {
                                    best = v;
                                    at = k;
                                }
                            }
                        }
                        values[(p * oh + y) * ow + x] = Math.max(0f, best);
                        argmax[(p * oh + y) * ow + x] = at;
                    }
                }
            }
            return new Pooled(values, argmax);
        }
    }

    @Test
    void biasReluMaxPoolTakesTheFirstWindowMaximumOfInputPlusBiasThenRelu() {
        int made = 0;
        for (int[] dims : poolShapes()) {
            boolean withBias = made++ % 2 == 0;
            float[] z = values(size(dims), made % 2 == 1);
            float[] bias = withBias ? values(dims[1], true) : null;
            Pooled expected = Pooled.of(dims, z, bias);
            Shape pooledShape = Shape.of(dims[0], dims[1], dims[2] / 2, dims[3] / 2);
            try (Tensor zt = tensor(z, dims); Tensor b = withBias ? tensor(bias, dims[1]) : null;
                 Tensor pooled = backend().allocate(DType.F32, pooledShape);
                 Tensor argmax = backend().allocate(DType.I32, pooledShape)) {
                backend().fill(pooled, 7f);
                op().biasReluMaxPool(zt, b, pooled, argmax);
                String what = "biasReluMaxPool " + Shape.of(dims) + (withBias ? "" : ", no bias");
                assertArrayEquals(expected.values(), pooled.toFloatArray(), 0f, what);
                assertArrayEquals(expected.argmax(), argmax.toIntArray(), what + ", argmax");
            }
        }
    }

    @Test
    void biasReluMaxPoolBackwardRoutesPositiveWindowsToTheirArgmaxAndZeroesTheRest() {
        int made = 0;
        for (int[] dims : poolShapes()) {
            boolean withBias = made++ % 2 == 0;
            float[] z = values(size(dims), true);
            Pooled forward = Pooled.of(dims, z, null);
            int h = dims[2], w = dims[3], oh = h / 2, ow = w / 2, c = dims[1];
            float[] dPooled = randomFloats(forward.values().length);
            float[] expected = new float[z.length];
            double[] sum = new double[c];
            double[] scale = new double[c];
            for (int k = 0; k < dPooled.length; k++) {
                if (forward.values()[k] > 0f) {
                    int p = k / (oh * ow);
                    expected[p * h * w + forward.argmax()[k]] = dPooled[k];
                    sum[p % c] += dPooled[k];
                    scale[p % c] += Math.abs(dPooled[k]);
                }
            }
            Shape pooledShape = Shape.of(dims[0], c, oh, ow);
            try (Tensor g = tensor(dPooled, pooledShape.dims()); Tensor pooled = tensor(forward.values(), pooledShape.dims());
                 Tensor argmax = backend().allocate(DType.I32, pooledShape);
                 Tensor dz = backend().allocate(DType.F32, Shape.of(dims));
                 Tensor db = backend().allocate(DType.F32, Shape.of(c))) {
                argmax.copyFrom(forward.argmax());
                backend().fill(dz, 7f);
                backend().fill(db, 7f);
                op().biasReluMaxPoolBackward(g, pooled, argmax, dz, withBias ? db : null);
                String what = "biasReluMaxPoolBackward " + Shape.of(dims);
                assertArrayEquals(expected, dz.toFloatArray(), 0f, what);
                if (withBias) {
                    assertClose(sum, scale, db.toFloatArray(), SUM_TOLERANCE, what + ", bias gradient");
                } else {
                    for (float v : db.toFloatArray()) {
                        assertEquals(7f, v, what + ": no bias gradient asked for");
                    }
                }
            }
        }
    }

    /**
     * The fused passes against the backend's own separate ops: broadcast add, ReLU, max pooling
     * forward; ReLU backward and max-pool backward, bias gradient by reduction. Pooled values and
     * input gradients are bit for bit the same.
     */
    @Test
    void fusedPassesGiveTheNumbersOfTheSeparateOps() {
        int[] dims = {4, 8, 11, 11};
        float[] z = values(size(dims), true);
        float[] bias = randomFloats(dims[1]);
        Shape pooledShape = Shape.of(dims[0], dims[1], 5, 5);
        float[] dPooled = randomFloats((int) pooledShape.size());
        try (Tensor zt = tensor(z, dims); Tensor b = tensor(bias, dims[1]); Tensor g = tensor(dPooled, pooledShape.dims());
             Tensor y = backend().allocate(DType.F32, Shape.of(dims));
             Tensor separatePooled = backend().allocate(DType.F32, pooledShape);
             Tensor separateArgmax = backend().allocate(DType.I32, pooledShape);
             Tensor dy = backend().allocate(DType.F32, Shape.of(dims));
             Tensor separateDz = backend().allocate(DType.F32, Shape.of(dims));
             Tensor pooled = backend().allocate(DType.F32, pooledShape);
             Tensor argmax = backend().allocate(DType.I32, pooledShape);
             Tensor dz = backend().allocate(DType.F32, Shape.of(dims));
             Tensor db = backend().allocate(DType.F32, Shape.of(dims[1]))) {
            backend().elementwise().binary(BinaryOp.ADD, zt, b.reshape(dims[1], 1, 1), y);
            backend().elementwise().unary(UnaryOp.RELU, y, y);
            backend().pooling().maxPoolForward(y, 2, 2, 2, 2, separatePooled, separateArgmax);
            backend().pooling().maxPoolBackward(g, separateArgmax, 2, 2, 2, 2, dy);
            backend().activation().reluBackward(y, dy, separateDz);

            op().biasReluMaxPool(zt, b, pooled, argmax);
            op().biasReluMaxPoolBackward(g, pooled, argmax, dz, db);
            assertArrayEquals(separatePooled.toFloatArray(), pooled.toFloatArray(), 0f, "pooled");
            assertArrayEquals(separateDz.toFloatArray(), dz.toFloatArray(), 0f, "input gradient");
            float[] positive = pooled.toFloatArray();
            assertTrue(count(positive) > 0 && count(positive) < positive.length, "the case has positive and zero windows");
        }
    }

    private static int count(float[] values) {
        int positive = 0;
        for (float v : values) {
            positive += v > 0f ? 1 : 0;
        }
        return positive;
    }

    @Test
    void mismatchedShapesAndViewsAreRefusedNamingTheOp() {
        try (Tensor z = backend().allocate(DType.F32, Shape.of(2, 3, 6, 6));
             Tensor pooled = backend().allocate(DType.F32, Shape.of(2, 3, 3, 3));
             Tensor wrongPooled = backend().allocate(DType.F32, Shape.of(2, 3, 2, 3));
             Tensor argmax = backend().allocate(DType.I32, Shape.of(2, 3, 3, 3));
             Tensor floatArgmax = backend().allocate(DType.F32, Shape.of(2, 3, 3, 3));
             Tensor bias = backend().allocate(DType.F32, Shape.of(4));
             Tensor y = backend().allocate(DType.F32, Shape.of(2, 3, 6, 5))) {
            String m = assertThrows(IllegalArgumentException.class,
                    () -> op().biasReluMaxPool(z, null, wrongPooled, argmax)).getMessage();
            assertTrue(m.contains("biasReluMaxPool") && m.contains("[2, 3, 3, 3]"), m);
            m = assertThrows(IllegalArgumentException.class,
                    () -> op().biasReluMaxPool(z, null, pooled, floatArgmax)).getMessage();
            assertTrue(m.contains("int32"), m);
            m = assertThrows(IllegalArgumentException.class, () -> op().biasReluMaxPool(z, bias, pooled, argmax))
                    .getMessage();
            assertTrue(m.contains("bias") && m.contains("[3]"), m);
            m = assertThrows(IllegalArgumentException.class, () -> op().biasRelu(z, null, y)).getMessage();
            assertTrue(m.contains("biasRelu") && m.contains("[2, 3, 6, 6]") && m.contains("[2, 3, 6, 5]"), m);
            m = assertThrows(IllegalArgumentException.class,
                    () -> op().biasRelu(z.transpose(2, 3), null, z)).getMessage();
            assertTrue(m.contains("contiguous"), m);
            m = assertThrows(IllegalArgumentException.class,
                    () -> op().biasReluMaxPoolBackward(wrongPooled, pooled, argmax, z, null)).getMessage();
            assertTrue(m.contains("pooled gradient"), m);
        }
    }
    /** Storage orders of {@link #storedAs}: channels-last ({@code [N, H, W, C]}) and channel-major ({@code [C, N, H, W]}). */
    private static final int[] CHANNELS_LAST = {0, 2, 3, 1};
    private static final int[] CHANNEL_MAJOR = {1, 0, 2, 3};

    /**
     * A copy of {@code t} [N, C, H, W] whose storage holds the axes in {@code storageOrder}, seen as
     * [N, C, H, W]; the storage is added to {@code owned} (a view does not free it).
     */
    private Tensor storedAs(Tensor t, DType type, int[] storageOrder, List<Tensor> owned) {
        int[] dims = new int[4];
        int[] back = new int[4];
        for (int i = 0; i < 4; i++) {
            dims[i] = t.dim(storageOrder[i]);
            back[storageOrder[i]] = i;
        }
        Tensor store = backend().allocate(type, Shape.of(dims));
        owned.add(store);
        Tensor view = store.permute(back);
        backend().copy(t, view);
        return view;
    }

    /** A channels-last copy of {@code t}: the permute(0, 3, 1, 2) view of a new [N, H, W, C] tensor. */
    private Tensor channelsLast(Tensor t, DType type, List<Tensor> owned) {
        return storedAs(t, type, CHANNELS_LAST, owned);
    }

    /**
     * Channels-last operands (activations in the NHWC layout) give the contiguous operands' results
     * exactly: outputs, argmax and the bias gradients, whose terms are added in the same order.
     */
    @Test
    void channelsLastOperandsGiveTheContiguousResultsExactly() {
        for (int[] dims : poolShapes()) {
            int n = dims[0];
            int c = dims[1];
            int[] pooledDims = {n, c, dims[2] / 2, dims[3] / 2};
            String what = java.util.Arrays.toString(dims);
            try (Tensor z = tensor(values(size(dims), true), dims); Tensor bias = tensor(randomFloats(c), c);
                 Tensor dy = tensor(values(size(dims), false), dims);
                 Tensor dPooled = tensor(values(size(pooledDims), false), pooledDims);
                 Tensor y = backend().allocate(DType.F32, Shape.of(dims));
                 Tensor dz = backend().allocate(DType.F32, Shape.of(dims));
                 Tensor db = backend().allocate(DType.F32, Shape.of(c));
                 Tensor pooled = backend().allocate(DType.F32, Shape.of(pooledDims));
                 Tensor argmax = backend().allocate(DType.I32, Shape.of(pooledDims));
                 Tensor dzPooled = backend().allocate(DType.F32, Shape.of(dims));
                 Tensor dbPooled = backend().allocate(DType.F32, Shape.of(c));
                 Tensor db2 = backend().allocate(DType.F32, Shape.of(c));
                 Tensor db3 = backend().allocate(DType.F32, Shape.of(c))) {
                op().biasRelu(z, bias, y);
                op().biasReluBackward(y, dy, dz, db);
                op().biasReluMaxPool(z, bias, pooled, argmax);
                op().biasReluMaxPoolBackward(dPooled, pooled, argmax, dzPooled, dbPooled);

                List<Tensor> owned = new java.util.ArrayList<>();
                Tensor zl = channelsLast(z, DType.F32, owned);
                Tensor dyl = channelsLast(dy, DType.F32, owned);
                Tensor dPooledl = channelsLast(dPooled, DType.F32, owned);
                Tensor yl = channelsLast(y, DType.F32, owned);
                Tensor dzl = channelsLast(dz, DType.F32, owned);
                Tensor pooledl = channelsLast(pooled, DType.F32, owned);
                Tensor argmaxl = channelsLast(argmax, DType.I32, owned);
                Tensor dzPooledl = channelsLast(dzPooled, DType.F32, owned);
                try {
                    backend().fill(yl, -5f);
                    op().biasRelu(zl, bias, yl);
                    assertArrayEquals(y.toFloatArray(), yl.toFloatArray(), what + ": biasRelu");
                    backend().fill(dzl, -5f);
                    op().biasReluBackward(yl, dyl, dzl, db2);
                    assertArrayEquals(dz.toFloatArray(), dzl.toFloatArray(), what + ": biasReluBackward dz");
                    assertArrayEquals(db.toFloatArray(), db2.toFloatArray(), what + ": biasReluBackward db");
                    backend().fill(pooledl, -5f);
                    op().biasReluMaxPool(zl, bias, pooledl, argmaxl);
                    assertArrayEquals(pooled.toFloatArray(), pooledl.toFloatArray(), what + ": pooled");
                    assertArrayEquals(argmax.toIntArray(), argmaxl.toIntArray(), what + ": argmax");
                    backend().fill(dzPooledl, -5f);
                    op().biasReluMaxPoolBackward(dPooledl, pooledl, argmaxl, dzPooledl, db3);
                    assertArrayEquals(dzPooled.toFloatArray(), dzPooledl.toFloatArray(), what + ": pooled backward dz");
                    assertArrayEquals(dbPooled.toFloatArray(), db3.toFloatArray(), what + ": pooled backward db");
                    if (c > 1) {
                        String m = assertThrows(IllegalArgumentException.class, () -> op().biasRelu(zl, bias, y))
                                .getMessage();
                        assertTrue(m.contains("all contiguous or all channels-last"), m);
                    }
                } finally {
                    for (Tensor t : owned) {
                        t.close();
                    }
                }
            }
        }
    }

    /** A channel-major copy of {@code t}: the permute(1, 0, 2, 3) view of a new [C, N, H, W] tensor. */
    private Tensor channelMajor(Tensor t, List<Tensor> owned) {
        return storedAs(t, DType.F32, CHANNEL_MAJOR, owned);
    }

    /**
     * A channel-major convolution output (as one GEMM over the batch writes it) pools, and its
     * gradient comes back, exactly as a contiguous one does, with the pooled side contiguous or
     * channels-last; only the full-size side may be channel-major.
     */
    @Test
    void channelMajorConvolutionOutputsGiveTheContiguousResultsExactly() {
        for (int[] dims : poolShapes()) {
            int c = dims[1];
            int[] pooledDims = {dims[0], c, dims[2] / 2, dims[3] / 2};
            String what = java.util.Arrays.toString(dims);
            try (Tensor z = tensor(values(size(dims), true), dims); Tensor bias = tensor(randomFloats(c), c);
                 Tensor dPooled = tensor(values(size(pooledDims), false), pooledDims);
                 Tensor pooled = backend().allocate(DType.F32, Shape.of(pooledDims));
                 Tensor argmax = backend().allocate(DType.I32, Shape.of(pooledDims));
                 Tensor dz = backend().allocate(DType.F32, Shape.of(dims));
                 Tensor db = backend().allocate(DType.F32, Shape.of(c));
                 Tensor pooled2 = backend().allocate(DType.F32, Shape.of(pooledDims));
                 Tensor argmax2 = backend().allocate(DType.I32, Shape.of(pooledDims));
                 Tensor db2 = backend().allocate(DType.F32, Shape.of(c))) {
                op().biasReluMaxPool(z, bias, pooled, argmax);
                op().biasReluMaxPoolBackward(dPooled, pooled, argmax, dz, db);
                List<Tensor> owned = new java.util.ArrayList<>();
                try {
                    Tensor zm = channelMajor(z, owned);
                    Tensor dzm = channelMajor(z, owned);
                    for (boolean last : new boolean[] {false, true}) {
                        String side = what + (last ? ", pooled side channels-last" : ", pooled side contiguous");
                        Tensor p = last ? channelsLast(pooled2, DType.F32, owned) : pooled2;
                        Tensor a = last ? channelsLast(argmax2, DType.I32, owned) : argmax2;
                        Tensor g = last ? channelsLast(dPooled, DType.F32, owned) : dPooled;
                        backend().fill(p, -5f);
                        op().biasReluMaxPool(zm, bias, p, a);
                        assertArrayEquals(pooled.toFloatArray(), p.toFloatArray(), side + ": pooled");
                        assertArrayEquals(argmax.toIntArray(), a.toIntArray(), side + ": argmax");
                        backend().fill(dzm, -5f);
                        op().biasReluMaxPoolBackward(g, p, a, dzm, db2);
                        assertArrayEquals(dz.toFloatArray(), dzm.toFloatArray(), side + ": dz");
                        assertArrayEquals(db.toFloatArray(), db2.toFloatArray(), side + ": db");
                    }
                    if (c > 1 && dims[0] > 1 && dims[2] == dims[3]) {
                        String m = assertThrows(IllegalArgumentException.class,
                                () -> op().biasReluMaxPool(zm.transpose(2, 3), bias, pooled, argmax)).getMessage();
                        assertTrue(m.contains("contiguous, channels-last or channel-major"), m);
                        m = assertThrows(IllegalArgumentException.class,
                                () -> op().biasReluMaxPool(z, bias, channelMajor(pooled, owned), argmax)).getMessage();
                        assertTrue(m.contains("pooled"), m);
                    }
                } finally {
                    for (Tensor t : owned) {
                        t.close();
                    }
                }
            }
        }
    }
}
