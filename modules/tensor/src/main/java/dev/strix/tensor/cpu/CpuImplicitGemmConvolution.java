package dev.strix.tensor.cpu;

import static dev.strix.tensor.cpu.ImplicitGemm.FLOAT;
import static dev.strix.tensor.cpu.ImplicitGemm.NR;
import static dev.strix.tensor.cpu.ImplicitGemm.ceilDiv;

import dev.strix.tensor.DType;
import dev.strix.tensor.ImplicitGemmConvolution;
import dev.strix.tensor.Shape;
import dev.strix.tensor.Tensor;
import dev.strix.tensor.cpu.ImplicitGemm.ImageLayout;
import dev.strix.tensor.cpu.ImplicitGemm.ResultSink;
import java.lang.foreign.MemorySegment;
import java.util.Arrays;

/**
 * Implicit-GEMM convolution on the CPU; {@link ImplicitGemmForward} and
 * {@link ImplicitGemmBackward} have the loops. The three passes are one kernel with three sets of
 * offsets:
 * <pre>
 *   forward         tile rows = output pixels,  steps = (c, i, j),     B = W^T              -> Z^T tile
 *                   (small windows: rows = output channels, B = packed windows of 32 pixels)
 *   backwardFilter  tile rows = (c, i, j),      steps = output pixels, B = dZ[n]^T          -> dW^T, summed over n
 *   backwardData    tile rows = output pixels,  steps = o,             B = W per kernel tap -> added into dX
 * </pre>
 * The input gradient adds each tile of {@code dZ^T W} (8 output pixels by 32 input channels of
 * one kernel tap) straight into a channels-last heap copy of the padded dL/dX, where those 32
 * channels are contiguous: col2im without the column matrix, and without the zero taps (about
 * 40% of the work at 13x13 -> 11x11) that a "full" correlation of the padded dL/dZ with the
 * rotated kernels would multiply. The ReLU + max-pool variants pool each image's output while it
 * is still on the heap, and rebuild dL/dZ from the pooled gradient in the same heap buffers, so
 * the full-size Z and dL/dZ never go through memory.
 */
final class CpuImplicitGemmConvolution implements ImplicitGemmConvolution {
    @Override
    public void forward(Tensor x, Tensor weight, Tensor bias, int strideH, int strideW, int padTop, int padLeft,
                        Tensor z) {
        Sizes g = check("implicit-GEMM forward", x, weight, z.shape(), strideH, strideW, padTop, padLeft);
        CpuElementwise.check(z, "implicit-GEMM forward output");
        long[] outAt = planeOffsets(g.oh(), g.ow(), z.stride(2), z.stride(3));
        forward(x, weight, bias, g, strideH, strideW, padTop, padLeft, false,
                (n, result, width, from, to, ws) -> flush(result, width, z, n, g.o(), from, to, outAt));
    }

    @Override
    public void forwardReluMaxPool(Tensor x, Tensor weight, Tensor bias, int strideH, int strideW, int padTop,
                                   int padLeft, Shape convOutput, Tensor pooled, Tensor argmax) {
        String op = "implicit-GEMM forwardReluMaxPool";
        Sizes g = check(op, x, weight, convOutput, strideH, strideW, padTop, padLeft);
        checkPooled(op, g, pooled, argmax, null);
        int ph = g.oh() / 2;
        int pw = g.ow() / 2;
        int pixels = g.oh() * g.ow();
        MemorySegment ps = pooled.storage().segment();
        MemorySegment as = argmax.storage().segment();
        forward(x, weight, bias, g, strideH, strideW, padTop, padLeft, true, (n, result, width, from, to, ws) -> {
            float[] plane = ws.plane(0, pixels + MaxPool2x2.PADDING);
            float[] best = ws.plane(1, ph * pw + MaxPool2x2.PADDING);
            int[] where = ws.indices(ph * pw + MaxPool2x2.PADDING);
            for (int o = 0; o < g.o(); o++) {
                System.arraycopy(result, o * width, plane, 0, pixels);
                MaxPool2x2.plane(plane, g.ow(), ph, pw, best, where);
                for (int e = 0; e < ph * pw; e++) {
                    // The ReLU after the pooling (max(0, max z) is the max of max(0, z)); NaN stays NaN.
                    // Math.max, not a branch: the sign of a pre-activation is a coin flip.
                    best[e] = Math.max(best[e], 0f);
                }
                PlaneCopy.write(best, ps, pooled.offset() + n * pooled.stride(0) + o * pooled.stride(1),
                        pooled.stride(2), pooled.stride(3), ph, pw);
                PlaneCopy.write(where, as, argmax.offset() + n * argmax.stride(0) + o * argmax.stride(1),
                        argmax.stride(2), argmax.stride(3), ph, pw);
            }
        });
    }

