package dev.strix.layers;

import dev.strix.tensor.Backend;
import dev.strix.tensor.ImplicitGemmConvolution;
import dev.strix.tensor.Shape;
import dev.strix.tensor.Tensor;

/**
 * im2col + GEMM: the window view materialised as columns {@code [N, C*KH*KW, OH*OW]}, so that
 * <pre>
 *   Z[n]     = W[O, CKK] * cols[n]                  (forward, one batched GEMM)
 *   dW       = sum_n dZ[n] * cols[n]^T               (one batch-summed GEMM)
 *   dcols[n] = W^T * dZ[n],  dX = col2im(dcols)      (batched GEMM, then scatter-add)
 * </pre>
 * On a backend with {@link ImplicitGemmConvolution} (the CPU) each pass is that one op, which never
 * materialises the columns. Elsewhere the batch goes through in chunks whose columns fit a budget
 * ({@link #COLUMN_BUDGET} floats by default), so a large batch never needs a huge column matrix;
 * when the whole batch fits, backward reuses the forward columns instead of recomputing them.
 *
 * <p>When Z is channel-major (the {@code [N, O, OH, OW]} view of a contiguous {@code [O, N, OH, OW]}
 * buffer, which {@link ConvBiasReluMaxPool} asks for through {@link #channelMajorOutput}) and the
 * whole batch fits, the columns are laid out {@code [CKK, N*OH*OW]}: one matrix for the batch, so
 * <pre>
 *   Z[O, N*OH*OW]   = W * cols                        (one GEMM)
 *   dW              = sum over groups g of dZ_g * cols_g^T   (groups of samples along N*OH*OW)
 *   dcols           = W^T * dZ,  dX = col2im(dcols)   (one GEMM, then scatter-add)
 * </pre>
 * Each pass is one large GEMM instead of a batch of small ones, and the weight gradient sums one
 * product per group of {@link #WEIGHT_GRADIENT_TERMS} or more terms rather than one per sample (at
 * batch 1024, 9 MB of products for the reference network's second convolution instead of 75 MB).
 */
final class Im2colConvolution implements ConvolutionPath {
    /**
     * Largest column buffer in floats (256 MiB; {@code -Dstrix.conv.columnBudget=FLOATS}). Only a
     * device without the implicit GEMM materialises columns, and there a batch that fits in one
     * chunk is cheaper: backward reuses the forward's columns instead of recomputing them, and each
     * pass is one GEMM launch rather than one per chunk. 256 MiB holds the reference network's
     * second convolution at batch 1024 (143 MB) and the default model's at batch 128 (85 MB).
     */
    static final long COLUMN_BUDGET = Long.getLong("strix.conv.columnBudget", 1L << 26);

    /**
     * Fewest terms ({@code samples x OH*OW}) in a group of the batch-matrix weight gradient
     * ({@code -Dstrix.conv.weightGradientTerms=TERMS}): each group's product is one GEMM of the batch
     * with this inner size, so more terms mean fewer products to write and add up, fewer mean more
     * GEMMs side by side. The reference network at batch 1024: conv 1 (676 terms a sample) in 1,024
     * groups of one sample, conv 2 (121) in 128 groups of 8.
     */
    static final int WEIGHT_GRADIENT_TERMS = Integer.getInteger("strix.conv.weightGradientTerms", 512);

    /**
     * Whether {@link #channelMajorOutput} may answer yes ({@code -Dstrix.conv.batchMatrix=false} keeps
     * one GEMM per sample, to measure the difference).
     */
    static final boolean BATCH_MATRIX = !"false".equalsIgnoreCase(System.getProperty("strix.conv.batchMatrix"));

    private final Backend backend;
    private final ImplicitGemmConvolution implicit;
    private final long columnBudget;
    private final ReusableTensor columns;
    private final ReusableTensor contiguousGradient;
    private final ReusableTensor contiguousOutput;
    private final boolean batchMatrixWhereItFits;
    /** What the column buffer holds after a forward: nothing reusable, per-sample columns or the batch matrix. */
    private Held held = Held.NOTHING;

    private enum Held { NOTHING, WHOLE_BATCH, BATCH_MATRIX }

    /**
     * The system property that, set to {@code false} when a layer is built, materialises the columns
     * even where the backend has the implicit GEMM (the CPU): to measure the difference, and to run
     * the GPU's layout of the work (batch-matrix columns, channel-major outputs) on the CPU.
     */
    static final String IMPLICIT_PROPERTY = "strix.conv.implicit";

    Im2colConvolution(Backend backend) {
        this(backend, COLUMN_BUDGET, !"false".equalsIgnoreCase(System.getProperty(IMPLICIT_PROPERTY)));
    }

    /** With columns of at most {@code columnBudget} floats (at least one sample's worth). */
    Im2colConvolution(Backend backend, long columnBudget) {
        this(backend, columnBudget, true);
    }

