package dev.strix.data;

import static dev.strix.data.idx.IdxFixtures.allocatedBytes;
import static dev.strix.data.idx.IdxFixtures.labels;
import static dev.strix.data.idx.IdxFixtures.pixels;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.strix.data.augment.Augmentation;
import dev.strix.tensor.Backend;
import dev.strix.tensor.Backends;
import dev.strix.tensor.DType;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

class BatchLoaderTest {
    private static final Backend CPU = Backends.cpu();
    private static final int ROWS = 3;
    private static final int COLS = 4;

    private static ImageDataset toy(int count) {
        return new ImageDataset("toy", pixels(count, ROWS, COLS), labels(count, 10), ROWS, COLS, 10);
    }

    /** The naive reference: image index and pixel position give the expected float. */
    private static float expected(int image, int p, Normalization n) {
        int v = (7 * image + 3 * p) & 0xFF;
        return (float) ((v / 255.0 - n.mean()) / n.std());
    }

    /** Which dataset image each row of the batch holds, recovered from its first pixel. */
    private static int[] imagesIn(Batch b, Normalization n) {
        float[] data = b.images().toFloatArray();
        int[] ids = new int[b.size()];
        for (int i = 0; i < b.size(); i++) {
            int v = Math.round((data[i * ROWS * COLS] * n.std() + n.mean()) * 255f);
            ids[i] = (v * 183) & 0xFF; // 183 = 7^-1 mod 256
        }
        return ids;
    }

    @Test
    void inOrderBatchesMatchTheReferenceAndKeepTheLastPartialBatch() {
        Normalization n = Normalization.MNIST;
        try (BatchLoader loader = new BatchLoader(toy(10), CPU, BatchOptions.evaluation(4).withNormalization(n))) {
            assertEquals(3, loader.batchCount());
            int image = 0;
            int[] sizes = new int[3];
            for (Batch b : loader.epoch(0)) {
                sizes[b.index()] = b.size();
                assertEquals(DType.F32, b.images().dtype());
                assertEquals(DType.I32, b.labels().dtype());
                assertArrayEquals(new int[] {b.size(), 1, ROWS, COLS}, b.images().shape().dims());
                assertArrayEquals(new int[] {b.size()}, b.labels().shape().dims());
                float[] data = b.images().toFloatArray();
                int[] labelValues = b.labels().toIntArray();
                for (int i = 0; i < b.size(); i++, image++) {
                    assertEquals(image % 10, labelValues[i]);
                    for (int p = 0; p < ROWS * COLS; p++) {
                        assertEquals(expected(image, p, n), data[i * ROWS * COLS + p], 1e-6f);
                    }
                }
            }
            assertArrayEquals(new int[] {4, 4, 2}, sizes);
            assertEquals(10, image);
        }
    }

    @Test
    void dropLastDropsThePartialBatch() {
        try (BatchLoader loader = new BatchLoader(toy(10), CPU, BatchOptions.evaluation(4).withDropLast(true))) {
            assertEquals(2, loader.batchCount());
            assertThrows(IndexOutOfBoundsException.class, () -> loader.batch(2));
            assertEquals(4, loader.batch(1).size());
        }
        try (BatchLoader loader = new BatchLoader(toy(8), CPU, BatchOptions.evaluation(4))) {
            assertEquals(2, loader.batchCount());
            assertEquals(4, loader.batch(1).size());
        }
    }

    @Test
    void shuffledEpochsVisitEveryImageOnceInASeededOrder() {
        BatchOptions options = BatchOptions.training(8).withSeed(5);
        List<int[]> orders = new ArrayList<>();
        try (BatchLoader loader = new BatchLoader(toy(50), CPU, options)) {
            for (int epoch = 0; epoch < 3; epoch++) {
                int[] visited = new int[50];
                int k = 0;
                for (Batch b : loader.epoch(epoch)) {
                    int[] ids = imagesIn(b, Normalization.NONE);
                    int[] labelValues = b.labels().toIntArray();
                    for (int i = 0; i < b.size(); i++) {
                        assertEquals(ids[i] % 10, labelValues[i], "label travels with its image");
                        visited[k++] = ids[i];
                    }
                }
                assertEquals(50, k);
                int[] sorted = visited.clone();
                Arrays.sort(sorted);
                for (int i = 0; i < 50; i++) {
                    assertEquals(i, sorted[i]);
                }
                orders.add(visited);
            }
        }
        assertFalse(Arrays.equals(orders.get(0), orders.get(1)));
        assertFalse(Arrays.equals(orders.get(1), orders.get(2)));
        // A fresh loader with the same seed repeats epoch 1 exactly, without replaying epoch 0.
        try (BatchLoader again = new BatchLoader(toy(50), CPU, options)) {
            again.startEpoch(1);
            for (int i = 0; i < 50; i++) {
                assertEquals(orders.get(1)[i], again.orderAt(i));
            }
        }
    }

    @Test
    void tensorsAreReusedAcrossSteps() {
        try (BatchLoader loader = new BatchLoader(toy(20), CPU, BatchOptions.training(4))) {
            Batch first = loader.batch(0);
            var images = first.images();
            var labelTensor = first.labels();
            Batch second = loader.batch(3);
            assertSame(first, second);
            assertSame(images, second.images());
            assertSame(labelTensor, second.labels());
            assertEquals(3, second.index());
        }
    }

