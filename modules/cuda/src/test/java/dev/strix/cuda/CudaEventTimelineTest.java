package dev.strix.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.strix.tensor.Backend;
import dev.strix.tensor.DType;
import dev.strix.tensor.Shape;
import dev.strix.tensor.Tensor;
import dev.strix.tensor.Timeline;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The GPU timeline: device events on the stream, one interval between each two marks, marks that do
 * not wait for the device, none while a graph is captured. Skipped, with the reason, without a GPU.
 */
class CudaEventTimelineTest {
    private Backend cuda;

    @BeforeEach
    void requireGpu() {
        cuda = CudaTestSupport.cudaOrSkip("CUDA timeline tests");
    }

    @Test
    void marksAreEventsAndIntervalsLieBetweenThem() {
        try (Timeline timeline = cuda.timeline();
             Tensor a = Tensor.zeros(cuda, DType.F32, 128, 128); Tensor c = cuda.allocate(DType.F32, Shape.of(128, 128))) {
            assertTrue(timeline instanceof CudaEventTimeline, timeline.getClass().getName());
            for (int round = 0; round < 2; round++) {
                timeline.reset();
                long waits = cuda.hostWaits();
                timeline.mark();
                cuda.blas().gemm(false, false, 1f, a, a, 0f, c);
                timeline.mark();
                timeline.mark();
                assertEquals(waits, cuda.hostWaits(), "a mark must not wait for the device");
                double[] ms = timeline.intervals();
                assertEquals(2, ms.length);
                for (double m : ms) {
                    assertTrue(m >= 0 && Double.isFinite(m), java.util.Arrays.toString(ms));
                }
            }
        }
    }

    @Test
    void noMarkWhileAGraphIsCaptured() {
        try (Timeline timeline = cuda.timeline(); Tensor x = cuda.allocate(DType.F32, Shape.of(16))) {
            IllegalStateException e = assertThrows(IllegalStateException.class,
                    () -> cuda.graphCapture().orElseThrow().capture(() -> {
                        cuda.fill(x, 1f);
                        timeline.mark();
                    }));
            assertTrue(e.getMessage().contains("a timeline mark while a CUDA graph is being captured"), e.getMessage());
            // The backend works eagerly again, and so does the timeline.
            timeline.mark();
            cuda.fill(x, 2f);
            timeline.mark();
            assertEquals(1, timeline.intervals().length);
        }
    }
}
