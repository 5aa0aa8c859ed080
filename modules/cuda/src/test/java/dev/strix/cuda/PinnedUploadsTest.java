package dev.strix.cuda;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import dev.strix.tensor.Backend;
import dev.strix.tensor.DType;
import dev.strix.tensor.Shape;
import dev.strix.tensor.Tensor;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Small host-to-device copies go through a ring of page-locked slots: many more uploads than slots,
 * each from a host array rewritten right after the call, all arrive intact; a copy too large for a
 * slot takes the pageable path. Skipped, with the reason, where there is no GPU.
 */
class PinnedUploadsTest {
    private Backend cuda;

    @BeforeEach
    void requireGpu() {
        cuda = CudaTestSupport.cudaOrSkip("CUDA pinned upload tests");
    }

    @Test
    void moreUploadsThanSlotsAllArriveAndTheHostMayReuseItsArrayAtOnce() {
        int uploads = 5 * PinnedUploads.SLOTS + 3;
        float[] host = new float[3];
        float[] expected = new float[3 * uploads];
        try (Tensor all = cuda.allocate(DType.F32, Shape.of(uploads, 3))) {
            for (int i = 0; i < uploads; i++) {
                for (int j = 0; j < 3; j++) {
                    host[j] = i * 10 + j;
                    expected[3 * i + j] = host[j];
                }
                all.slice(0, i, i + 1).reshape(3).copyFrom(host);
                host[0] = -1;
            }
            assertArrayEquals(expected, all.toFloatArray());
        }
    }

    @Test
    void aCopyLargerThanASlotTakesThePageablePath() {
        int n = (int) (PinnedUploads.SLOT_BYTES / Float.BYTES) + 1;
        float[] host = new float[n];
        for (int i = 0; i < n; i++) {
            host[i] = i * 0.5f;
        }
        try (Tensor t = cuda.allocate(DType.F32, Shape.of(n))) {
            t.copyFrom(host);
            assertArrayEquals(host, t.toFloatArray());
        }
    }
}