    /** As above; {@code implicitWhereOffered == false} forces the materialised columns (for tests). */
    Im2colConvolution(Backend backend, long columnBudget, boolean implicitWhereOffered) {
        this(backend, columnBudget, implicitWhereOffered, BATCH_MATRIX);
    }

    /** As above; {@code batchMatrix} says whether {@link #channelMajorOutput} may answer yes. */
    Im2colConvolution(Backend backend, long columnBudget, boolean implicitWhereOffered, boolean batchMatrix) {
        this.backend = backend;
        this.implicit = implicitWhereOffered ? backend.implicitGemmConvolution().orElse(null) : null;
        this.columnBudget = columnBudget;
        this.batchMatrixWhereItFits = batchMatrix;
        this.columns = new ReusableTensor(backend);
        this.contiguousGradient = new ReusableTensor(backend);
        this.contiguousOutput = new ReusableTensor(backend);
    }

    /** Whether each pass is the backend's implicit GEMM (no columns materialised). */
    boolean implicitGemm() {
        return implicit != null;
    }

    /**
     * Whether this path runs geometry {@code g} as one GEMM over the batch when handed a channel-major
     * Z and dL/dZ: materialised columns (no implicit GEMM) whose whole batch fits the budget.
     */
    @Override
    public boolean channelMajorOutput(ConvGeometry g) {
        return batchMatrixWhereItFits && implicit == null && chunk(g) >= g.n();
    }

    /** Whether {@code t} is the {@code [N, O, OH, OW]} view of a contiguous {@code [O, N, OH, OW]} tensor. */
    static boolean isChannelMajor(Tensor t) {
        return t.rank() == 4 && t.permute(1, 0, 2, 3).isContiguous();
    }

    /** A channel-major {@code t} as the matrix {@code [O, N*OH*OW]}. */
    private static Tensor channelRows(Tensor t) {
        return t.permute(1, 0, 2, 3).reshape(t.dim(1), -1);
    }

    /** The batch-matrix column buffer: contiguous {@code [C, KH, KW, N, OH, OW]}. */
    private Tensor batchColumns(ConvGeometry g) {
        return columns.get(Shape.of(g.c(), g.kh(), g.kw(), g.n(), g.oh(), g.ow()));
    }

    /** {@link #batchColumns} as im2col's {@code [N, C, KH, KW, OH, OW]} view. */
    private static Tensor im2colView(Tensor batchColumns) {
        return batchColumns.permute(3, 0, 1, 2, 4, 5);
    }

    /**
     * Samples per group of the batch-matrix weight gradient: the fewest that divide {@code n} and
     * hold at least {@link #WEIGHT_GRADIENT_TERMS} terms of {@code plane} each (all {@code n} when
     * none does), so the groups tile the batch evenly.
     */
    static int samplesPerGroup(int n, long plane) {
        for (int s = 1; s < n; s++) {
            if (n % s == 0 && s * plane >= WEIGHT_GRADIENT_TERMS) {
                return s;
            }
        }
        return n;
    }

    private int chunk(ConvGeometry g) {
        long perSample = (long) g.patchSize() * g.oh() * g.ow();
        return (int) Math.max(1, Math.min(g.n(), columnBudget / Math.max(1, perSample)));
    }

    private Tensor columnBuffer(ConvGeometry g, int chunk) {
        return columns.get(Shape.of(chunk, g.c(), g.kh(), g.kw(), g.oh(), g.ow()));
    }

    private void im2col(Tensor x, ConvGeometry g, int start, int count, Tensor cols) {
        backend.convolution().im2col(x.slice(0, start, start + count), g.sh(), g.sw(), g.pad().top(),
                g.pad().left(), cols);
    }

    @Override
    public void forward(Tensor x, Tensor weight, Tensor bias, ConvGeometry g, Tensor z) {
        if (implicit != null) {
            implicit.forward(x, weight, bias, g.sh(), g.sw(), g.pad().top(), g.pad().left(), z);
            return;
        }
        Tensor w = weight.reshape(g.o(), g.patchSize());
        if (channelMajorOutput(g) && isChannelMajor(z)) {
            Tensor cols = batchColumns(g);
            im2col(x, g, 0, g.n(), im2colView(cols));
            backend.blas().gemm(false, false, 1f, w, cols.reshape(g.patchSize(), -1), 0f, channelRows(z));
            held = Held.BATCH_MATRIX;
            ConvolutionPath.addBias(backend, bias, z);
            return;
        }
        Tensor out = z.isContiguous() ? z : contiguousOutput.get(z.shape());
        int chunk = chunk(g);
        Tensor buffer = columnBuffer(g, chunk);
        int p = g.oh() * g.ow();
        for (int start = 0; start < g.n(); start += chunk) {
            int b = Math.min(chunk, g.n() - start);
            Tensor cols = b == chunk ? buffer : buffer.slice(0, 0, b);
            im2col(x, g, start, b, cols);
            backend.blas().gemm(false, false, 1f, w.unsqueeze(0).broadcastTo(b, g.o(), g.patchSize()),
                    cols.reshape(b, g.patchSize(), p), 0f, out.slice(0, start, start + b).reshape(b, g.o(), p));
        }
        held = chunk >= g.n() ? Held.WHOLE_BATCH : Held.NOTHING;
        if (out != z) {
            backend.copy(out, z);
        }
        ConvolutionPath.addBias(backend, bias, z);
    }

