package dev.strix.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.strix.tensor.Backends;
import dev.strix.tensor.DType;
import dev.strix.tensor.Shape;
import dev.strix.tensor.Tensor;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Which cuDNN filter format a weight tensor's strides are (host logic only, no GPU). */
class FilterLayoutTest {
    private static Tensor cpu(int... dims) {
        return Backends.cpu().allocate(DType.F32, Shape.of(dims));
    }

    /** Contiguous NCHW data, which decides nothing. */
    private final Tensor nchwData = cpu(2, 3, 5, 5);
    private final Tensor nhwcStore = cpu(2, 5, 5, 4);
    /** NHWC data: a [2, 5, 5, 4] tensor seen as [2, 4, 5, 5]. */
    private final Tensor nhwcData = nhwcStore.permute(0, 3, 1, 2);

    @AfterEach
    void free() {
        nchwData.close();
        nhwcStore.close();
    }

    private FilterLayout of(Tensor w, String what) {
        return FilterLayout.of(w, nchwData, nchwData, what);
    }

    @Test
    void contiguousWeightsAreNchwAndTheViewOfAnOhwcTensorIsNhwc() {
        try (Tensor oihw = cpu(4, 3, 3, 2); Tensor ohwi = cpu(4, 3, 2, 3)) {
            assertEquals(FilterLayout.NCHW, of(oihw, "w"));
            Tensor view = ohwi.permute(0, 3, 1, 2);
            assertEquals(Shape.of(4, 3, 3, 2), view.shape());
            assertEquals(FilterLayout.NHWC, of(view, "w"));
        }
    }

    @Test
    void theCudnnFormatsAreThoseOfCudnnTensorFormatT() {
        assertEquals(0, FilterLayout.NCHW.cudnnFormat);
        assertEquals(1, FilterLayout.NHWC.cudnnFormat);
    }

    @Test
    void weightsThatAreBothOrdersTakeTheOrderOfTheData() {
        try (Tensor oneChannel = cpu(32, 3, 3, 1); Tensor oneByOne = cpu(8, 4, 1, 1)) {
            Tensor w = oneChannel.permute(0, 3, 1, 2);
            try (Tensor x = cpu(2, 28, 28, 1); Tensor y = cpu(2, 26, 26, 32); Tensor yNchw = cpu(2, 32, 26, 26)) {
                // The first convolution of an NHWC network: x has one channel, so only y says NHWC.
                assertEquals(FilterLayout.NHWC, FilterLayout.of(w, x.permute(0, 3, 1, 2), y.permute(0, 3, 1, 2), "w"));
                assertEquals(FilterLayout.NCHW, FilterLayout.of(w, x.permute(0, 3, 1, 2), yNchw, "w"));
            }
            assertEquals(FilterLayout.NHWC, FilterLayout.of(oneByOne, nhwcData, nchwData, "w"));
            assertEquals(FilterLayout.NCHW, of(oneByOne, "w"));
        }
    }

    @Test
    void weightsOfOneOrderKeepItWhateverTheData() {
        try (Tensor oihw = cpu(4, 3, 3, 2); Tensor ohwi = cpu(4, 3, 2, 3)) {
            assertEquals(FilterLayout.NCHW, FilterLayout.of(oihw, nhwcData, nhwcData, "w"));
            assertEquals(FilterLayout.NHWC, FilterLayout.of(ohwi.permute(0, 3, 1, 2), nchwData, nchwData, "w"));
        }
    }

    @Test
    void channelsLastDataHasSeveralChannelsAndTheSmallestChannelStride() {
        assertTrue(FilterLayout.channelsLast(nhwcData));
        assertTrue(!FilterLayout.channelsLast(nchwData));
        try (Tensor oneChannel = cpu(2, 7, 7, 1); Tensor pixel = cpu(2, 1, 1, 6)) {
            assertTrue(!FilterLayout.channelsLast(oneChannel.permute(0, 3, 1, 2)), "one channel is either order");
            // [2, 6, 1, 1]: only the batch axis and the channels step, the channels by 1.
            assertTrue(FilterLayout.channelsLast(pixel.permute(0, 3, 1, 2)));
            assertTrue(!FilterLayout.channelsLast(nchwData.transpose(2, 3)), "a transposed NCHW view");
        }
    }

    @Test
    void aViewWithAnOffsetKeepsItsLayout() {
        try (Tensor two = cpu(2, 4, 3, 2, 3)) {
            Tensor second = two.select(0, 1).permute(0, 3, 1, 2);
            assertTrue(second.offset() > 0);
            assertEquals(FilterLayout.NHWC, of(second, "w"));
        }
    }

    @Test
    void otherStridesAreRefusedNamingTheTensorAndBothLayouts() {
        try (Tensor w = cpu(4, 3, 3, 2); Tensor wide = cpu(4, 3, 3, 4)) {
            IllegalArgumentException swapped = assertThrows(IllegalArgumentException.class,
                    () -> of(w.transpose(2, 3), "forward weights"));
            assertTrue(swapped.getMessage().startsWith("forward weights: "), swapped.getMessage());
            assertTrue(swapped.getMessage().contains("[4, 3, 2, 3] with strides [18, 6, 1, 2]"), swapped.getMessage());
            assertTrue(swapped.getMessage().contains("[O, KH, KW, C]"), swapped.getMessage());
            Tensor everyOtherColumn = wide.slice(3, 0, 4, 2);
            assertThrows(IllegalArgumentException.class, () -> of(everyOtherColumn, "w"));
            Tensor channelsFirstOfOhwi = cpu(4, 3, 2, 3);
            try (channelsFirstOfOhwi) {
                // [O, KH, KW, C] permuted the wrong way round is neither order.
                assertThrows(IllegalArgumentException.class,
                        () -> of(channelsFirstOfOhwi.permute(0, 3, 2, 1), "w"));
            }
        }
    }

    @Test
    void weightsOfAnotherRankAreRefused() {
        try (Tensor w = cpu(4, 3, 9)) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> of(w, "w"));
            assertTrue(e.getMessage().contains("[O, C, KH, KW]"), e.getMessage());
        }
    }
}
