package dev.strix.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.strix.tensor.Backends;
import dev.strix.tensor.DType;
import dev.strix.tensor.Shape;
import dev.strix.tensor.Tensor;
import org.junit.jupiter.api.Test;

/** Which cuDNN filter format a weight tensor's strides are (host logic only, no GPU). */
class FilterLayoutTest {
    private static Tensor cpu(int... dims) {
        return Backends.cpu().allocate(DType.F32, Shape.of(dims));
    }

    @Test
    void contiguousWeightsAreNchwAndTheViewOfAnOhwcTensorIsNhwc() {
        try (Tensor oihw = cpu(4, 3, 3, 2); Tensor ohwi = cpu(4, 3, 2, 3)) {
            assertEquals(FilterLayout.NCHW, FilterLayout.of(oihw, "w"));
            Tensor view = ohwi.permute(0, 3, 1, 2);
            assertEquals(Shape.of(4, 3, 3, 2), view.shape());
            assertEquals(FilterLayout.NHWC, FilterLayout.of(view, "w"));
        }
    }

    @Test
    void theCudnnFormatsAreThoseOfCudnnTensorFormatT() {
        assertEquals(0, FilterLayout.NCHW.cudnnFormat);
        assertEquals(1, FilterLayout.NHWC.cudnnFormat);
    }

    @Test
    void oneInputChannelIsTheSameMemoryInBothOrdersAndReadsAsNchw() {
        try (Tensor ohwi = cpu(32, 3, 3, 1)) {
            assertEquals(FilterLayout.NCHW, FilterLayout.of(ohwi.permute(0, 3, 1, 2), "w"));
        }
    }

    @Test
    void aViewWithAnOffsetKeepsItsLayout() {
        try (Tensor two = cpu(2, 4, 3, 2, 3)) {
            Tensor second = two.select(0, 1).permute(0, 3, 1, 2);
            assertTrue(second.offset() > 0);
            assertEquals(FilterLayout.NHWC, FilterLayout.of(second, "w"));
        }
    }

    @Test
    void otherStridesAreRefusedNamingTheTensorAndBothLayouts() {
        try (Tensor w = cpu(4, 3, 3, 2); Tensor wide = cpu(4, 3, 3, 4)) {
            IllegalArgumentException swapped = assertThrows(IllegalArgumentException.class,
                    () -> FilterLayout.of(w.transpose(2, 3), "forward weights"));
            assertTrue(swapped.getMessage().startsWith("forward weights: "), swapped.getMessage());
            assertTrue(swapped.getMessage().contains("[4, 3, 2, 3] with strides [18, 6, 1, 2]"), swapped.getMessage());
            assertTrue(swapped.getMessage().contains("[O, KH, KW, C]"), swapped.getMessage());
            Tensor everyOtherColumn = wide.slice(3, 0, 4, 2);
            assertThrows(IllegalArgumentException.class, () -> FilterLayout.of(everyOtherColumn, "w"));
            Tensor channelsFirstOfOhwi = cpu(4, 3, 2, 3);
            try (channelsFirstOfOhwi) {
                // [O, KH, KW, C] permuted the wrong way round is neither order.
                assertThrows(IllegalArgumentException.class,
                        () -> FilterLayout.of(channelsFirstOfOhwi.permute(0, 3, 2, 1), "w"));
            }
        }
    }

    @Test
    void weightsOfAnotherRankAreRefused() {
        try (Tensor w = cpu(4, 3, 9)) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> FilterLayout.of(w, "w"));
            assertTrue(e.getMessage().contains("[O, C, KH, KW]"), e.getMessage());
        }
    }
}
