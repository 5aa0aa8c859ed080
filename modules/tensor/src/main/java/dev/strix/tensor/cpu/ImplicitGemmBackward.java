package dev.strix.tensor.cpu;

import static dev.strix.tensor.cpu.ImplicitGemm.FLOAT;
import static dev.strix.tensor.cpu.ImplicitGemm.LANES;
import static dev.strix.tensor.cpu.ImplicitGemm.MR;
import static dev.strix.tensor.cpu.ImplicitGemm.NR;
import static dev.strix.tensor.cpu.ImplicitGemm.WORKSPACE;
import static dev.strix.tensor.cpu.ImplicitGemm.ceilDiv;
import static dev.strix.tensor.cpu.ImplicitGemm.pixelOffsets;
import static dev.strix.tensor.cpu.ImplicitGemm.weightBuffer;

import dev.strix.tensor.Tensor;
import dev.strix.tensor.cpu.ImplicitGemm.GradientPack;
import dev.strix.tensor.cpu.ImplicitGemm.ImageFill;
import dev.strix.tensor.cpu.ImplicitGemm.ImageLayout;
import dev.strix.tensor.cpu.ImplicitGemm.Workspace;
import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * The two gradients of the implicit-GEMM convolution: {@link #inputGradient} (tiles of
 * {@code dZ^T W} added into a channels-last copy of the padded dL/dX) and {@link #filterGradient}
 * (tiles of window elements by output channels, summed over each worker's run of images and then
 * over the workers in a fixed order, so the result does not depend on timing).
 */
final class ImplicitGemmBackward {
    private ImplicitGemmBackward() {
    }

    /**
     * {@code dx[n] = col2im(W^T * dZ[n])} without a column matrix: tiles of
     * {@code dZ[n]^T (8 output pixels x O) * W (O x NR input channels of one kernel tap)} are added,
     * a vector per pixel, into a channels-last copy of the padded input gradient (where a tap's NR
     * channels are contiguous), which finally goes out transposed into {@code dx}. With fewer than
     * NR input channels the tile's columns are (tap, channel) pairs instead, added one by one. Every worker
     * takes whole images. {@code layout} is dZ's own ({@code [O, OH, OW]}, no border), filled by
     * {@code fill}.
     */
    static void inputGradient(ImageLayout layout, ImageFill fill, Tensor weight, int strideH, int strideW,
                              int padTop, int padLeft, Tensor dx) {
        int images = dx.dim(0);
        int c = dx.dim(1);
        int h = dx.dim(2);
        int w = dx.dim(3);
        int o = weight.dim(0);
        int kh = weight.dim(2);
        int kw = weight.dim(3);
        int oh = layout.h();
        int ow = layout.w();
        int pixels = oh * ow;
        // At least NR input channels: a tile's columns are NR channels of one kernel tap, contiguous
        // in the channels-last buffer, added a vector at a time. Fewer (an RGB or grey first layer):
        // the columns run over (tap, channel) pairs, added one by one, so no lane is padding.
        boolean byTap = c >= NR;
        int groups = ceilDiv(c, NR);
        int depth = byTap ? groups * NR : c;
        // The padded input plane, large enough for every window and for the whole input.
        int hp = Math.max(padTop + h, (oh - 1) * strideH + kh);
        int wp = Math.max(padLeft + w, (ow - 1) * strideW + kw);
        int slivers = byTap ? kh * kw * groups : ceilDiv(kh * kw * c, NR);
        float[] b = byTap ? packWeightsByTap(weight) : packWeightsByPair(weight);
        // Where column j of sliver s lands, relative to a window's start (pair columns only).
        int[] columnAt = new int[slivers * NR];
        for (int j = 0; !byTap && j < kh * kw * c; j++) {
            int tap = j / c;
            columnAt[j] = ((tap / kw) * wp + tap % kw) * depth + j % c;
        }
        int pairs = kh * kw * c;
        int[] rows = pixelOffsets(oh, ow, 0, ow, 1);
        int[] steps = new int[o];
        for (int a = 0; a < o; a++) {
            steps[a] = a * pixels;
        }
        // Where each output pixel's window starts in the channels-last buffer.
        int[] windowAt = pixelOffsets(oh, ow, 0, strideH * wp * depth, strideW * depth);
        int pixelSlivers = ceilDiv(pixels, MR);
        double flopsPerImage = 2.0 * pixelSlivers * MR * o * slivers * NR;
        long minImages = (long) Math.ceil(CpuGemm.PARALLEL_FLOPS / flopsPerImage);
        MemorySegment ds = dx.storage().segment();
        CpuParallel.forRange(images, minImages, (from, to) -> {
            Workspace ws = WORKSPACE.get();
            float[] tile = ws.tile;
            float[] sums = ws.channelsLast(hp * wp * depth);
            for (int n = (int) from; n < to; n++) {
                float[] image = ws.image(layout);
                fill.fill(n, image, ws);
                float[] plane = ws.staging(h * w);
                Arrays.fill(sums, 0, hp * wp * depth, 0f);
                for (int qs = 0; qs < pixelSlivers; qs++) {
                    int first = qs * MR;
                    int valid = Math.min(MR, pixels - first);
                    for (int s = 0; s < slivers; s++) {
                        GemmKernel.multiplyGathered(image, rows, first, steps, 0, o, b, s * o * NR, tile, 0, NR, false);
                        if (!byTap) {
                            int columns = Math.min(NR, pairs - s * NR);
                            for (int r = 0; r < valid; r++) {
                                int window = windowAt[first + r];
                                for (int j = 0; j < columns; j++) {
                                    sums[window + columnAt[s * NR + j]] += tile[r * NR + j];
                                }
                            }
                            continue;
                        }
                        int tap = s / groups;
                        int shift = ((tap / kw) * wp + tap % kw) * depth + (s % groups) * NR;
                        for (int r = 0; r < valid; r++) {
                            int at = windowAt[first + r] + shift;
                            for (int v = 0; v < NR; v += LANES) {
                                FloatVector.fromArray(GemmKernel.SPECIES, tile, r * NR + v)
                                        .add(FloatVector.fromArray(GemmKernel.SPECIES, sums, at + v))
                                        .intoArray(sums, at + v);
                            }
                        }
                    }
                }
                // dx[n][ch][y][x] = sums[padTop + y][padLeft + x][ch]
                for (int ch = 0; ch < c; ch++) {
                    for (int y = 0; y < h; y++) {
                        int row = ((padTop + y) * wp + padLeft) * depth + ch;
                        for (int x = 0; x < w; x++) {
                            plane[y * w + x] = sums[row + x * depth];
                        }
                    }
                    PlaneCopy.write(plane, ds, dx.offset() + n * dx.stride(0) + ch * dx.stride(1), dx.stride(2),
                            dx.stride(3), h, w);
                }
            }
        });
    }

    /**
     * {@code dW[o][p] = sum over n, q of dZ[n][o][q] * image_n[rows[p] + steps[q]]} over
     * {@code k} window elements p and {@code pixels} output pixels q, and (when {@code dBias} is
     * not null) {@code dBias[o] = sum of dZ}. {@code pack} supplies each image's dL/dZ.
     */
    static void filterGradient(ImageLayout layout, ImageFill fill, GradientPack pack, int[] windowOffsets,
                               int[] pixelOffsets, int k, int pixels, int images, int columns, Tensor dWeight,
                               Tensor dBias) {
        int kSlivers = ceilDiv(k, MR);
        int oSlivers = ceilDiv(columns, NR);
        int width = oSlivers * NR;
        int[] rows = Arrays.copyOf(windowOffsets, kSlivers * MR);
        double flopsPerImage = 2.0 * kSlivers * MR * width * pixels;
        int pieces = (int) Math.max(1, Math.min(Math.min(CpuParallel.THREADS, images),
                images * flopsPerImage / CpuGemm.PARALLEL_FLOPS));
        // Each piece's sums: dW^T [kSlivers * MR][width], then one row of bias sums.
        int biasRow = kSlivers * MR * width;
        float[][] partial = ImplicitGemm.gradientSums(pieces, biasRow + width);
        CpuParallel.forEach(pieces, piece -> {
            Workspace ws = WORKSPACE.get();
            float[] sums = partial[piece];
            float[] b = ws.packed(pixels * width);
            for (int n = images * piece / pieces; n < images * (piece + 1) / pieces; n++) {
                float[] image = ws.image(layout);
                fill.fill(n, image, ws);
                pack.pack(n, b, ws);
                if (dBias != null) {
                    sumRows(b, oSlivers, pixels, sums, biasRow);
                }
                for (int ks = 0; ks < kSlivers; ks++) {
                    for (int s = 0; s < oSlivers; s++) {
                        GemmKernel.multiplyGathered(image, rows, ks * MR, pixelOffsets, 0, pixels, b, s * pixels * NR,
                                sums, ks * MR * width + s * NR, width, true);
                    }
                }
            }
        });
        // dW[o][p] = sum of the pieces' dW^T[p][o], always in piece order.
        MemorySegment ds = dWeight.storage().segment();
        int kh = dWeight.dim(2);
        int kw = dWeight.dim(3);
        for (int o = 0; o < columns; o++) {
            for (int c = 0; c < dWeight.dim(1); c++) {
                for (int i = 0; i < kh; i++) {
                    for (int j = 0; j < kw; j++) {
                        int p = (c * kh + i) * kw + j;
                        float sum = 0f;
                        for (int piece = 0; piece < pieces; piece++) {
                            sum += partial[piece][p * width + o];
                        }
                        ds.setAtIndex(FLOAT, dWeight.offset() + o * dWeight.stride(0) + c * dWeight.stride(1)
                                + i * dWeight.stride(2) + j * dWeight.stride(3), sum);
                    }
                }
            }
            if (dBias != null) {
                float sum = 0f;
                for (int piece = 0; piece < pieces; piece++) {
                    sum += partial[piece][biasRow + o];
                }
                dBias.storage().segment().setAtIndex(FLOAT, dBias.offset() + o * dBias.stride(0), sum);
            }
        }
    }

    /** {@code sums[at + col] += sum over q of b[q][col]} for packed B ({@code slivers} of NR columns). */
    private static void sumRows(float[] b, int slivers, int steps, float[] sums, int at) {
        VectorSpecies<Float> species = GemmKernel.SPECIES;
        int lanes = species.length();
        for (int s = 0; s < slivers; s++) {
            int sliver = s * steps * NR;
            for (int v = 0; v < NR; v += lanes) {
                FloatVector sum = FloatVector.zero(species);
                for (int q = 0; q < steps; q++) {
                    sum = sum.add(FloatVector.fromArray(species, b, sliver + q * NR + v));
                }
                int to = at + s * NR + v;
                sum.add(FloatVector.fromArray(species, sums, to)).intoArray(sums, to);
            }
        }
    }

    /**
     * The weights as the input gradient's B: one sliver per (kernel tap (i, j), group of NR input
     * channels), {@code B[o][col] = W[o][group * NR + col][i][j]} (zero past the last channel).
     */
    static float[] packWeightsByTap(Tensor weight) {
        int o = weight.dim(0);
        int c = weight.dim(1);
        int taps = weight.dim(2) * weight.dim(3);
        int groups = ceilDiv(c, NR);
        float[] b = weightBuffer(taps * groups * o * NR);
        MemorySegment seg = weight.storage().segment();
        long[] st = weight.strides();
        for (int tap = 0; tap < taps; tap++) {
            int i = tap / weight.dim(3);
            int j = tap % weight.dim(3);
            for (int group = 0; group < groups; group++) {
                int sliver = (tap * groups + group) * o * NR;
                for (int a = 0; a < o; a++) {
                    for (int col = 0; col < NR; col++) {
                        int d = group * NR + col;
                        b[sliver + a * NR + col] = d < c
                                ? seg.getAtIndex(FLOAT, weight.offset() + a * st[0] + d * st[1] + i * st[2] + j * st[3])
                                : 0f;
                    }
                }
            }
        }
        return b;
    }

    /**
     * The weights as the input gradient's B for few input channels: columns over (tap, channel)
     * pairs, {@code B[o][tap * C + c] = W[o][c][tap / KW][tap % KW]}, in slivers of NR (zero past the
     * last pair).
     */
    static float[] packWeightsByPair(Tensor weight) {
        int o = weight.dim(0);
        int c = weight.dim(1);
        int kw = weight.dim(3);
        int pairs = weight.dim(2) * kw * c;
        int slivers = ceilDiv(pairs, NR);
        float[] b = weightBuffer(slivers * o * NR);
        MemorySegment seg = weight.storage().segment();
        long[] st = weight.strides();
        for (int j = 0; j < slivers * NR; j++) {
            int sliver = (j / NR) * o * NR + j % NR;
            int tap = j / c;
            int d = j % c;
            for (int a = 0; a < o; a++) {
                b[sliver + a * NR] = j < pairs
                        ? seg.getAtIndex(FLOAT, weight.offset() + a * st[0] + d * st[1] + (tap / kw) * st[2] + (tap % kw) * st[3])
                        : 0f;
            }
        }
        return b;
    }

}
