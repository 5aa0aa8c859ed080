package dev.strix.tensor.cpu;

import dev.strix.tensor.BiasReluEpilogue;
import dev.strix.tensor.Tensor;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;

/**
 * Bias, ReLU and 2x2 max pooling in one pass on the CPU, one sample (its C planes) per unit of
 * parallel work. The bias gradient is summed per (sample, channel) first and then over the samples
 * in order, so it does not depend on how the work was split between cores. Channels-last operands
 * take the same sums in the same order (the element-wise ops walk the storage, the pooling ops read
 * and write each plane through its strides), so both layouts give the same bits.
 */
final class CpuBiasReluEpilogue implements BiasReluEpilogue {
    private static final ValueLayout.OfFloat FLOAT = ValueLayout.JAVA_FLOAT;
    /** Elements per task below which splitting the work costs more than it saves. */
    private static final long MIN_ELEMENTS_PER_TASK = 1 << 15;

    /**
     * Per (sample, channel) partial sums of the bias gradient, reused between calls (a backend's ops
     * are called from one thread at a time; the parallel work inside a call writes disjoint slots).
     */
    private float[] partials = new float[0];

    @Override
    public void biasRelu(Tensor z, Tensor bias, Tensor y) {
        BiasReluEpilogue.checkRows("biasRelu", "input", z, "output", y, bias);
        boolean channelsLast = BiasReluEpilogue.channelsLast("biasRelu", z, y);
        int c = z.dim(1);
        long plane = z.size() / ((long) z.dim(0) * c);
        MemorySegment zm = z.storage().segment();
        MemorySegment ym = y.storage().segment();
        MemorySegment bm = bias == null ? null : bias.storage().segment();
        long zo = z.offset();
        long yo = y.offset();
        long bo = bias == null ? 0 : bias.offset();
        CpuParallel.forRange(z.dim(0), samplesPerTask(c * plane), (from, to) -> {
            for (long n = from; n < to; n++) {
                if (channelsLast) {
                    // Storage order [N, H, W, C]: the channel is the fastest index.
                    for (long p = n * c * plane; p < (n + 1) * c * plane; p++) {
                        float b = bm == null ? 0f : bm.getAtIndex(FLOAT, bo + p % c);
                        float v = zm.getAtIndex(FLOAT, zo + p) + b;
                        ym.setAtIndex(FLOAT, yo + p, v > 0f ? v : 0f);
                    }
                    continue;
                }
                for (int ch = 0; ch < c; ch++) {
                    float b = bm == null ? 0f : bm.getAtIndex(FLOAT, bo + ch);
                    long start = (n * c + ch) * plane;
                    for (long p = start; p < start + plane; p++) {
                        float v = zm.getAtIndex(FLOAT, zo + p) + b;
                        ym.setAtIndex(FLOAT, yo + p, v > 0f ? v : 0f);
                    }
                }
            }
        });
    }

    @Override
    public void biasReluBackward(Tensor y, Tensor dy, Tensor dz, Tensor dBias) {
        BiasReluEpilogue.checkRows("biasReluBackward", "output", y, "output gradient", dy, null);
        BiasReluEpilogue.checkRows("biasReluBackward", "output", y, "input gradient", dz, dBias);
        boolean channelsLast = BiasReluEpilogue.channelsLast("biasReluBackward", y, dy, dz);
        int n = y.dim(0);
        int c = y.dim(1);
        long plane = y.size() / ((long) n * c);
        MemorySegment ym = y.storage().segment();
        MemorySegment gm = dy.storage().segment();
        MemorySegment zm = dz.storage().segment();
        long yo = y.offset();
        long go = dy.offset();
        long zo = dz.offset();
        float[] sums = partials(n * c);
        CpuParallel.forRange(n, samplesPerTask(c * plane), (from, to) -> {
            for (long s = from; s < to; s++) {
                if (channelsLast) {
                    // Each channel's terms in pixel order, as below, interleaved with the other channels'.
                    int base = (int) (s * c);
                    Arrays.fill(sums, base, base + c, 0f);
                    for (long p = s * c * plane; p < (s + 1) * c * plane; p++) {
                        float g = ym.getAtIndex(FLOAT, yo + p) > 0f ? gm.getAtIndex(FLOAT, go + p) : 0f;
                        zm.setAtIndex(FLOAT, zo + p, g);
                        sums[base + (int) (p % c)] += g;
                    }
                    continue;
                }
                for (int ch = 0; ch < c; ch++) {
                    long start = (s * c + ch) * plane;
                    float sum = 0f;
                    for (long p = start; p < start + plane; p++) {
                        float g = ym.getAtIndex(FLOAT, yo + p) > 0f ? gm.getAtIndex(FLOAT, go + p) : 0f;
                        zm.setAtIndex(FLOAT, zo + p, g);
                        sum += g;
                    }
                    sums[(int) (s * c + ch)] = sum;
                }
            }
        });
        sumOverSamples(sums, n, c, dBias);
    }

