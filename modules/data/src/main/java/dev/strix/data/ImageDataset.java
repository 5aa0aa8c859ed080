package dev.strix.data;

import dev.strix.data.idx.IdxFormatException;
import dev.strix.data.idx.IdxReader;
import dev.strix.tensor.Backend;
import dev.strix.tensor.Tensor;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * Labelled grey-scale images kept as they are stored: one uint8 array of {@code count * rows * cols}
 * pixels (image-major, then row-major) and one uint8 label per image. Conversion to floats happens
 * per batch ({@link BatchLoader}), so the whole of MNIST's training set takes 47 MB, not 188 MB.
 *
 * <p>Immutable: the arrays are never handed out for writing.
 */
public final class ImageDataset {
    private final String name;
    private final byte[] pixels;
    private final byte[] labels;
    private final int count;
    private final int rows;
    private final int cols;
    private final int classes;

    /**
     * Wraps {@code pixels} and {@code labels} (not copied; the caller gives them up). Every label
     * must lie in [0, classes).
     */
    public ImageDataset(String name, byte[] pixels, byte[] labels, int rows, int cols, int classes) {
        if (rows <= 0 || cols <= 0 || classes <= 0) {
            throw new IllegalArgumentException(name + ": rows, cols and classes must be positive, got "
                    + rows + ", " + cols + ", " + classes);
        }
        if ((long) labels.length * rows * cols != pixels.length) {
            throw new IllegalArgumentException(name + ": " + labels.length + " labels need "
                    + (long) labels.length * rows * cols + " pixels of " + rows + "x" + cols + ", got " + pixels.length);
        }
        int bad = firstLabelOutside(labels, classes);
        if (bad >= 0) {
            throw new IllegalArgumentException(name + ": label " + (labels[bad] & 0xFF) + " of image " + bad
                    + " is outside 0.." + (classes - 1));
        }
        this.name = name;
        this.pixels = pixels;
        this.labels = labels;
        this.count = labels.length;
        this.rows = rows;
        this.cols = cols;
        this.classes = classes;
    }

    /**
     * Reads an IDX image file and its IDX label file. Both headers are read and compared (image
     * count against label count) before any data is allocated; labels outside [0, classes) are
     * refused.
     */
    public static ImageDataset read(String name, Path images, Path labels, int classes) throws IOException {
        try (IdxReader imageReader = IdxReader.openImages(images);
             IdxReader labelReader = IdxReader.openLabels(labels)) {
            int imageCount = imageReader.header().count();
            int labelCount = labelReader.header().count();
            if (imageCount != labelCount) {
                throw new IdxFormatException(labelReader.header().fileName(), "holds " + labelCount
                        + " labels but " + imageReader.header().fileName() + " holds " + imageCount
                        + " images: the two files do not belong together (training and test files mixed up?)");
            }
            int rows = imageReader.header().dim(1);
            int cols = imageReader.header().dim(2);
            if (rows == 0 || cols == 0) {
                throw new IdxFormatException(imageReader.header().fileName(), "header says "
                        + imageReader.header().describe() + ": images need at least one row and column");
            }
            byte[] pixels = imageReader.readData();
            byte[] labelBytes = labelReader.readData();
            int bad = firstLabelOutside(labelBytes, classes);
            if (bad >= 0) {
                throw new IdxFormatException(labelReader.header().fileName(), "label " + (labelBytes[bad] & 0xFF)
                        + " of image " + bad + " is outside 0.." + (classes - 1) + " for " + name);
            }
            return new ImageDataset(name, pixels, labelBytes, rows, cols, classes);
        }
    }

    private static int firstLabelOutside(byte[] labels, int classes) {
        for (int i = 0; i < labels.length; i++) {
            if ((labels[i] & 0xFF) >= classes) {
                return i;
            }
        }
        return -1;
    }

    public String name() {
        return name;
    }

    /** Number of images. */
    public int count() {
        return count;
    }

    public int rows() {
        return rows;
    }

    public int cols() {
        return cols;
    }

    /** Pixels per image: rows * cols. */
    public int imageSize() {
        return rows * cols;
    }

    /** Number of classes; labels lie in [0, classes). */
    public int classes() {
        return classes;
    }

    /** The label of image {@code i}. */
    public int label(int i) {
        return labels[checkIndex(i)] & 0xFF;
    }

    /** Pixel ({@code row}, {@code col}) of image {@code i}, 0..255. */
    public int pixel(int i, int row, int col) {
        checkIndex(i);
        if (row < 0 || row >= rows || col < 0 || col >= cols) {
            throw new IndexOutOfBoundsException(name + ": pixel (" + row + ", " + col + ") outside " + rows + "x" + cols);
        }
        return pixels[(i * rows + row) * cols + col] & 0xFF;
    }

    /** A copy of image {@code i}'s pixels, row-major. */
    public byte[] image(int i) {
        checkIndex(i);
        int size = imageSize();
        return Arrays.copyOfRange(pixels, i * size, (i + 1) * size);
    }

    private int checkIndex(int i) {
        if (i < 0 || i >= count) {
            throw new IndexOutOfBoundsException(name + ": image " + i + " of " + count);
        }
        return i;
    }

    /** The images at {@code indices}, in that order, as a new dataset (copied once). */
    public ImageDataset subset(String subsetName, int[] indices) {
        int size = imageSize();
        byte[] p = new byte[Math.multiplyExact(indices.length, size)];
        byte[] l = new byte[indices.length];
        for (int k = 0; k < indices.length; k++) {
            int i = checkIndex(indices[k]);
            System.arraycopy(pixels, i * size, p, k * size, size);
            l[k] = labels[i];
        }
        return new ImageDataset(subsetName, p, l, rows, cols, classes);
    }

    /**
     * Splits off {@code validationCount} images chosen at random (depending only on {@code seed})
     * as a validation set; the rest stay for training. Both keep the original order.
     */
    public DatasetSplit splitValidation(int validationCount, long seed) {
        if (validationCount < 0 || validationCount >= count) {
            throw new IllegalArgumentException(name + ": validation count " + validationCount
                    + " must be in [0, " + count + ") to leave training images");
        }
        int[] order = new int[count];
        CounterRandom.permutation(CounterRandom.key(seed, 0x5911L), order);
        int[] validation = Arrays.copyOfRange(order, 0, validationCount);
        int[] training = Arrays.copyOfRange(order, validationCount, count);
        Arrays.sort(validation);
        Arrays.sort(training);
        return new DatasetSplit(subset(name + " (training part)", training),
                subset(name + " (validation part)", validation));
    }

    /** All pixels as a uint8 tensor [count, 1, rows, cols] on {@code backend} (for device-side batching). */
    public Tensor pixelsTensor(Backend backend) {
        return Tensor.ofBytes(backend, pixels, count, 1, rows, cols);
    }

    /** All labels as an int32 tensor [count] on {@code backend}. */
    public Tensor labelsTensor(Backend backend) {
        int[] l = new int[count];
        for (int i = 0; i < count; i++) {
            l[i] = labels[i] & 0xFF;
        }
        return Tensor.ofInts(backend, l, count);
    }

    /** The backing pixel array, for the batcher in this package; never written. */
    byte[] pixelArray() {
        return pixels;
    }

    /** The backing label array, for the batcher in this package; never written. */
    byte[] labelArray() {
        return labels;
    }

    @Override
    public String toString() {
        return name + ": " + count + " images of " + rows + "x" + cols + ", " + classes + " classes";
    }
}
