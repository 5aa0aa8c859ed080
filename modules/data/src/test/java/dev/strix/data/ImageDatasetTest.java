package dev.strix.data;

import static dev.strix.data.idx.IdxFixtures.allocatedBytes;
import static dev.strix.data.idx.IdxFixtures.gzip;
import static dev.strix.data.idx.IdxFixtures.idx;
import static dev.strix.data.idx.IdxFixtures.labels;
import static dev.strix.data.idx.IdxFixtures.pixels;
import static dev.strix.data.idx.IdxFixtures.write;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.strix.data.idx.IdxFormatException;
import dev.strix.tensor.Backends;
import dev.strix.tensor.Tensor;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ImageDatasetTest {
    @TempDir
    Path dir;

    @Test
    void readsImagesAndLabels() throws IOException {
        Path images = write(dir, "train-images-idx3-ubyte.gz", gzip(idx(pixels(12, 3, 5), 12, 3, 5)));
        Path labelFile = write(dir, "train-labels-idx1-ubyte.gz", gzip(idx(labels(12, 4), 12)));
        ImageDataset d = ImageDataset.read("toy", images, labelFile, 4);
        assertEquals(12, d.count());
        assertEquals(3, d.rows());
        assertEquals(5, d.cols());
        assertEquals(15, d.imageSize());
        for (int i = 0; i < 12; i++) {
            assertEquals(i % 4, d.label(i));
            for (int r = 0; r < 3; r++) {
                for (int c = 0; c < 5; c++) {
                    assertEquals((7 * i + 3 * (r * 5 + c)) & 0xFF, d.pixel(i, r, c));
                }
            }
        }
        assertArrayEquals(Arrays.copyOfRange(pixels(12, 3, 5), 30, 45), d.image(2));
    }

    @Test
    void countsThatDisagreeAreRefusedBeforeReadingData() {
        // A big but honest image file and a label file that belongs to another set: the error comes
        // from the headers alone, so the 16 MB of pixels are never allocated.
        Path images = write(dir, "train-images-idx3-ubyte", idx(new byte[20_000 * 28 * 28], 20_000, 28, 28));
        Path labelFile = write(dir, "t10k-labels-idx1-ubyte", idx(labels(10_000, 10), 10_000));
        long before = allocatedBytes();
        IdxFormatException e = assertThrows(IdxFormatException.class,
                () -> ImageDataset.read("MNIST training set", images, labelFile, 10));
        assertTrue(allocatedBytes() - before < 8 << 20, "allocated " + (allocatedBytes() - before));
        assertEquals("t10k-labels-idx1-ubyte: holds 10000 labels but train-images-idx3-ubyte holds 20000 images:"
                + " the two files do not belong together (training and test files mixed up?)", e.getMessage());
    }

    @Test
    void labelsOutsideTheClassesAreRefused() {
        Path images = write(dir, "i", idx(pixels(3, 2, 2), 3, 2, 2));
        Path labelFile = write(dir, "l", idx(new byte[] {1, (byte) 200, 2}, 3));
        IdxFormatException e = assertThrows(IdxFormatException.class, () -> ImageDataset.read("toy", images, labelFile, 10));
        assertEquals("l: label 200 of image 1 is outside 0..9 for toy", e.getMessage());
    }

    @Test
    void swappedFilesAreRefused() {
        Path images = write(dir, "i", idx(pixels(3, 2, 2), 3, 2, 2));
        Path labelFile = write(dir, "l", idx(new byte[] {1, 2, 3}, 3));
        IdxFormatException e = assertThrows(IdxFormatException.class, () -> ImageDataset.read("toy", labelFile, images, 10));
        assertTrue(e.getMessage().startsWith("l: expected an image file"), e.getMessage());
    }

    @Test
    void constructorChecksSizes() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new ImageDataset("toy", new byte[10], new byte[3], 2, 2, 10));
        assertEquals("toy: 3 labels need 12 pixels of 2x2, got 10", e.getMessage());
    }

    @Test
    void validationSplitIsSeededDisjointAndComplete() {
        int n = 50;
        ImageDataset d = new ImageDataset("toy", pixels(n, 1, 1), labels(n, 10), 1, 1, 10);
        DatasetSplit s = d.splitValidation(10, 99);
        assertEquals(40, s.training().count());
        assertEquals(10, s.validation().count());
        // Pixel value 7*i mod 256 identifies the original image (7 is invertible mod 256).
        Set<Integer> seen = new HashSet<>();
        for (ImageDataset part : new ImageDataset[] {s.training(), s.validation()}) {
            for (int k = 0; k < part.count(); k++) {
                int original = (part.pixel(k, 0, 0) * 183) & 0xFF; // 183 = 7^-1 mod 256
                assertTrue(seen.add(original), "image " + original + " in both parts");
                assertEquals(original % 10, part.label(k));
            }
        }
        assertEquals(n, seen.size());
        DatasetSplit again = d.splitValidation(10, 99);
        assertArrayEquals(s.validation().image(3), again.validation().image(3));
        DatasetSplit other = d.splitValidation(10, 100);
        boolean differs = false;
        for (int k = 0; k < 10; k++) {
            differs |= other.validation().pixel(k, 0, 0) != s.validation().pixel(k, 0, 0);
        }
        assertTrue(differs);
        assertThrows(IllegalArgumentException.class, () -> d.splitValidation(50, 1));
    }

    @Test
    void tensorsHoldTheRawData() {
        ImageDataset d = new ImageDataset("toy", pixels(3, 2, 2), new byte[] {2, 0, 1}, 2, 2, 3);
        try (Tensor p = d.pixelsTensor(Backends.cpu()); Tensor l = d.labelsTensor(Backends.cpu())) {
            assertEquals("[3, 1, 2, 2]", Arrays.toString(p.shape().dims()));
            assertArrayEquals(pixels(3, 2, 2), p.toByteArray());
            assertArrayEquals(new int[] {2, 0, 1}, l.toIntArray());
        }
    }
}
