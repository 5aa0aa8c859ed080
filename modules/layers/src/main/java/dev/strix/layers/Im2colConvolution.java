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

    private final Backend backend;
    private final ImplicitGemmConvolution implicit;
    private final long columnBudget;
    private final ReusableTensor columns;
    private final ReusableTensor contiguousGradient;
    private boolean columnsHoldWholeBatch;

    Im2colConvolution(Backend backend) {
        this(backend, COLUMN_BUDGET);
    }

    /** With columns of at most {@code columnBudget} floats (at least one sample's worth). */
    Im2colConvolution(Backend backend, long columnBudget) {
        this(backend, columnBudget, true);
    }

    /** As above; {@code implicitWhereOffered == false} forces the materialised columns (for tests). */
    Im2colConvolution(Backend backend, long columnBudget, boolean implicitWhereOffered) {
        this.backend = backend;
        this.implicit = implicitWhereOffered ? backend.implicitGemmConvolution().orElse(null) : null;
        this.columnBudget = columnBudget;
        this.columns = new ReusableTensor(backend);
        this.contiguousGradient = new ReusableTensor(backend);
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
        int chunk = chunk(g);
        Tensor buffer = columnBuffer(g, chunk);
        int p = g.oh() * g.ow();
        Tensor w = weight.reshape(g.o(), g.patchSize());
        for (int start = 0; start < g.n(); start += chunk) {
            int b = Math.min(chunk, g.n() - start);
            Tensor cols = b == chunk ? buffer : buffer.slice(0, 0, b);
            im2col(x, g, start, b, cols);
            backend.blas().gemm(false, false, 1f, w.unsqueeze(0).broadcastTo(b, g.o(), g.patchSize()),
                    cols.reshape(b, g.patchSize(), p), 0f, z.slice(0, start, start + b).reshape(b, g.o(), p));
        }
        columnsHoldWholeBatch = chunk >= g.n();
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
                if (!columnsHoldWholeBatch) {
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
        columnsHoldWholeBatch = false;
    }

    @Override
    public void close() {
        columns.close();
        contiguousGradient.close();
    }
}