    private static void forward(Tensor x, Tensor weight, Tensor bias, Sizes g, int strideH, int strideW, int padTop,
                                int padLeft, boolean wholeImages, ResultSink sink) {
        if (bias != null) {
            CpuElementwise.check(bias, "implicit-GEMM bias");
            bias.requireShape(Shape.of(g.o()), "implicit-GEMM bias");
        }
        int hp = (g.oh() - 1) * strideH + g.kh();
        int wp = (g.ow() - 1) * strideW + g.kw();
        ImageLayout layout = new ImageLayout(g.c(), hp, wp, padTop, padLeft, g.h(), g.w());
        int[] steps = ImplicitGemm.windowOffsets(g.c(), g.kh(), g.kw(), hp, wp);
        int[] rows = ImplicitGemm.pixelOffsets(g.oh(), g.ow(), 0, strideH * wp, strideW);
        ImplicitGemm.ImageFill fill = (n, image, ws) -> layout.copy(x, n, image, ws);
        float[] biases = ImplicitGemm.biases(bias, g.o());
        if (ImplicitGemmForward.packWindows(steps.length, g.o())) {
            ImplicitGemmForward.channelTiles(layout, fill, rows, steps, steps.length, ImplicitGemmForward.packWeightRows(weight),
                    g.o(), biases, g.n(), g.oh() * g.ow(), wholeImages, sink);
            return;
        }
        // B[p][o] = W[o][p]: the weights transposed, O padded to whole slivers.
        float[] b = ImplicitGemmForward.packWeights(weight);
        ImplicitGemmForward.tiles(layout, fill, rows, steps, steps.length, b, ceilDiv(g.o(), NR), biases, g.n(),
                g.oh() * g.ow(), wholeImages, sink);
    }

    @Override
    public void backwardFilter(Tensor x, Tensor dz, int strideH, int strideW, int padTop, int padLeft,
                               Tensor dWeight, Tensor dBias) {
        String op = "implicit-GEMM backwardFilter";
        Sizes g = check(op, x, dWeight, dz.shape(), strideH, strideW, padTop, padLeft);
        CpuElementwise.check(dz, op + " output gradient");
        backwardFilter(op, x, g, strideH, strideW, padTop, padLeft, dWeight, dBias,
                (n, b, ws) -> packGradient(dz, n, g.o(), g.oh(), g.ow(), b));
    }

    @Override
    public void backwardFilterReluMaxPool(Tensor x, Tensor dPooled, Tensor pooled, Tensor argmax, int strideH,
                                          int strideW, int padTop, int padLeft, Shape convOutput, Tensor dWeight,
                                          Tensor dBias) {
        String op = "implicit-GEMM backwardFilterReluMaxPool";
        Sizes g = check(op, x, dWeight, convOutput, strideH, strideW, padTop, padLeft);
        checkPooled(op, g, pooled, argmax, dPooled);
        int pixels = g.oh() * g.ow();
        int size = ceilDiv(g.o(), NR) * pixels * NR;
        backwardFilter(op, x, g, strideH, strideW, padTop, padLeft, dWeight, dBias, (n, b, ws) -> {
            // dZ^T is zero except at each window's argmax, which gets the routed gradient.
            Arrays.fill(b, 0, size, 0f);
            route(dPooled, pooled, argmax, n, ws);
            float[] gradients = ws.plane(0, 0);
            int[] positions = ws.indices(0);
            int windows = pooled.dim(2) * pooled.dim(3);
            for (int o = 0; o < g.o(); o++) {
                int column = (o / NR) * pixels * NR + o % NR;
                for (int e = o * windows; e < (o + 1) * windows; e++) {
                    b[column + positions[e] * NR] = gradients[e];
                }
            }
        });
    }

    private static void backwardFilter(String op, Tensor x, Sizes g, int strideH, int strideW, int padTop,
                                       int padLeft, Tensor dWeight, Tensor dBias, ImplicitGemm.GradientPack pack) {
        CpuElementwise.check(dWeight, op + " weight gradient");
        if (dBias != null) {
            CpuElementwise.check(dBias, op + " bias gradient");
            dBias.requireShape(Shape.of(g.o()), op + " bias gradient");
        }
        int hp = (g.oh() - 1) * strideH + g.kh();
        int wp = (g.ow() - 1) * strideW + g.kw();
        ImageLayout layout = new ImageLayout(g.c(), hp, wp, padTop, padLeft, g.h(), g.w());
        // Tile rows are window elements, steps are output pixels: the forward offsets swapped.
        int[] windows = ImplicitGemm.windowOffsets(g.c(), g.kh(), g.kw(), hp, wp);
        int[] pixelSteps = ImplicitGemm.pixelOffsets(g.oh(), g.ow(), 0, strideH * wp, strideW);
        ImplicitGemmBackward.filterGradient(layout, (n, image, ws) -> layout.copy(x, n, image, ws), pack, windows,
                pixelSteps, windows.length, g.oh() * g.ow(), g.n(), g.o(), dWeight, dBias);
    }