    /**
     * Each plane is copied onto the heap with the bias added and pooled by {@link MaxPool2x2} (a
     * vector of windows at a time, as {@link CpuPooling} does), then clamped at 0 on its way out. A
     * NaN window pools to NaN there and clamps to 0, as the separate ops give.
     */
    @Override
    public void biasReluMaxPool(Tensor z, Tensor bias, Tensor pooled, Tensor argmax) {
        BiasReluEpilogue.checkPooling("biasReluMaxPool", z, bias, pooled, argmax);
        BiasReluEpilogue.channelsLast("biasReluMaxPool", pooled, argmax);
        int c = z.dim(1);
        int h = z.dim(2);
        int w = z.dim(3);
        int oh = h / 2;
        int ow = w / 2;
        int pixels = h * w;
        int outputs = oh * ow;
        MemorySegment zm = z.storage().segment();
        MemorySegment pm = pooled.storage().segment();
        MemorySegment am = argmax.storage().segment();
        MemorySegment bm = bias == null ? null : bias.storage().segment();
        long[] zs = z.strides();
        long[] ps = pooled.strides();
        long[] as = argmax.strides();
        long bo = bias == null ? 0 : bias.offset();
        CpuParallel.forRange(z.dim(0), samplesPerTask((long) c * pixels), (from, to) -> {
            float[] in = PlaneCopy.floats(0, pixels + MaxPool2x2.PADDING);
            float[] best = PlaneCopy.floats(1, outputs + MaxPool2x2.PADDING);
            int[] where = PlaneCopy.ints(outputs + MaxPool2x2.PADDING);
            for (long n = from; n < to; n++) {
                for (int ch = 0; ch < c; ch++) {
                    PlaneCopy.read(zm, z.offset() + n * zs[0] + ch * zs[1], zs[2], zs[3], h, w, in);
                    if (bm != null) {
                        float b = bm.getAtIndex(FLOAT, bo + ch);
                        for (int i = 0; i < pixels; i++) {
                            in[i] += b;
                        }
                    }
                    MaxPool2x2.plane(in, w, oh, ow, best, where);
                    for (int k = 0; k < outputs; k++) {
                        best[k] = best[k] > 0f ? best[k] : 0f;
                    }
                    PlaneCopy.write(best, pm, pooled.offset() + n * ps[0] + ch * ps[1], ps[2], ps[3], oh, ow);
                    PlaneCopy.write(where, am, argmax.offset() + n * as[0] + ch * as[1], as[2], as[3], oh, ow);
                }
            }
        });
    }

    @Override
    public void biasReluMaxPoolBackward(Tensor dPooled, Tensor pooled, Tensor argmax, Tensor dz, Tensor dBias) {
        BiasReluEpilogue.checkPooling("biasReluMaxPoolBackward", dz, dBias, pooled, argmax);
        BiasReluEpilogue.checkPooledGradient("biasReluMaxPoolBackward", dPooled, pooled);
        BiasReluEpilogue.channelsLast("biasReluMaxPoolBackward", dPooled, pooled, argmax);
        int n = dz.dim(0);
        int c = dz.dim(1);
        int h = dz.dim(2);
        int w = dz.dim(3);
        int oh = h / 2;
        int ow = w / 2;
        int pixels = h * w;
        int outputs = oh * ow;
        MemorySegment gm = dPooled.storage().segment();
        MemorySegment pm = pooled.storage().segment();
        MemorySegment am = argmax.storage().segment();
        MemorySegment zm = dz.storage().segment();
        long[] gs = dPooled.strides();
        long[] ps = pooled.strides();
        long[] as = argmax.strides();
        long[] zs = dz.strides();
        float[] sums = partials(n * c);
        CpuParallel.forRange(n, samplesPerTask((long) c * pixels), (from, to) -> {
            float[] grad = PlaneCopy.floats(0, outputs);
            float[] kept = PlaneCopy.floats(1, outputs);
            float[] plane = PlaneCopy.floats(2, pixels);
            int[] where = PlaneCopy.ints(outputs);
            for (long s = from; s < to; s++) {
                for (int ch = 0; ch < c; ch++) {
                    long index = s * c + ch;
                    PlaneCopy.read(gm, dPooled.offset() + s * gs[0] + ch * gs[1], gs[2], gs[3], oh, ow, grad);
                    PlaneCopy.read(pm, pooled.offset() + s * ps[0] + ch * ps[1], ps[2], ps[3], oh, ow, kept);
                    PlaneCopy.read(am, argmax.offset() + s * as[0] + ch * as[1], as[2], as[3], oh, ow, where);
                    Arrays.fill(plane, 0, pixels, 0f);
                    float sum = 0f;
                    for (int y = 0; y < oh; y++) {
                        for (int x = 0; x < ow; x++) {
                            int k = y * ow + x;
                            if (!(kept[k] > 0f)) {
                                continue;
                            }
                            int at = where[k];
                            int within = at - (2 * y * w + 2 * x);
                            if (within != 0 && within != 1 && within != w && within != w + 1) {
                                throw new IllegalArgumentException("biasReluMaxPoolBackward: argmax " + at + " at ["
                                        + s + ", " + ch + ", " + y + ", " + x + "] lies outside its 2x2 window of the "
                                        + h + "x" + w + " plane");
                            }
                            plane[at] = grad[k];
                            sum += grad[k];
                        }
                    }
                    PlaneCopy.write(plane, zm, dz.offset() + s * zs[0] + ch * zs[1], zs[2], zs[3], h, w);
                    sums[(int) index] = sum;
                }
            }
        });
        sumOverSamples(sums, n, c, dBias);
    }

    /** {@code dBias[c] = sum over n, in order, of sums[n * c + c]}; nothing when dBias is null. */
    private static void sumOverSamples(float[] sums, int n, int c, Tensor dBias) {
        if (dBias == null) {
            return;
        }
        MemorySegment dm = dBias.storage().segment();
        for (int ch = 0; ch < c; ch++) {
            float total = 0f;
            for (int s = 0; s < n; s++) {
                total += sums[s * c + ch];
            }
            dm.setAtIndex(FLOAT, dBias.offset() + ch, total);
        }
    }

    private synchronized float[] partials(int size) {
        if (partials.length < size) {
            partials = new float[size];
        }
        return partials;
    }

    private static long samplesPerTask(long elementsPerSample) {
        return Math.max(1, MIN_ELEMENTS_PER_TASK / Math.max(1, elementsPerSample));
    }
}
