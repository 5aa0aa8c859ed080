package dev.strix.compare;

import dev.strix.data.ImageDataset;
import dev.strix.data.Normalization;
import dev.strix.data.mnist.DatasetSource;
import dev.strix.data.mnist.MnistData;
import dev.strix.data.mnist.MnistLoader;
import java.io.IOException;
import java.nio.file.Path;
import java.util.SplittableRandom;

/**
 * MNIST as every stack sees it: raw pixels kept as bytes, normalised into a float batch on demand
 * ({@code (p / 255 - mean) / std}, the training set's mean and deviation), visited in one seeded
 * order per epoch, so all stacks train on exactly the same batches.
 */
final class MnistBatches {
    static final int PIXELS = 28 * 28;

    private final byte[] trainPixels;
    private final int[] trainLabels;
    private final byte[] testPixels;
    private final int[] testLabels;
    private final float[] table = new float[256];

    private MnistBatches(ImageDataset train, ImageDataset test) {
        this.trainPixels = pixels(train);
        this.trainLabels = labels(train);
        this.testPixels = pixels(test);
        this.testLabels = labels(test);
        Normalization n = Normalization.MNIST;
        for (int p = 0; p < 256; p++) {
            table[p] = (p / 255f - n.mean()) / n.std();
        }
    }

    static MnistBatches load(Path directory) throws IOException {
        MnistData data = new MnistLoader(DatasetSource.MNIST).loadFrom(directory);
        return new MnistBatches(data.training(), data.test());
    }

    private static byte[] pixels(ImageDataset d) {
        byte[] all = new byte[d.count() * PIXELS];
        for (int i = 0; i < d.count(); i++) {
            System.arraycopy(d.image(i), 0, all, i * PIXELS, PIXELS);
        }
        return all;
    }

    private static int[] labels(ImageDataset d) {
        int[] all = new int[d.count()];
        for (int i = 0; i < all.length; i++) {
            all[i] = d.label(i);
        }
        return all;
    }

    int trainCount() {
        return trainLabels.length;
    }

    int testCount() {
        return testLabels.length;
    }

    /** A seeded permutation of the training set for {@code epoch}. */
    int[] order(long seed, int epoch) {
        int[] order = new int[trainCount()];
        for (int i = 0; i < order.length; i++) {
            order[i] = i;
        }
        SplittableRandom random = new SplittableRandom(seed * 1_000_003L + epoch);
        for (int i = order.length - 1; i > 0; i--) {
            int j = random.nextInt(i + 1);
            int t = order[i];
            order[i] = order[j];
            order[j] = t;
        }
        return order;
    }

    /** Training images {@code order[start..start+n)} into {@code images} and {@code labels}. */
    void trainBatch(int[] order, int start, int n, float[] images, int[] labels) {
        for (int i = 0; i < n; i++) {
            int src = order[start + i];
            normalise(trainPixels, src, images, i);
            labels[i] = trainLabels[src];
        }
    }

    /** Test images {@code [start, start + n)}. */
    void testBatch(int start, int n, float[] images, int[] labels) {
        for (int i = 0; i < n; i++) {
            normalise(testPixels, start + i, images, i);
            labels[i] = testLabels[start + i];
        }
    }

    private void normalise(byte[] pixels, int image, float[] images, int slot) {
        int from = image * PIXELS;
        int to = slot * PIXELS;
        for (int p = 0; p < PIXELS; p++) {
            images[to + p] = table[pixels[from + p] & 0xFF];
        }
    }
}