    @Override
    public void backwardData(Tensor dz, Tensor weight, int strideH, int strideW, int padTop, int padLeft, Tensor dx) {
        String op = "implicit-GEMM backwardData";
        Sizes g = check(op, dx, weight, dz.shape(), strideH, strideW, padTop, padLeft);
        CpuElementwise.check(dz, op + " output gradient");
        CpuElementwise.check(dx, op + " input gradient");
        ImageLayout layout = gradientLayout(g);
        ImplicitGemmBackward.inputGradient(layout, (n, image, ws) -> layout.copy(dz, n, image, ws), weight, strideH, strideW,
                padTop, padLeft, dx);
    }

    @Override
    public void backwardDataReluMaxPool(Tensor dPooled, Tensor pooled, Tensor argmax, Tensor weight, int strideH,
                                        int strideW, int padTop, int padLeft, Shape convOutput, Tensor dx) {
        String op = "implicit-GEMM backwardDataReluMaxPool";
        Sizes g = check(op, dx, weight, convOutput, strideH, strideW, padTop, padLeft);
        checkPooled(op, g, pooled, argmax, dPooled);
        CpuElementwise.check(dx, op + " input gradient");
        ImageLayout layout = gradientLayout(g);
        int pixels = g.oh() * g.ow();
        int windows = pooled.dim(2) * pooled.dim(3);
        ImplicitGemmBackward.inputGradient(layout, (n, image, ws) -> {
            // dL/dZ is zero except at each window's argmax, which gets the routed gradient.
            Arrays.fill(image, 0, layout.size(), 0f);
            route(dPooled, pooled, argmax, n, ws);
            float[] gradients = ws.plane(0, 0);
            int[] positions = ws.indices(0);
            for (int o = 0; o < g.o(); o++) {
                for (int e = o * windows; e < (o + 1) * windows; e++) {
                    image[o * pixels + positions[e]] = gradients[e];
                }
            }
        }, weight, strideH, strideW, padTop, padLeft, dx);
    }

    /** dL/dZ of one image as it is, {@code [O, OH, OW]}: the input gradient's A operand. */
    private static ImageLayout gradientLayout(Sizes g) {
        return new ImageLayout(g.o(), g.oh(), g.ow(), 0, 0, g.oh(), g.ow());
    }

    /**
     * Image n's dL/dZ as the pooled side sees it: window e's gradient belongs at its argmax, and is
     * zero where the ReLU after the pooling stopped it (pooled <= 0). Leaves the gradients in
     * {@code ws.plane(0)} and the argmax positions (in the Z plane) in {@code ws.indices()}, both
     * {@code [O * windows]}.
     */
    private static void route(Tensor dPooled, Tensor pooled, Tensor argmax, int n, ImplicitGemm.Workspace ws) {
        int size = pooled.dim(1) * pooled.dim(2) * pooled.dim(3);
        float[] gradients = ws.plane(0, size);
        float[] values = ws.plane(1, size);
        readImage(dPooled, n, gradients);
        readImage(pooled, n, values);
        readImage(argmax, n, ws.indices(size));
        for (int e = 0; e < size; e++) {
            gradients[e] = values[e] > 0f ? gradients[e] : 0f;
        }
    }

    /** Image n of a 4-D tensor, as {@code [C * H * W]} floats: one bulk copy when the image is dense. */
    private static void readImage(Tensor t, int n, float[] dst) {
        int c = t.dim(1);
        int h = t.dim(2);
        int w = t.dim(3);
        long base = t.offset() + n * t.stride(0);
        if (t.stride(3) == 1 && t.stride(2) == w && t.stride(1) == (long) h * w) {
            PlaneCopy.read(t.storage().segment(), base, w, 1, c * h, w, dst);
            return;
        }
        float[] plane = new float[h * w];
        for (int ch = 0; ch < c; ch++) {
            PlaneCopy.read(t.storage().segment(), base + ch * t.stride(1), t.stride(2), t.stride(3), h, w, plane);
            System.arraycopy(plane, 0, dst, ch * h * w, h * w);
        }
    }

