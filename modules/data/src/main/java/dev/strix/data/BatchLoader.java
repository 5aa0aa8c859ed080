package dev.strix.data;

import dev.strix.data.augment.AffineSampler;
import dev.strix.data.augment.AffineTransforms;
import dev.strix.data.augment.Augmentation;
import dev.strix.tensor.Backend;
import dev.strix.tensor.DType;
import dev.strix.tensor.Shape;
import dev.strix.tensor.Tensor;
import java.lang.foreign.MemorySegment;
import java.util.Iterator;
import java.util.NoSuchElementException;

/**
 * Cuts an {@link ImageDataset} into batches of float32 images [n, 1, rows, cols] and int32 labels
 * [n] on a backend.
 *
 * <p>Two ways, giving the same floats. On the CPU backend (host assembly) a step gathers the batch's
 * uint8 images, converts them (through a 256-entry table, or through {@link AffineSampler} when
 * augmenting) into a staging array and copies that to the tensors. On any other backend (backend
 * assembly) the whole dataset is uploaded once as uint8, each epoch's order (and, when augmenting,
 * the epoch's affine matrices, six floats per image drawn on the host) is uploaded once per epoch,
 * and a step only launches the backend's {@link dev.strix.tensor.DataOps} on views of those: no
 * host copy and no wait for the device inside an epoch.
 *
 * <p>A step is two calls, {@link #stage} then {@link #assembleStaged} ({@link #batch} makes both).
 * With backend assembly, staging copies the batch's slice of the epoch order (and its matrices)
 * device to device into fixed buffers, and assembling runs the data ops on those fixed buffers
 * only: the same ops with the same arguments for every batch of a size, which a CUDA graph can
 * record once and replay after each {@code stage}. With host assembly, staging does all the work.
 *
 * <p>Every buffer is allocated once, in the constructor (and every per-batch view of the epoch
 * order); a step allocates nothing.
 *
 * <p>Reproducible: the order of epoch {@code e} depends only on (seed, e), and the augmentation of
 * batch {@code b} only on (seed, e, b), so a run can be repeated or resumed from any epoch.
 *
 * <pre>{@code
 * try (BatchLoader loader = new BatchLoader(train, backend, BatchOptions.training(128).withSeed(7))) {
 *     for (int epoch = 0; epoch < 10; epoch++) {
 *         for (Batch b : loader.epoch(epoch)) {
 *             model.step(b.images(), b.labels());
 *         }
 *     }
 * }
 * }</pre>
 */
public final class BatchLoader implements AutoCloseable {
    private static final long AUGMENT_SALT = 0xA06_3E17L;

    private final ImageDataset data;
    private final Backend backend;
    private final BatchOptions options;
    private final int imageSize;
    private final int batchCount;
    private final int lastSize;
    private final int[] order;
    private final float[] table;
    private final boolean augment;
    private final float[] matrices;
    private final float[] hostImages;
    private final int[] hostLabels;
    private final MemorySegment hostImagesSegment;
    private final MemorySegment hostLabelsSegment;
    private final Tensor images;
    private final Tensor labels;
    private final Tensor lastImages;
    private final Tensor lastLabels;
    private final Batch batch = new Batch();
    private final boolean onBackend;
    private final Tensor datasetPixels;
    private final Tensor datasetLabels;
    private final Tensor epochOrder;
    private final Tensor epochMatrices;
    private final float[] hostEpochMatrices;
    private final Tensor[] orderViews;
    private final Tensor[] matrixViews;
    private final Tensor stagedOrder;
    private final Tensor stagedMatrices;
    private final Tensor lastStagedOrder;
    private final Tensor lastStagedMatrices;
    /** The staged matrices as flat runs, the targets of the per-step copies (a flat copy allocates nothing). */
    private final Tensor stagedMatricesFlat;
    private final Tensor lastStagedMatricesFlat;
    private int epoch;
    private int stagedIndex = -1;

    /** Assembles batches on the backend unless it is the CPU (see the class comment). */
    public BatchLoader(ImageDataset data, Backend backend, BatchOptions options) {
        this(data, backend, options, !backend.name().equals("cpu"));
    }