    @Test
    void steadyStateAllocatesNothingPerStep() {
        ImageDataset d = new ImageDataset("big", pixels(2048, 28, 28), labels(2048, 10), 28, 28, 10);
        for (Augmentation a : new Augmentation[] {Augmentation.NONE, Augmentation.digits()}) {
            try (BatchLoader loader = new BatchLoader(d, CPU, BatchOptions.training(128).withAugmentation(a))) {
                for (int warm = 0; warm < 3; warm++) {
                    for (int i = 0; i < loader.batchCount(); i++) {
                        loader.batch(i);
                    }
                }
                long before = allocatedBytes();
                for (int i = 0; i < loader.batchCount(); i++) {
                    loader.batch(i);
                }
                long perStep = (allocatedBytes() - before) / loader.batchCount();
                // One float batch is 401 KB; a few bytes of noise are tolerated, a buffer is not.
                assertTrue(perStep < 1024, a + ": " + perStep + " bytes allocated per step");
            }
        }
    }

    @Test
    void augmentedBatchesRepeatForTheSameSeedAndDifferOtherwise() {
        ImageDataset d = new ImageDataset("big", pixels(64, 28, 28), labels(64, 10), 28, 28, 10);
        BatchOptions options = BatchOptions.training(16).withSeed(11).withAugmentation(Augmentation.digits());
        float[] a;
        float[] b;
        float[] c;
        float[] plain;
        try (BatchLoader l = new BatchLoader(d, CPU, options)) {
            l.startEpoch(2);
            a = l.batch(1).images().toFloatArray();
        }
        try (BatchLoader l = new BatchLoader(d, CPU, options)) {
            l.startEpoch(2);
            l.batch(0);
            b = l.batch(1).images().toFloatArray();
        }
        try (BatchLoader l = new BatchLoader(d, CPU, options.withSeed(12))) {
            l.startEpoch(2);
            c = l.batch(1).images().toFloatArray();
        }
        try (BatchLoader l = new BatchLoader(d, CPU, options.withAugmentation(Augmentation.NONE))) {
            l.startEpoch(2);
            plain = l.batch(1).images().toFloatArray();
        }
        assertArrayEquals(a, b);
        assertFalse(Arrays.equals(a, c));
        assertFalse(Arrays.equals(a, plain));
    }

    /** Every batch of two epochs from host and backend assembly, compared float for float. */
    private static void assertSameBatches(ImageDataset d, BatchOptions options) {
        try (BatchLoader host = new BatchLoader(d, CPU, options, false);
             BatchLoader onBackend = new BatchLoader(d, CPU, options, true)) {
            assertFalse(host.assemblesOnBackend());
            assertTrue(onBackend.assemblesOnBackend());
            assertEquals(host.batchCount(), onBackend.batchCount());
            for (int epoch = 0; epoch < 2; epoch++) {
                host.startEpoch(epoch);
                onBackend.startEpoch(epoch);
                for (int i = 0; i < host.batchCount(); i++) {
                    Batch h = host.batch(i);
                    float[] hostImages = h.images().toFloatArray();
                    int[] hostLabels = h.labels().toIntArray();
                    Batch o = onBackend.batch(i);
                    String where = options + ", epoch " + epoch + ", batch " + i;
                    assertEquals(h.size(), o.size(), where);
                    assertArrayEquals(hostImages, o.images().toFloatArray(), where);
                    assertArrayEquals(hostLabels, o.labels().toIntArray(), where);
                }
            }
        }
    }

    @Test
    void backendAssemblyGivesTheHostAssemblysBatches() {
        ImageDataset d = new ImageDataset("big", pixels(70, 28, 28), labels(70, 10), 28, 28, 10);
        assertSameBatches(d, BatchOptions.evaluation(16).withNormalization(Normalization.MNIST));
        assertSameBatches(d, BatchOptions.training(16).withSeed(5).withNormalization(Normalization.FASHION_MNIST));
        assertSameBatches(d, BatchOptions.training(16).withSeed(9).withNormalization(Normalization.MNIST)
                .withAugmentation(Augmentation.digits()));
        assertSameBatches(d, BatchOptions.training(32).withSeed(9).withDropLast(true)
                .withAugmentation(new Augmentation(30, 4, 0.7, 1.3)));
    }

    @Test
    void backendAssemblyAllocatesNothingPerStep() {
        ImageDataset d = new ImageDataset("big", pixels(1024, 28, 28), labels(1024, 10), 28, 28, 10);
        for (Augmentation a : new Augmentation[] {Augmentation.NONE, Augmentation.digits()}) {
            try (BatchLoader loader = new BatchLoader(d, CPU, BatchOptions.training(128).withAugmentation(a), true)) {
                for (int warm = 0; warm < 3; warm++) {
                    for (int i = 0; i < loader.batchCount(); i++) {
                        loader.batch(i);
                    }
                }
                long before = allocatedBytes();
                for (int i = 0; i < loader.batchCount(); i++) {
                    loader.batch(i);
                }
                long perStep = (allocatedBytes() - before) / loader.batchCount();
                // A float batch is 401 KB and a batch of matrices 3 KB; the CPU data ops' fork-join tasks
                // take about 1 KB and each staging copy's strided loop a few hundred bytes (none of them on a
                // GPU), a buffer would take more.
                assertTrue(perStep < 2900, a + ": " + perStep + " bytes allocated per step");
            }
        }
    }

    @Test
    void batchLargerThanTheDataset() {
        try (BatchLoader loader = new BatchLoader(toy(3), CPU, BatchOptions.evaluation(8))) {
            assertEquals(1, loader.batchCount());
            assertEquals(3, loader.batch(0).size());
        }
        try (BatchLoader loader = new BatchLoader(toy(3), CPU, BatchOptions.evaluation(8).withDropLast(true))) {
            assertEquals(0, loader.batchCount());
            assertFalse(loader.epoch(0).iterator().hasNext());
        }
    }
}