    /** The int32 version of {@link #readImage(Tensor, int, float[])}. */
    private static void readImage(Tensor t, int n, int[] dst) {
        int c = t.dim(1);
        int h = t.dim(2);
        int w = t.dim(3);
        long base = t.offset() + n * t.stride(0);
        if (t.stride(3) == 1 && t.stride(2) == w && t.stride(1) == (long) h * w) {
            PlaneCopy.read(t.storage().segment(), base, w, 1, c * h, w, dst);
            return;
        }
        int[] plane = new int[h * w];
        for (int ch = 0; ch < c; ch++) {
            PlaneCopy.read(t.storage().segment(), base + ch * t.stride(1), t.stride(2), t.stride(3), h, w, plane);
            System.arraycopy(plane, 0, dst, ch * h * w, h * w);
        }
    }

    /** Writes pixels {@code [from, to)} of every column of image n's heap result into {@code out}. */
    private static void flush(float[] result, int width, Tensor out, int n, int columns, int from, int to,
                              long[] outAt) {
        MemorySegment os = out.storage().segment();
        // Contiguous planes (offsets 0, 1, 2, ...) go out a column at a time in bulk.
        boolean rowMajor = outAt[outAt.length - 1] == outAt.length - 1 && (outAt.length == 1 || outAt[1] == 1);
        long base = out.offset() + n * out.stride(0);
        for (int j = 0; j < columns; j++) {
            long column = base + j * out.stride(1);
            if (rowMajor) {
                MemorySegment.copy(result, j * width + from, os, FLOAT, (column + from) * Float.BYTES, to - from);
            } else {
                for (int q = from; q < to; q++) {
                    os.setAtIndex(FLOAT, column + outAt[q], result[j * width + q]);
                }
            }
        }
    }

    /** {@code b[q][o] = dz[n][o][q]} packed as GEMM's B: slivers of NR outputs, zero past O. */
    private static void packGradient(Tensor dz, int n, int o, int oh, int ow, float[] b) {
        MemorySegment seg = dz.storage().segment();
        long base = dz.offset() + n * dz.stride(0);
        int pixels = oh * ow;
        if (dz.stride(3) == 1 && dz.stride(2) == ow) {
            GemmPacking.packB(seg, base, 1, dz.stride(1), pixels, o, b);
            return;
        }
        int width = ceilDiv(o, NR) * NR;
        for (int c = 0; c < width; c++) {
            int sliver = (c / NR) * pixels * NR + c % NR;
            for (int y = 0; y < oh; y++) {
                for (int x = 0; x < ow; x++) {
                    b[sliver + (y * ow + x) * NR] = c < o
                            ? seg.getAtIndex(FLOAT, base + c * dz.stride(1) + y * dz.stride(2) + x * dz.stride(3))
                            : 0f;
                }
            }
        }
    }

    private static long[] planeOffsets(int h, int w, long rowStride, long colStride) {
        long[] offsets = new long[h * w];
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                offsets[y * w + x] = y * rowStride + x * colStride;
            }
        }
        return offsets;
    }

    private static Sizes check(String op, Tensor input, Tensor weight, Shape output, int strideH, int strideW,
                               int padTop, int padLeft) {
        CpuElementwise.check(input, op + " input");
        CpuElementwise.check(weight, op + " weights");
        return Sizes.check(op, input.shape(), weight.shape(), output, strideH, strideW, padTop, padLeft);
    }

    /** The pooled tensors of a ReLU + max-pool pass: {@code [N, O, OH / 2, OW / 2]}, argmax as int32. */
    private static void checkPooled(String op, Sizes g, Tensor pooled, Tensor argmax, Tensor dPooled) {
        Shape expected = Shape.of(g.n(), g.o(), g.oh() / 2, g.ow() / 2);
        if (g.oh() < 2 || g.ow() < 2) {
            throw new IllegalArgumentException(op + ": a 2x2 pooling needs a convolution output of at least 2x2, got "
                    + g.oh() + "x" + g.ow());
        }
        CpuElementwise.check(pooled, op + " pooled output");
        pooled.requireShape(expected, op + " pooled output");
        argmax.requireDType(DType.I32, op + " argmax");
        argmax.requireShape(expected, op + " argmax");
        if (!argmax.storage().isHost()) {
            throw new IllegalArgumentException(op + " argmax: tensor lives on backend '" + argmax.backend().name()
                    + "', not cpu");
        }
        if (dPooled != null) {
            CpuElementwise.check(dPooled, op + " pooled gradient");
            dPooled.requireShape(expected, op + " pooled gradient");
        }
    }
}
