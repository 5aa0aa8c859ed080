package dev.strix.cuda;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.strix.tensor.Backends;
import dev.strix.tensor.DType;
import dev.strix.tensor.Shape;
import dev.strix.tensor.Tensor;
import org.junit.jupiter.api.Test;

/** What cuDNN's tensor descriptors take (host logic only, no GPU): stride range, and outputs that do not overlap. */
class CudnnTensorDescriptorsTest {
    @Test
    void stridesOutsideCudnnsIntRangeAreRefusedNamingTheTensor() {
        assertEquals(0, CudnnTensorDescriptors.stride(0, 1, "x"));
        assertEquals(Integer.MAX_VALUE, CudnnTensorDescriptors.stride(Integer.MAX_VALUE, 2, "x"));
        IllegalArgumentException negative = assertThrows(IllegalArgumentException.class,
                () -> CudnnTensorDescriptors.stride(-4, 2, "maxPoolForward input"));
        assertEquals("maxPoolForward input: stride -4 is outside what cuDNN takes (0 .. 2^31-1); pass a contiguous"
                + " copy", negative.getMessage());
        assertThrows(IllegalArgumentException.class, () -> CudnnTensorDescriptors.stride(1L << 31, 2, "x"));
    }

    @Test
    void aStrideZeroIsTakenOnlyOnAnAxisOfOneElement() {
        // What real cuDNN 9.5's cudnnSetTensor4dDescriptorEx answers: BAD_PARAM for a broadcast axis.
        IllegalArgumentException broadcast = assertThrows(IllegalArgumentException.class,
                () -> CudnnTensorDescriptors.stride(0, 3, "maxPoolForward input"));
        assertEquals("maxPoolForward input: stride 0 on an axis of 3 elements (a broadcast), which cuDNN does not"
                + " take; pass a contiguous copy", broadcast.getMessage());
        assertEquals(0, CudnnTensorDescriptors.stride(0, 1, "x"));
        assertEquals(0, CudnnTensorDescriptors.stride(0, 0, "x"), "an empty axis repeats nothing either");
    }

    @Test
    void contiguousPermutedAndSlicedOutputsAreTaken() {
        try (Tensor t = Backends.cpu().allocate(DType.F32, Shape.of(2, 3, 4, 5))) {
            assertDoesNotThrow(() -> CudnnTensorDescriptors.requireNoOverlap(t, "out"));
            // An NHWC buffer seen as NCHW, a transposed plane, every other row: no two indices share an address.
            assertDoesNotThrow(() -> CudnnTensorDescriptors.requireNoOverlap(t.reshape(2, 4, 5, 3).permute(0, 3, 1, 2),
                    "out"));
            assertDoesNotThrow(() -> CudnnTensorDescriptors.requireNoOverlap(t.transpose(2, 3), "out"));
            assertDoesNotThrow(() -> CudnnTensorDescriptors.requireNoOverlap(t.slice(2, 0, 4, 2), "out"));
            // Size-1 axes may have any stride, even 0.
            assertDoesNotThrow(() -> CudnnTensorDescriptors.requireNoOverlap(
                    t.asStrided(Shape.of(1, 3, 4, 5), 0, 20, 5, 1), "out"));
        }
    }

    @Test
    void outputsWhoseElementsShareMemoryAreRefused() {
        try (Tensor t = Backends.cpu().allocate(DType.F32, Shape.of(4, 5))) {
            Tensor broadcast = t.select(0, 0).broadcastTo(3, 4, 5);
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> CudnnTensorDescriptors.requireNoOverlap(broadcast, "maxPoolBackward input gradient"));
            assertTrue(e.getMessage().startsWith("maxPoolBackward input gradient: Tensor(F32[3, 4, 5], strides [0, 0, 1]"),
                    e.getMessage());
            assertTrue(e.getMessage().contains("cuDNN cannot write such an output"), e.getMessage());
            // Rows two apart over rows three long: element [1, 0] is element [0, 2].
            assertThrows(IllegalArgumentException.class,
                    () -> CudnnTensorDescriptors.requireNoOverlap(t.asStrided(Shape.of(3, 3), 2, 1), "out"));
            // Equal strides on two long axes.
            assertThrows(IllegalArgumentException.class,
                    () -> CudnnTensorDescriptors.requireNoOverlap(t.asStrided(Shape.of(2, 2), 1, 1), "out"));
            // Strides 2 and 1 over sizes 3 and 2 reach 0, 1, 2, 3, 4, 5: distinct.
            assertDoesNotThrow(() -> CudnnTensorDescriptors.requireNoOverlap(t.asStrided(Shape.of(3, 2), 2, 1), "out"));
        }
    }
}
