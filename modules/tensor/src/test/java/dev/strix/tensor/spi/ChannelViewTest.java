package dev.strix.tensor.spi;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.strix.tensor.Backends;
import dev.strix.tensor.DType;
import dev.strix.tensor.Tensor;
import org.junit.jupiter.api.Test;

/** The [N, C, S] view every backend's batch norm takes, and what it refuses. */
class ChannelViewTest {
    private static Tensor zeros(int... dims) {
        return Tensor.zeros(Backends.cpu(), DType.F32, dims);
    }

    @Test
    void denseActivationsHaveOneValuePerSampleAndChannel() {
        try (Tensor t = zeros(7, 5)) {
            assertEquals(new ChannelView(7, 5, 1, 5, 1, 1, 0), ChannelView.of(t, "x"));
        }
    }

    @Test
    void imagesMergeTheirPlaneIntoOneRun() {
        try (Tensor t = zeros(3, 5, 4, 3)) {
            assertEquals(new ChannelView(3, 5, 12, 60, 12, 1, 0), ChannelView.of(t, "x"));
        }
    }

    @Test
    void aChannelsFirstViewWalksItsOwnStrides() {
        // [C, N, H, W] storage seen as [N, C, H, W]: the plane is still one run.
        try (Tensor t = zeros(5, 3, 4, 3)) {
            ChannelView v = ChannelView.of(t.transpose(0, 1), "x");
            assertEquals(new ChannelView(3, 5, 12, 12, 36, 1, 0), v);
        }
    }

    @Test
    void sizeOneAxesDoNotBreakTheRun() {
        try (Tensor t = zeros(2, 3, 1, 4, 1)) {
            assertEquals(new ChannelView(2, 3, 4, 12, 4, 1, 0), ChannelView.of(t, "x"));
        }
    }

    @Test
    void aViewWithAnOffsetAddressesFromIt() {
        try (Tensor t = zeros(4, 3, 2, 2)) {
            ChannelView v = ChannelView.of(t.slice(0, 1, 3), "x");
            assertEquals(new ChannelView(2, 3, 4, 12, 4, 1, 12), v);
            assertEquals(12 + 12 + 2 * 4 + 3, v.at(1, 2, 3));
        }
    }

    @Test
    void anotherTensorMustHaveTheInputsShape() {
        try (Tensor x = zeros(2, 3, 4); Tensor same = zeros(2, 3, 2, 2); Tensor other = zeros(2, 4, 3)) {
            ChannelView input = ChannelView.of(x, "x");
            ChannelView v = ChannelView.of(same, "out");
            assertEquals(v, v.requireShapeOf(input, same, "out"));
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> ChannelView.of(other, "out").requireShapeOf(input, other, "batchNormTraining output"));
            assertEquals("batchNormTraining output [2, 4, 3] does not match the input's [N, C, S] = [2, 3, 4]",
                    e.getMessage());
        }
    }

    @Test
    void aPlaneThatIsNotOneRunIsRefused() {
        try (Tensor t = zeros(2, 3, 4, 5)) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> ChannelView.of(t.transpose(2, 3), "batchNormTraining input"));
            assertTrue(e.getMessage().startsWith("batchNormTraining input: the axes after the channel axis of "),
                    e.getMessage());
            assertThrows(IllegalArgumentException.class, () -> ChannelView.of(zeros(4), "x"));
        }
    }
}