    @Override
    public void backward(Tensor x, Tensor weight, Tensor dz, ConvGeometry g, Tensor dWeight, Tensor dBias,
                         Tensor dx) {
        if (implicit != null) {
            if (dWeight != null) {
                implicit.backwardFilter(x, dz, g.sh(), g.sw(), g.pad().top(), g.pad().left(), dWeight, dBias);
            } else {
                ConvolutionPath.biasGradient(backend, dz, dBias);
            }
            if (dx != null) {
                implicit.backwardData(dz, weight, g.sh(), g.sw(), g.pad().top(), g.pad().left(), dx);
            }
            return;
        }
        ConvolutionPath.biasGradient(backend, dz, dBias);
        if (channelMajorOutput(g) && isChannelMajor(dz)) {
            batchMatrixBackward(x, weight, dz, g, dWeight, dx);
            return;
        }
        if (!dz.isContiguous()) {
            Tensor copy = contiguousGradient.get(dz.shape());
            backend.copy(dz, copy);
            dz = copy;
        }
        int chunk = chunk(g);
        Tensor buffer = columnBuffer(g, chunk);
        int p = g.oh() * g.ow();
        int k = g.patchSize();
        Tensor w = weight.reshape(g.o(), k);
        Tensor dw = dWeight == null ? null : dWeight.reshape(g.o(), k);
        for (int start = 0; start < g.n(); start += chunk) {
            int b = Math.min(chunk, g.n() - start);
            Tensor cols = b == chunk ? buffer : buffer.slice(0, 0, b);
            Tensor matrices = cols.reshape(b, k, p);
            if (dWeight != null) {
                if (held != Held.WHOLE_BATCH) {
                    im2col(x, g, start, b, cols);
                }
                backend.blas().gemmBatchSum(false, true, 1f, dz.slice(0, start, start + b).reshape(b, g.o(), p),
                        matrices, start == 0 ? 0f : 1f, dw);
            }
            if (dx == null) {
                continue;
            }
            // The columns of this chunk are spent: overwrite them with their gradients.
            backend.blas().gemm(true, false, 1f, w.unsqueeze(0).broadcastTo(b, g.o(), k),
                    dz.slice(0, start, start + b).reshape(b, g.o(), p), 0f, matrices);
            backend.convolution().col2im(cols, g.sh(), g.sw(), g.pad().top(), g.pad().left(),
                    dx.slice(0, start, start + b));
        }
        held = Held.NOTHING;
    }

    /**
     * The backward pass over the batch matrix: dW summed over groups of samples (each group's dZ and
     * columns a run of {@code s*OH*OW} columns of the two matrices, so the groups are one
     * strided-batched GEMM and a fixed-order sum), then {@code dcols = W^T dZ} and col2im.
     */
    private void batchMatrixBackward(Tensor x, Tensor weight, Tensor dz, ConvGeometry g, Tensor dWeight, Tensor dx) {
        int k = g.patchSize();
        Tensor cols = batchColumns(g);
        Tensor matrix = cols.reshape(k, -1);
        Tensor dzRows = channelRows(dz);
        if (dWeight != null) {
            if (held != Held.BATCH_MATRIX) {
                im2col(x, g, 0, g.n(), im2colView(cols));
            }
            long plane = (long) g.oh() * g.ow();
            int s = samplesPerGroup(g.n(), plane);
            int groups = g.n() / s;
            int terms = Math.toIntExact(s * plane);
            long rowLength = g.n() * plane;
            backend.blas().gemmBatchSum(false, true, 1f,
                    dzRows.asStrided(Shape.of(groups, g.o(), terms), terms, rowLength, 1),
                    matrix.asStrided(Shape.of(groups, k, terms), terms, rowLength, 1), 0f,
                    dWeight.reshape(g.o(), k));
        }
        if (dx != null) {
            // The columns are spent: overwrite them with their gradients.
            backend.blas().gemm(true, false, 1f, weight.reshape(g.o(), k), dzRows, 0f, matrix);
            backend.convolution().col2im(im2colView(cols), g.sh(), g.sw(), g.pad().top(), g.pad().left(), dx);
        }
        held = Held.NOTHING;
    }

    @Override
    public void close() {
        columns.close();
        contiguousGradient.close();
        contiguousOutput.close();
    }
}