    /**
     * {@code onBackend} chooses backend assembly (dataset uploaded, {@link dev.strix.tensor.DataOps})
     * over host assembly whatever the backend; the tests use it to compare the two on the CPU.
     */
    BatchLoader(ImageDataset data, Backend backend, BatchOptions options, boolean onBackend) {
        this.data = data;
        this.backend = backend;
        this.options = options;
        this.imageSize = data.imageSize();
        int b = options.batchSize();
        int full = data.count() / b;
        int rest = data.count() % b;
        this.batchCount = full + (rest > 0 && !options.dropLast() ? 1 : 0);
        this.lastSize = rest > 0 && !options.dropLast() ? rest : b;
        this.order = new int[data.count()];
        this.table = options.normalization().table();
        this.augment = !options.augmentation().isIdentity();
        this.matrices = new float[AffineTransforms.MATRIX_SIZE * b];
        this.hostImages = new float[Math.multiplyExact(b, imageSize)];
        this.hostLabels = new int[b];
        this.hostImagesSegment = MemorySegment.ofArray(hostImages);
        this.hostLabelsSegment = MemorySegment.ofArray(hostLabels);
        this.images = backend.allocate(DType.F32, Shape.of(b, 1, data.rows(), data.cols()));
        this.labels = backend.allocate(DType.I32, Shape.of(b));
        this.lastImages = lastSize < b ? images.slice(0, 0, lastSize) : images;
        this.lastLabels = lastSize < b ? labels.slice(0, 0, lastSize) : labels;
        this.onBackend = onBackend;
        if (onBackend) {
            int count = data.count();
            this.datasetPixels = Tensor.ofBytes(backend, data.pixelArray(), count, data.rows(), data.cols());
            this.datasetLabels = Tensor.ofBytes(backend, data.labelArray(), count);
            this.epochOrder = backend.allocate(DType.I32, Shape.of(count));
            this.epochMatrices = augment ? backend.allocate(DType.F32, Shape.of(count, AffineTransforms.MATRIX_SIZE)) : null;
            this.hostEpochMatrices = augment ? new float[count * AffineTransforms.MATRIX_SIZE] : null;
            this.orderViews = new Tensor[batchCount];
            this.matrixViews = new Tensor[batchCount];
            for (int i = 0; i < batchCount; i++) {
                int n = i == batchCount - 1 ? lastSize : b;
                orderViews[i] = epochOrder.slice(0, i * b, i * b + n);
                matrixViews[i] = augment ? epochMatrices.reshape(count * AffineTransforms.MATRIX_SIZE)
                        .slice(0, i * b * AffineTransforms.MATRIX_SIZE, (i * b + n) * AffineTransforms.MATRIX_SIZE) : null;
            }
            this.stagedOrder = backend.allocate(DType.I32, Shape.of(b));
            this.stagedMatrices = augment ? backend.allocate(DType.F32, Shape.of(b, AffineTransforms.MATRIX_SIZE)) : null;
            this.lastStagedOrder = lastSize < b ? stagedOrder.slice(0, 0, lastSize) : stagedOrder;
            this.lastStagedMatrices = augment && lastSize < b ? stagedMatrices.slice(0, 0, lastSize) : stagedMatrices;
            this.stagedMatricesFlat = augment ? stagedMatrices.reshape(b * AffineTransforms.MATRIX_SIZE) : null;
            this.lastStagedMatricesFlat = augment ? stagedMatricesFlat.slice(0, 0, lastSize * AffineTransforms.MATRIX_SIZE)
                    : null;
        } else {
            this.datasetPixels = null;
            this.datasetLabels = null;
            this.epochOrder = null;
            this.epochMatrices = null;
            this.hostEpochMatrices = null;
            this.orderViews = null;
            this.matrixViews = null;
            this.stagedOrder = null;
            this.stagedMatrices = null;
            this.lastStagedOrder = null;
            this.lastStagedMatrices = null;
            this.stagedMatricesFlat = null;
            this.lastStagedMatricesFlat = null;
        }
        startEpoch(0);
    }

    /** Whether batches are assembled by the backend's data ops from an uploaded dataset. */
    public boolean assemblesOnBackend() {
        return onBackend;
    }

    /** Batches per epoch: count / batchSize, plus one for a kept partial batch. */
    public int batchCount() {
        return batchCount;
    }

    public BatchOptions options() {
        return options;
    }

    public ImageDataset dataset() {
        return data;
    }

    /**
     * Sets the epoch whose order {@link #batch(int)} follows: a fresh seeded shuffle, or 0..n-1. With
     * backend assembly this is where the order (and the epoch's augmentation matrices) are uploaded.
     */
    public void startEpoch(int epoch) {
        this.epoch = epoch;
        if (options.shuffle()) {
            CounterRandom.permutation(CounterRandom.key(options.seed(), epoch), order);
        } else {
            for (int i = 0; i < order.length; i++) {
                order[i] = i;
            }
        }
        if (onBackend) {
            epochOrder.copyFrom(order);
            if (augment) {
                int b = options.batchSize();
                for (int k = 0; k < batchCount; k++) {
                    int n = k == batchCount - 1 ? lastSize : b;
                    long key = augmentKey(k);
                    for (int i = 0; i < n; i++) {
                        AffineTransforms.random(options.augmentation(), key, i, data.rows(), data.cols(),
                                hostEpochMatrices, (k * b + i) * AffineTransforms.MATRIX_SIZE);
                    }
                }
                epochMatrices.copyFrom(hostEpochMatrices);
            }
        }
    }

    /** The key of batch {@code index}'s augmentation in the current epoch. */
    private long augmentKey(int index) {
        return CounterRandom.key(options.seed() ^ AUGMENT_SALT, epoch, index);
    }

    /** The dataset index of the {@code i}-th image visited in the current epoch. */
    public int orderAt(int i) {
        return order[i];
    }

