package dev.strix.tensor.cpu;

import dev.strix.tensor.BiasReluEpilogue;
import dev.strix.tensor.Tensor;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * Bias, ReLU and 2x2 max pooling in one pass on the CPU, one sample (its C planes) per unit of
 * parallel work. The bias gradient is summed per (sample, channel) first and then over the samples
 * in order, so it does not depend on how the work was split between cores.
 */
final class CpuBiasReluEpilogue implements BiasReluEpilogue {
    private static final ValueLayout.OfFloat FLOAT = ValueLayout.JAVA_FLOAT;
    private static final ValueLayout.OfInt INT = ValueLayout.JAVA_INT;
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

    @Override
    public void biasReluMaxPool(Tensor z, Tensor bias, Tensor pooled, Tensor argmax) {
        BiasReluEpilogue.checkPooling("biasReluMaxPool", z, bias, pooled, argmax);
        int c = z.dim(1);
        int h = z.dim(2);
        int w = z.dim(3);
        int oh = h / 2;
        int ow = w / 2;
        MemorySegment zm = z.storage().segment();
        MemorySegment pm = pooled.storage().segment();
        MemorySegment am = argmax.storage().segment();
        MemorySegment bm = bias == null ? null : bias.storage().segment();
        long zo = z.offset();
        long po = pooled.offset();
        long ao = argmax.offset();
        long bo = bias == null ? 0 : bias.offset();
        CpuParallel.forRange(z.dim(0), samplesPerTask((long) c * h * w), (from, to) -> {
            for (long n = from; n < to; n++) {
                for (int ch = 0; ch < c; ch++) {
                    float b = bm == null ? 0f : bm.getAtIndex(FLOAT, bo + ch);
                    long in = zo + (n * c + ch) * h * w;
                    long out = (n * c + ch) * oh * ow;
                    for (int y = 0; y < oh; y++) {
                        for (int x = 0; x < ow; x++) {
                            int at = 2 * y * w + 2 * x;
                            float best = zm.getAtIndex(FLOAT, in + at) + b;
                            int bestAt = at;
                            for (int i = 1; i < 4; i++) {
                                int k = at + (i >> 1) * w + (i & 1);
                                float v = zm.getAtIndex(FLOAT, in + k) + b;
                                if (v > best) {
                                    best = v;
                                    bestAt = k;
                                }
                            }
                            long o = out + (long) y * ow + x;
                            pm.setAtIndex(FLOAT, po + o, best > 0f ? best : 0f);
                            am.setAtIndex(INT, ao + o, bestAt);
                        }
                    }
                }
            }
        });
    }

    @Override
    public void biasReluMaxPoolBackward(Tensor dPooled, Tensor pooled, Tensor argmax, Tensor dz, Tensor dBias) {
        BiasReluEpilogue.checkPooling("biasReluMaxPoolBackward", dz, dBias, pooled, argmax);
        BiasReluEpilogue.checkPooledGradient("biasReluMaxPoolBackward", dPooled, pooled);
        int n = dz.dim(0);
        int c = dz.dim(1);
        int h = dz.dim(2);
        int w = dz.dim(3);
        int oh = h / 2;
        int ow = w / 2;
        MemorySegment gm = dPooled.storage().segment();
        MemorySegment pm = pooled.storage().segment();
        MemorySegment am = argmax.storage().segment();
        MemorySegment zm = dz.storage().segment();
        long go = dPooled.offset();
        long po = pooled.offset();
        long ao = argmax.offset();
        long zo = dz.offset();
        float[] sums = partials(n * c);
        CpuParallel.forRange(n, samplesPerTask((long) c * h * w), (from, to) -> {
            for (long s = from; s < to; s++) {
                for (int ch = 0; ch < c; ch++) {
                    long plane = zo + (s * c + ch) * h * w;
                    zm.asSlice(plane * Float.BYTES, (long) h * w * Float.BYTES).fill((byte) 0);
                    long first = (s * c + ch) * oh * ow;
                    float sum = 0f;
                    for (int y = 0; y < oh; y++) {
                        for (int x = 0; x < ow; x++) {
                            long k = first + (long) y * ow + x;
                            if (!(pm.getAtIndex(FLOAT, po + k) > 0f)) {
                                continue;
                            }
                            int at = am.getAtIndex(INT, ao + k);
                            int dy = at / w - 2 * y;
                            int dx = at % w - 2 * x;
                            if (at < 0 || dy < 0 || dy > 1 || dx < 0 || dx > 1) {
                                throw new IllegalArgumentException("biasReluMaxPoolBackward: argmax " + at + " at ["
                                        + s + ", " + ch + ", " + y + ", " + x + "] lies outside its 2x2 window of the "
                                        + h + "x" + w + " plane");
                            }
                            float g = gm.getAtIndex(FLOAT, go + k);
                            zm.setAtIndex(FLOAT, plane + at, g);
                            sum += g;
                        }
                    }
                    sums[(int) (s * c + ch)] = sum;
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
