package dev.strix.cuda;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.strix.tensor.Backends;
import dev.strix.tensor.DType;
import dev.strix.tensor.DirectConvolution.Sizes;
import dev.strix.tensor.Shape;
import dev.strix.tensor.Tensor;
import org.junit.jupiter.api.Test;

/** The plan lookup key (host logic only, no GPU): what makes two calls share a cuDNN plan. */
class CudnnPlanTest {
    private static int[] key(int direction, Tensor a, Tensor b, int pad) {
        return key(direction, a, b, pad, false);
    }

    private static int[] key(int direction, Tensor a, Tensor b, int pad, boolean tf32) {
        return key(direction, a, b, pad, tf32, FilterLayout.NCHW);
    }

    private static int[] key(int direction, Tensor a, Tensor b, int pad, boolean tf32, FilterLayout filter) {
        Sizes s = new Sizes(2, 3, 8, 8, 4, 3, 3, 8 + 2 * pad - 2, 8 + 2 * pad - 2);
        int[] k = new int[CudnnPlan.KEY_LENGTH];
        CudnnPlan.key(k, direction, s, 1, 1, pad, pad, a, b, tf32, filter);
        return k;
    }

    @Test
    void theKeyHoldsDirectionSizesPaddingAndBothTensorsStrides() {
        try (Tensor x = Backends.cpu().allocate(DType.F32, Shape.of(2, 3, 8, 8));
             Tensor y = Backends.cpu().allocate(DType.F32, Shape.of(2, 4, 6, 6))) {
            int[] forward = key(CudnnPlan.FORWARD, x, y, 0);
            assertArrayEquals(new int[] {0, 2, 3, 8, 8, 4, 3, 3, 1, 1, 0, 0, 192, 64, 8, 1, 144, 36, 6, 1, 0, 0}, forward);
            assertArrayEquals(forward, key(CudnnPlan.FORWARD, x, y, 0), "the same call, the same plan");
            int[] transposed = key(CudnnPlan.FORWARD, x.transpose(2, 3), y, 0);
            assertTrue(transposed[14] == 1 && transposed[15] == 8, "a strided view gets a plan of its own");
            assertTrue(key(CudnnPlan.BACKWARD_DATA, y, x, 0)[0] == CudnnPlan.BACKWARD_DATA);
            int[] tf32 = key(CudnnPlan.FORWARD, x, y, 0, true);
            assertEquals(1, tf32[20], "TF32 maths gets a plan (and a measured algorithm) of its own");
            assertArrayEquals(java.util.Arrays.copyOf(forward, 20), java.util.Arrays.copyOf(tf32, 20));
            assertEquals(0, tf32[21]);
        }
    }

    @Test
    void nhwcDataAndWeightsGetPlansOfTheirOwn() {
        try (Tensor xStore = Backends.cpu().allocate(DType.F32, Shape.of(2, 8, 8, 3));
             Tensor yStore = Backends.cpu().allocate(DType.F32, Shape.of(2, 6, 6, 4));
             Tensor x = Backends.cpu().allocate(DType.F32, Shape.of(2, 3, 8, 8));
             Tensor y = Backends.cpu().allocate(DType.F32, Shape.of(2, 4, 6, 6))) {
            Tensor xNhwc = xStore.permute(0, 3, 1, 2);
            Tensor yNhwc = yStore.permute(0, 3, 1, 2);
            int[] nchw = key(CudnnPlan.FORWARD, x, y, 0);
            int[] nhwc = key(CudnnPlan.FORWARD, xNhwc, yNhwc, 0, false, FilterLayout.NHWC);
            // [N, H, W, C] seen as [N, C, H, W]: strides H*W*C, 1, W*C, C.
            assertArrayEquals(new int[] {192, 1, 24, 3, 144, 1, 24, 4}, java.util.Arrays.copyOfRange(nhwc, 12, 20));
            assertEquals(1, nhwc[21], "the filter format is part of the key");
            assertArrayEquals(java.util.Arrays.copyOf(nchw, 12), java.util.Arrays.copyOf(nhwc, 12));
            int[] nhwcDataNchwWeights = key(CudnnPlan.FORWARD, xNhwc, yNhwc, 0, false, FilterLayout.NCHW);
            assertEquals(0, nhwcDataNchwWeights[21]);
            assertTrue(!java.util.Arrays.equals(nhwc, nhwcDataNchwWeights), "the same data, another filter layout");
        }
    }

    @Test
    void aNegativeStrideIsRefusedWithAClearMessage() {
        try (Tensor x = Backends.cpu().allocate(DType.F32, Shape.of(2, 3, 8, 8));
             Tensor y = Backends.cpu().allocate(DType.F32, Shape.of(2, 4, 6, 6))) {
            Tensor flipped = x.asStrided(x.shape(), new long[] {192, 64, -8, 1}, 56);
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> key(CudnnPlan.FORWARD, flipped, y, 0));
            assertTrue(e.getMessage().contains("stride -8 on axis 2"), e.getMessage());
        }
    }

    @Test
    void aBroadcastInputIsRefusedAsRealCudnnWould() {
        try (Tensor image = Backends.cpu().allocate(DType.F32, Shape.of(1, 3, 8, 8));
             Tensor y = Backends.cpu().allocate(DType.F32, Shape.of(2, 4, 6, 6))) {
            // One image repeated over the batch: stride 0 on an axis of 2. Real cuDNN answers BAD_PARAM.
            Tensor repeated = image.broadcastTo(2, 3, 8, 8);
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> key(CudnnPlan.FORWARD, repeated, y, 0));
            assertTrue(e.getMessage().contains("has stride 0 on axis 0 of 2 elements (a broadcast), which cuDNN does"
                    + " not take; pass a contiguous copy"), e.getMessage());
            // A stride 0 on an axis of one element is taken (cuDNN too): nothing repeats.
            Tensor single = image.asStrided(Shape.of(1, 3, 8, 8), 0, 64, 8, 1);
            try (Tensor y1 = Backends.cpu().allocate(DType.F32, Shape.of(1, 4, 6, 6))) {
                Sizes s = new Sizes(1, 3, 8, 8, 4, 3, 3, 6, 6);
                int[] k = new int[CudnnPlan.KEY_LENGTH];
                CudnnPlan.key(k, CudnnPlan.FORWARD, s, 1, 1, 0, 0, single, y1, false, FilterLayout.NCHW);
                assertEquals(0, k[12]);
            }
        }
    }
}
