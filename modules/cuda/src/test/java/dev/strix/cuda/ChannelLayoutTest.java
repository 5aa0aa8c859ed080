package dev.strix.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.strix.tensor.Backends;
import dev.strix.tensor.DType;
import dev.strix.tensor.Tensor;
import org.junit.jupiter.api.Test;

/** The [N, C, S] view the batch-norm kernels take, and what it refuses, without a GPU. */
class ChannelLayoutTest {
    private static Tensor zeros(int... dims) {
        return Tensor.zeros(Backends.cpu(), DType.F32, dims);
    }

    @Test
    void denseActivationsHaveOneValuePerSampleAndChannel() {
        try (Tensor t = zeros(7, 5)) {
            assertEquals(new ChannelLayout(7, 5, 1, 5, 1, 1), ChannelLayout.of(t, "x"));
        }
    }

    @Test
    void imagesMergeTheirPlaneIntoOneRun() {
        try (Tensor t = zeros(3, 5, 4, 3)) {
            assertEquals(new ChannelLayout(3, 5, 12, 60, 12, 1), ChannelLayout.of(t, "x"));
        }
    }

    @Test
    void aChannelsFirstViewWalksItsOwnStrides() {
        // [C, N, H, W] storage seen as [N, C, H, W]: the plane is still one run.
        try (Tensor t = zeros(5, 3, 4, 3)) {
            ChannelLayout v = ChannelLayout.of(t.transpose(0, 1), "x");
            assertEquals(new ChannelLayout(3, 5, 12, 12, 36, 1), v);
        }
    }

    @Test
    void sizeOneAxesDoNotBreakTheRun() {
        try (Tensor t = zeros(2, 3, 1, 4, 1)) {
            assertEquals(new ChannelLayout(2, 3, 4, 12, 4, 1), ChannelLayout.of(t, "x"));
        }
    }

    @Test
    void aPlaneThatIsNotOneRunIsRefused() {
        try (Tensor t = zeros(2, 3, 4, 5)) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> ChannelLayout.of(t.transpose(2, 3), "batchNormTraining input"));
            assertTrue(e.getMessage().startsWith("batchNormTraining input: the axes after the channel axis of "),
                    e.getMessage());
            assertThrows(IllegalArgumentException.class, () -> ChannelLayout.of(zeros(4), "x"));
        }
    }
}
