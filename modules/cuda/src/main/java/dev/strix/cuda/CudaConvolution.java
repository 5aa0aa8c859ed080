package dev.strix.cuda;

import dev.strix.tensor.Convolution;
import dev.strix.tensor.DType;
import dev.strix.tensor.Tensor;
import dev.strix.tensor.spi.ConvolutionShapes;
import dev.strix.tensor.spi.ConvolutionShapes.ColumnLayout;
import java.lang.foreign.MemorySegment;

/**
 * Convolution building blocks as kernels (cuda-src/conv_strided.cu, im2col.cu), on views of any
 * strides as the interface allows. Padding and dilation are one kernel that writes every output
 * element once ({@code spread_planes}); unpadding is a strided copy; the window contraction runs a
 * thread or a block per output element as {@link CorrelationPlan} decides. Arguments are checked as
 * the CPU backend checks them, with the same messages.
 */
final class CudaConvolution implements Convolution {
    private final CudaBackend backend;
    private final CudaKernels kernels;
    private final MemorySegment spreadKernel;
    private final MemorySegment correlateThreads;
    private final MemorySegment correlateBlocks;
    private final MemorySegment im2colKernel;
    private final MemorySegment col2imKernel;

    CudaConvolution(CudaBackend backend) {
        this.backend = backend;
        this.kernels = backend.kernels();
        this.spreadKernel = kernels.function("spread_planes");
        this.correlateThreads = kernels.function("correlate_threads");
        this.correlateBlocks = kernels.function("correlate_blocks");
        this.im2colKernel = kernels.function("im2col_strided");
        this.col2imKernel = kernels.function("col2im_strided");
    }

    @Override
    public void pad(Tensor x, int top, int bottom, int left, int right, Tensor out) {
        ConvolutionShapes.borders("pad", top, bottom, left, right);
        checkPlanes("pad", x, out, x.dim(-2) + top + bottom, x.dim(-1) + left + right);
        spread("pad", x, top, left, 1, 1, out);
    }

    @Override
    public void unpad(Tensor x, int top, int bottom, int left, int right, Tensor out) {
        ConvolutionShapes.borders("unpad", top, bottom, left, right);
        checkPlanes("unpad", x, out, x.dim(-2) - top - bottom, x.dim(-1) - left - right);
        backend.copy(x.slice(-2, top, x.dim(-2) - bottom).slice(-1, left, x.dim(-1) - right), out);
    }

    @Override
    public void dilate(Tensor x, int strideH, int strideW, Tensor out) {
        ConvolutionShapes.dilation(strideH, strideW);
        checkPlanes("dilate", x, out, (x.dim(-2) - 1) * strideH + 1, (x.dim(-1) - 1) * strideW + 1);
        spread("dilate", x, 0, 0, strideH, strideW, out);
    }

    /** {@code out[..., y, x] = x[..., (y - top) / sh, (x - left) / sw]} on the grid, zero elsewhere. */
    private void spread(String what, Tensor x, int top, int left, int sh, int sw, Tensor out) {
        if (out.size() == 0) {
            return;
        }
        StridedLayout walk = StridedLayout.planes(what, x, out);
        synchronized (kernels) {
            KernelParams p = kernels.params();
            walk.shapeTo(p).i64(walk.size);
            walk.viewTo(p.pointer(CudaBackend.base(x)), 0);
            walk.viewTo(p.pointer(CudaBackend.base(out)), 1);
            p.i32(top).i32(left).i32(sh).i32(sw).i32(x.dim(-2)).i32(x.dim(-1));
            kernels.launch(spreadKernel, walk.size, "spread_planes");
        }
    }

    @Override
    public void correlate(Tensor windows, Tensor kernelsTensor, Tensor out) {
        check(windows, "correlate windows");
        check(kernelsTensor, "correlate kernels");
        check(out, "correlate output");
        CorrelationPlan plan = CorrelationPlan.of(windows, kernelsTensor, out);
        if (plan.outputs() == 0) {
            return;
        }
        synchronized (kernels) {
            KernelParams p = kernels.params().ints(plan.geometry());
            p.pointer(CudaBackend.base(windows)).view(windows.offset(), 6, windows.strides());
            p.pointer(CudaBackend.base(kernelsTensor)).view(kernelsTensor.offset(), 4, kernelsTensor.strides());
            p.pointer(CudaBackend.base(out)).view(out.offset(), 4, out.strides());
            if (plan.blockPerOutput()) {
                kernels.launchBlocks(correlateBlocks, CudaKernels.blocksFor(plan.outputs()), CudaKernels.THREADS,
                        "correlate_blocks");
            } else {
                kernels.launch(correlateThreads, plan.outputs(), "correlate_threads");
            }
        }
    }

    @Override
    public void im2col(Tensor input, int strideH, int strideW, int padTop, int padLeft, Tensor columns) {
        ColumnLayout layout = checkColumns("im2col", input, strideH, strideW, padTop, padLeft, columns);
        if (columns.size() == 0) {
            return;
        }
        synchronized (kernels) {
            KernelParams p = kernels.params().ints(geometry(input, strideH, strideW, padTop, padLeft, columns));
            p.pointer(CudaBackend.base(input)).view(input.offset(), 4, input.strides());
            p.pointer(CudaBackend.base(columns)).i64(columns.offset()).i64(layout.sampleStride()).i64(layout.tapStride());
            // A thread per output position (n, c, oy, ox) writes that position's KH x KW taps.
            kernels.launch(im2colKernel, columns.size() / ((long) columns.dim(2) * columns.dim(3)), "im2col_strided");
        }
    }

    @Override
    public void col2im(Tensor columns, int strideH, int strideW, int padTop, int padLeft, Tensor input) {
        ColumnLayout layout = checkColumns("col2im", input, strideH, strideW, padTop, padLeft, columns);
        if (input.size() == 0) {
            return;
        }
        synchronized (kernels) {
            KernelParams p = kernels.params().ints(geometry(input, strideH, strideW, padTop, padLeft, columns));
            p.pointer(CudaBackend.base(columns)).i64(columns.offset()).i64(layout.sampleStride()).i64(layout.tapStride());
            p.pointer(CudaBackend.base(input)).view(input.offset(), 4, input.strides());
            kernels.launch(col2imKernel, input.size(), "col2im_strided");
        }
    }

    /** The kernels' {@code Im2col} struct: N, C, H, W, KH, KW, OH, OW, sh, sw, padTop, padLeft. */
    static int[] geometry(Tensor input, int sh, int sw, int padTop, int padLeft, Tensor columns) {
        return new int[] {input.dim(0), input.dim(1), input.dim(2), input.dim(3), columns.dim(2), columns.dim(3),
            columns.dim(4), columns.dim(5), sh, sw, padTop, padLeft};
    }

    private void check(Tensor t, String what) {
        t.requireDType(DType.F32, what);
        backend.requireHere(t, what);
    }

    /** Same leading axes and the given last two sizes, or a message naming the op and both shapes. */
    private void checkPlanes(String op, Tensor x, Tensor out, int expectedH, int expectedW) {
        check(x, op + " input");
        check(out, op + " output");
        ConvolutionShapes.planes(op, x, out, expectedH, expectedW);
    }

    private ColumnLayout checkColumns(String op, Tensor input, int sh, int sw, int padTop, int padLeft, Tensor cols) {
        check(input, op + " image");
        check(cols, op + " columns");
        ConvolutionShapes.columns(op, input, sh, sw, padTop, padLeft, cols);
        return ColumnLayout.of(op, cols);
    }
}