    /**
     * Fills and returns batch {@code index} of the current epoch ({@link #stage}, then
     * {@link #assembleStaged}). The returned object and its tensors are reused by the next call.
     */
    public Batch batch(int index) {
        Batch staged = stage(index);
        assembleStaged();
        return staged;
    }

    /** Images in batch {@code index}: the batch size, or fewer for a kept last batch. */
    public int batchSize(int index) {
        return index == batchCount - 1 ? lastSize : options.batchSize();
    }

    /**
     * The part of {@link #batch} that a CUDA graph cannot record. With backend assembly: copies
     * batch {@code index}'s indices (and augmentation matrices) into the fixed buffers that
     * {@link #assembleStaged} reads, device to device. With host assembly: builds the whole batch.
     * Returns the batch, whose tensors hold its images and labels once it is assembled.
     */
    public Batch stage(int index) {
        if (index < 0 || index >= batchCount) {
            throw new IndexOutOfBoundsException("batch " + index + " of " + batchCount + " for " + data.name());
        }
        int b = options.batchSize();
        int n = batchSize(index);
        Tensor imageTarget = n == b ? images : lastImages;
        Tensor labelTarget = n == b ? labels : lastLabels;
        stagedIndex = index;
        batch.set(imageTarget, labelTarget, n, epoch, index);
        if (onBackend) {
            backend.copy(orderViews[index], n == b ? stagedOrder : lastStagedOrder);
            if (augment) {
                backend.copy(matrixViews[index], n == b ? stagedMatricesFlat : lastStagedMatricesFlat);
            }
            return batch;
        }
        assembleOnHost(index, n, imageTarget, labelTarget);
        return batch;
    }

    /**
     * The rest of {@link #batch} for the batch last {@link #stage staged}: with backend assembly,
     * the gather (and augmentation) ops, which read only the fixed staging buffers, so that a CUDA
     * graph may record them; nothing with host assembly.
     */
    public void assembleStaged() {
        if (stagedIndex < 0) {
            throw new IllegalStateException("assembleStaged() before any stage(index) for " + data.name());
        }
        if (!onBackend) {
            return;
        }
        boolean full = batch.size() == options.batchSize();
        Tensor order = full ? stagedOrder : lastStagedOrder;
        Normalization norm = options.normalization();
        if (augment) {
            backend.dataOps().affineSample(datasetPixels, order, full ? stagedMatrices : lastStagedMatrices,
                    norm.mean(), norm.std(), batch.images());
        } else {
            backend.dataOps().gatherImages(datasetPixels, order, norm.mean(), norm.std(), batch.images());
        }
        backend.dataOps().gatherLabels(datasetLabels, order, batch.labels());
    }

    private void assembleOnHost(int index, int n, Tensor imageTarget, Tensor labelTarget) {
        int b = options.batchSize();
        int start = index * b;
        byte[] pixels = data.pixelArray();
        byte[] labelBytes = data.labelArray();
        if (augment) {
            augmentInto(pixels, start, n, index);
        } else {
            for (int i = 0; i < n; i++) {
                int src = order[start + i] * imageSize;
                int dst = i * imageSize;
                for (int p = 0; p < imageSize; p++) {
                    hostImages[dst + p] = table[pixels[src + p] & 0xFF];
                }
            }
        }
        for (int i = 0; i < n; i++) {
            hostLabels[i] = labelBytes[order[start + i]] & 0xFF;
        }
        backend.copyFromHost(hostImagesSegment, imageTarget);
        backend.copyFromHost(hostLabelsSegment, labelTarget);
    }

    private void augmentInto(byte[] pixels, int start, int n, int index) {
        Augmentation a = options.augmentation();
        long key = augmentKey(index);
        float mean = options.normalization().mean();
        float std = options.normalization().std();
        int rows = data.rows();
        int cols = data.cols();
        for (int i = 0; i < n; i++) {
            int m = i * AffineTransforms.MATRIX_SIZE;
            AffineTransforms.random(a, key, i, rows, cols, matrices, m);
            AffineSampler.sample(pixels, order[start + i] * imageSize, rows, cols, matrices, m, mean, std,
                    hostImages, i * imageSize);
        }
    }

    /** Starts {@code epoch} and iterates over its batches (the same reused {@link Batch} each time). */
    public Iterable<Batch> epoch(int epochNumber) {
        return () -> {
            startEpoch(epochNumber);
            return new Iterator<>() {
                private int next;

                @Override
                public boolean hasNext() {
                    return next < batchCount;
                }

                @Override
                public Batch next() {
                    if (next >= batchCount) {
                        throw new NoSuchElementException("epoch " + epochNumber + " has " + batchCount + " batches");
                    }
                    return batch(next++);
                }
            };
        };
    }

    /** Frees the batch tensors (and the uploaded dataset). */
    @Override
    public void close() {
        images.close();
        labels.close();
        if (onBackend) {
            datasetPixels.close();
            datasetLabels.close();
            epochOrder.close();
            stagedOrder.close();
            if (epochMatrices != null) {
                epochMatrices.close();
                stagedMatrices.close();
            }
        }
    }
}
