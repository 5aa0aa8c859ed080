package dev.strix.tensor.cpu;

import static dev.strix.tensor.cpu.ImplicitGemm.FLOAT;
import static dev.strix.tensor.cpu.ImplicitGemm.LANES;
import static dev.strix.tensor.cpu.ImplicitGemm.MR;
import static dev.strix.tensor.cpu.ImplicitGemm.NR;
import static dev.strix.tensor.cpu.ImplicitGemm.WORKSPACE;
import static dev.strix.tensor.cpu.ImplicitGemm.ceilDiv;
import static dev.strix.tensor.cpu.ImplicitGemm.weightBuffer;

import dev.strix.tensor.Tensor;
import dev.strix.tensor.cpu.ImplicitGemm.ImageFill;
import dev.strix.tensor.cpu.ImplicitGemm.ImageLayout;
import dev.strix.tensor.cpu.ImplicitGemm.ResultSink;
import dev.strix.tensor.cpu.ImplicitGemm.Workspace;
import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * The forward pass of the implicit-GEMM convolution, two ways: {@link #tiles} (tile rows are 8
 * output pixels read in place, columns 32 output channels of packed weights; each tile goes out
 * transposed) and, for small windows, {@link #channelTiles} (rows are 8 output channels of packed
 * weights, columns a packed panel of 32 pixels' windows). Each image's output is gathered in a heap
 * array and handed to a {@link ResultSink} (written out, or pooled first).
 */
final class ImplicitGemmForward {
    /** One tile column: MR floats. */
    private static final VectorSpecies<Float> COLUMN = FloatVector.SPECIES_256;

    private ImplicitGemmForward() {
    }

    /**
     * For every image n: {@code out[col][pixel] = biases[col] + sum over steps of
     * image[rows[pixel] + steps[p]] * B[p][col]}, in tiles of 8 pixels by NR columns. With
     * {@code wholeImages} each worker takes whole images (a sink that pools needs all of one);
     * otherwise work splits over (image, 8-pixel sliver) units, so even one image uses every core.
     */
    static void tiles(ImageLayout layout, ImageFill fill, int[] rows, int[] steps, int k, float[] b, int bSlivers,
                      float[] biases, int images, int pixels, boolean wholeImages, ResultSink sink) {
        int pixelSlivers = ceilDiv(pixels, MR);
        int width = pixelSlivers * MR;
        int unitSlivers = wholeImages ? pixelSlivers : 1;
        long units = wholeImages ? images : (long) images * pixelSlivers;
        double flopsPerUnit = 2.0 * MR * unitSlivers * k * bSlivers * NR;
        long minUnits = (long) Math.ceil(CpuGemm.PARALLEL_FLOPS / flopsPerUnit);
        CpuParallel.forRange(units, minUnits, (from, to) -> {
            Workspace ws = WORKSPACE.get();
            float[] tile = ws.tile;
            float[] result = ws.result(bSlivers * NR * width + MaxPool2x2.PADDING);
            float[] image = null;
            int current = -1;
            int firstSliver = 0;
            long sliverFrom = from * unitSlivers;
            long sliverTo = to * unitSlivers;
            for (long u = sliverFrom; u < sliverTo; u++) {
                int n = (int) (u / pixelSlivers);
                int sliver = (int) (u % pixelSlivers);
                if (n != current) {
                    if (current >= 0) {
                        sink.take(current, result, width, firstSliver * MR, pixels, ws);
                    }
                    image = ws.image(layout);
                    fill.fill(n, image, ws);
                    current = n;
                    firstSliver = sliver;
                }
                int firstPixel = sliver * MR;
                for (int s = 0; s < bSlivers; s++) {
                    GemmKernel.multiplyGathered(image, rows, firstPixel, steps, 0, k, b, s * k * NR, tile, 0, NR,
                            false);
                    storeColumns(ws, result, width, firstPixel, biases, s * NR);
                }
            }
            if (current >= 0) {
                int lastSliver = (int) ((sliverTo - 1) % pixelSlivers);
                sink.take(current, result, width, firstSliver * MR, Math.min(pixels, (lastSliver + 1) * MR), ws);
            }
        });
    }

    /**
     * Whether {@link #channelTiles} beats {@link #tiles} for a forward pass with {@code k} steps
     * and {@code outputs} channels: it packs every 32-pixel panel of windows once (k gathers a
     * pixel, shared by the ceil(outputs / 8) tiles of that panel) but stores its tiles as they come,
     * where {@link #tiles} reads the windows in place and transposes each tile on the way out (about
     * 256 cycles a tile). Small windows (one or three input channels) favour packing.
     */
    static boolean packWindows(int k, int outputs) {
        return (long) k * MR * NR < 256L * roundUpTo(outputs, MR);
    }

    /**
     * The forward pass with output channels as tile rows: for every image n and panel of 32
     * pixels, the windows are packed ({@code B[p][j] = image[rows[pixel j] + steps[p]]}) and
     * multiplied by the packed weights {@code a} (slivers of 8 channels, as {@link #packWeightRows}
     * writes them), so each tile is already a run of 32 pixels of 8 channels. Same result array and
     * sink as {@link #tiles}, with {@code width} a multiple of 32.
     */
    static void channelTiles(ImageLayout layout, ImageFill fill, int[] rows, int[] steps, int k, float[] a,
                             int columns, float[] biases, int images, int pixels, boolean wholeImages,
                             ResultSink sink) {
        int panels = ceilDiv(pixels, NR);
        int width = panels * NR;
        int[] panelRows = Arrays.copyOf(rows, width);
        int aSlivers = ceilDiv(columns, MR);
        int unitPanels = wholeImages ? panels : 1;
        long units = wholeImages ? images : (long) images * panels;
        double flopsPerUnit = 2.0 * NR * unitPanels * k * aSlivers * MR;
        long minUnits = (long) Math.ceil(CpuGemm.PARALLEL_FLOPS / flopsPerUnit);
        CpuParallel.forRange(units, minUnits, (from, to) -> {
            Workspace ws = WORKSPACE.get();
            float[] tile = ws.tile;
            float[] result = ws.result(aSlivers * MR * width + MaxPool2x2.PADDING);
            float[] panel = ws.packed(k * NR);
            float[] image = null;
            int current = -1;
            int firstPanel = 0;
            long panelFrom = from * unitPanels;
            long panelTo = to * unitPanels;
            for (long u = panelFrom; u < panelTo; u++) {
                int n = (int) (u / panels);
                int g = (int) (u % panels);
                if (n != current) {
                    if (current >= 0) {
                        sink.take(current, result, width, firstPanel * NR, pixels, ws);
                    }
                    image = ws.image(layout);
                    fill.fill(n, image, ws);
                    current = n;
                    firstPanel = g;
                }
                int first = g * NR;
                for (int p = 0; p < k; p++) {
                    // A vector gather: image[steps[p] + panelRows[first + j]] for 16 j at a time.
                    for (int v = 0; v < NR; v += LANES) {
                        FloatVector.fromArray(GemmKernel.SPECIES, image, steps[p], panelRows, first + v)
                                .intoArray(panel, p * NR + v);
                    }
                }
                for (int s = 0; s < aSlivers; s++) {
                    GemmKernel.multiply(a, s * k * MR, panel, 0, k, tile, null, 0, 0);
                    int rowsHere = Math.min(MR, columns - s * MR);
                    for (int r = 0; r < rowsHere; r++) {
                        int channel = s * MR + r;
                        int at = channel * width + first;
                        float add = biases[channel];
                        for (int v = 0; v < NR; v += LANES) {
                            FloatVector.fromArray(GemmKernel.SPECIES, tile, r * NR + v).add(add)
                                    .intoArray(result, at + v);
                        }
                    }
                }
            }
            if (current >= 0) {
                int lastPanel = (int) ((panelTo - 1) % panels);
                sink.take(current, result, width, firstPanel * NR, Math.min(pixels, (lastPanel + 1) * NR), ws);
            }
        });
    }

    /**
     * The weights as GEMM's A for {@link #channelTiles}: slivers of 8 output channels,
     * {@code a[(s * k + p) * 8 + r] = W[s*8 + r][p]} with p = (c, i, j), zero past the last channel.
     */
    static float[] packWeightRows(Tensor weight) {
        int o = weight.dim(0);
        int c = weight.dim(1);
        int kh = weight.dim(2);
        int kw = weight.dim(3);
        int k = c * kh * kw;
        int slivers = ceilDiv(o, MR);
        float[] a = weightBuffer(slivers * MR * k);
        MemorySegment seg = weight.storage().segment();
        long[] st = weight.strides();
        for (int row = 0; row < slivers * MR; row++) {
            int base = (row / MR) * k * MR + row % MR;
            for (int d = 0; d < c; d++) {
                for (int i = 0; i < kh; i++) {
                    for (int j = 0; j < kw; j++) {
                        int p = (d * kh + i) * kw + j;
                        a[base + p * MR] = row < o
                                ? seg.getAtIndex(FLOAT, weight.offset() + row * st[0] + d * st[1] + i * st[2] + j * st[3])
                                : 0f;
                    }
                }
            }
        }
        return a;
    }

    private static int roundUpTo(int a, int multiple) {
        return ceilDiv(a, multiple) * multiple;
    }

    /**
     * {@code result[(first + j) * width + pixel + r] = tile[r][j] + biases[first + j]}: the tile goes
     * out transposed, its 8 pixels of each column contiguous. With AVX-512 the transpose happens in
     * registers and each column leaves as one 8-float vector; elsewhere element by element.
     */
    private static void storeColumns(Workspace ws, float[] result, int width, int pixel, float[] biases, int first) {
        float[] tile = ws.tile;
        if (GemmPacking.TRANSPOSE_8X16 && COLUMN.length() == MR) {
            float[] columns = ws.columns;
            GemmPacking.transposeRows(ws.tileMemory, 0, NR, NR, 1f, columns, 0);
            for (int j = 0; j < NR; j++) {
                FloatVector.fromArray(COLUMN, columns, j * MR).add(biases[first + j])
                        .intoArray(result, (first + j) * width + pixel);
            }
            return;
        }
        for (int j = 0; j < NR; j++) {
            int at = (first + j) * width + pixel;
            float add = biases[first + j];
            for (int r = 0; r < MR; r++) {
                result[at + r] = tile[r * NR + j] + add;
            }
        }
    }

    /**
     * The weights as forward's B, {@code B[(c, i, j)][o] = W[o][c][i][j]} in slivers of NR outputs
     * (zero past the last), in the calling thread's buffer.
     */
    static float[] packWeights(Tensor weight) {
        int o = weight.dim(0);
        int c = weight.dim(1);
        int kh = weight.dim(2);
        int kw = weight.dim(3);
        int steps = c * kh * kw;
        int slivers = ceilDiv(o, NR);
        float[] b = weightBuffer(slivers * NR * steps);
        MemorySegment seg = weight.storage().segment();
        long[] st = weight.strides();
        for (int column = 0; column < slivers * NR; column++) {
            int sliver = (column / NR) * steps * NR + column % NR;
            for (int d = 0; d < c; d++) {
                for (int i = 0; i < kh; i++) {
                    for (int j = 0; j < kw; j++) {
                        int step = (d * kh + i) * kw + j;
                        b[sliver + step * NR] = column < o
                                ? seg.getAtIndex(FLOAT, weight.offset() + column * st[0] + d * st[1] + i * st[2] + j * st[3])
                                : 0f;
                    }
                }
            }
        }
        return b;
    }

}
