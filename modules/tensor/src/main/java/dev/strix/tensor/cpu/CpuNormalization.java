package dev.strix.tensor.cpu;

import dev.strix.tensor.BatchNormRelu;
import dev.strix.tensor.Normalization;
import dev.strix.tensor.Tensor;
import dev.strix.tensor.spi.ChannelView;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * Batch normalisation on the CPU: one channel per unit of parallel work, statistics in double
 * precision with two passes (mean, then squared deviations) so the variance stays accurate. The
 * same passes give batch norm + ReLU ({@link BatchNormRelu}): the ReLU applied as values are
 * written, its mask as gradients are read.
 */
final class CpuNormalization implements Normalization, BatchNormRelu {
    private static final ValueLayout.OfFloat FLOAT = ValueLayout.JAVA_FLOAT;

    @Override
    public void batchNormTraining(Tensor x, Tensor gamma, Tensor beta, float momentum, float epsilon,
                                  Tensor runningMean, Tensor runningVar, Tensor out, Tensor savedMean,
                                  Tensor savedInvStd) {
        training("batchNormTraining", x, gamma, beta, momentum, epsilon, runningMean, runningVar, out, savedMean,
                savedInvStd, false);
    }

    @Override
    public void batchNormReluTraining(Tensor x, Tensor gamma, Tensor beta, float momentum, float epsilon,
                                      Tensor runningMean, Tensor runningVar, Tensor out, Tensor savedMean,
                                      Tensor savedInvStd) {
        training("batchNormReluTraining", x, gamma, beta, momentum, epsilon, runningMean, runningVar, out, savedMean,
                savedInvStd, true);
    }

    private static void training(String op, Tensor x, Tensor gamma, Tensor beta, float momentum, float epsilon,
                                 Tensor runningMean, Tensor runningVar, Tensor out, Tensor savedMean,
                                 Tensor savedInvStd, boolean relu) {
        ChannelView xv = view(x, op + " input");
        ChannelView ov = same(xv, out, op + " output");
        checkChannels(op, xv.c(), gamma, beta, runningMean, runningVar, savedMean, savedInvStd);
        long m = (long) xv.n() * xv.s();
        if (m < 2) {
            throw new IllegalArgumentException(op + " needs more than one value per channel to estimate a"
                    + " variance, got input " + x.shape());
        }
        MemorySegment xs = x.storage().segment();
        MemorySegment os = out.storage().segment();
        boolean rows = contiguousRows(xv, ov);
        CpuParallel.forRange(xv.c(), Math.max(1, (1 << 15) / m), (from, to) -> {
            for (int c = (int) from; c < to; c++) {
                double sum = 0;
                for (int n = 0; n < xv.n(); n++) {
                    if (rows) {
                        sum += ChannelRows.sum(xs, xv.at(n, c, 0), xv.s());
                        continue;
                    }
                    for (int s = 0; s < xv.s(); s++) {
                        sum += xs.getAtIndex(FLOAT, xv.at(n, c, s));
                    }
                }
                double mean = sum / m;
                double squares = 0;
                for (int n = 0; n < xv.n(); n++) {
                    if (rows) {
                        squares += ChannelRows.squaredDeviations(xs, xv.at(n, c, 0), xv.s(), mean);
                        continue;
                    }
                    for (int s = 0; s < xv.s(); s++) {
                        double d = xs.getAtIndex(FLOAT, xv.at(n, c, s)) - mean;
                        squares += d * d;
                    }
                }
                double var = squares / m;
                double invStd = 1 / Math.sqrt(var + epsilon);
                double scale = get(gamma, c) * invStd;
                double shift = get(beta, c) - mean * scale;
                normalize(xs, xv, os, ov, c, scale, shift, rows, relu);
                set(savedMean, c, mean);
                set(savedInvStd, c, invStd);
                set(runningMean, c, (1 - momentum) * get(runningMean, c) + momentum * mean);
                set(runningVar, c, (1 - momentum) * get(runningVar, c) + momentum * var * m / (m - 1));
            }
        });
    }

    @Override
    public void batchNormInference(Tensor x, Tensor gamma, Tensor beta, Tensor runningMean, Tensor runningVar,
                                   float epsilon, Tensor out) {
        inference("batchNormInference", x, gamma, beta, runningMean, runningVar, epsilon, out, false);
    }

    @Override
    public void batchNormReluInference(Tensor x, Tensor gamma, Tensor beta, Tensor runningMean, Tensor runningVar,
                                       float epsilon, Tensor out) {
        inference("batchNormReluInference", x, gamma, beta, runningMean, runningVar, epsilon, out, true);
    }

    private static void inference(String op, Tensor x, Tensor gamma, Tensor beta, Tensor runningMean,
                                  Tensor runningVar, float epsilon, Tensor out, boolean relu) {
        ChannelView xv = view(x, op + " input");
        ChannelView ov = same(xv, out, op + " output");
        checkChannels(op, xv.c(), gamma, beta, runningMean, runningVar);
        MemorySegment xs = x.storage().segment();
        MemorySegment os = out.storage().segment();
        long m = (long) xv.n() * xv.s();
        boolean rows = contiguousRows(xv, ov);
        CpuParallel.forRange(xv.c(), Math.max(1, (1 << 15) / Math.max(1, m)), (from, to) -> {
            for (int c = (int) from; c < to; c++) {
                double scale = get(gamma, c) / Math.sqrt(get(runningVar, c) + epsilon);
                double shift = get(beta, c) - get(runningMean, c) * scale;
                normalize(xs, xv, os, ov, c, scale, shift, rows, relu);
            }
        });
    }

    @Override
    public void batchNormBackward(Tensor x, Tensor dOut, Tensor gamma, Tensor savedMean, Tensor savedInvStd,
                                  Tensor dx, Tensor dGamma, Tensor dBeta) {
        backward("batchNormBackward", x, null, dOut, gamma, savedMean, savedInvStd, dx, dGamma, dBeta);
    }

    @Override
    public void batchNormReluBackward(Tensor x, Tensor out, Tensor dOut, Tensor gamma, Tensor savedMean,
                                      Tensor savedInvStd, Tensor dx, Tensor dGamma, Tensor dBeta) {
        backward("batchNormReluBackward", x, out, dOut, gamma, savedMean, savedInvStd, dx, dGamma, dBeta);
    }

    /** The backward pass; with {@code out} (a following ReLU's output) not null, dOut masked by {@code out > 0}. */
    private static void backward(String op, Tensor x, Tensor out, Tensor dOut, Tensor gamma, Tensor savedMean,
                                 Tensor savedInvStd, Tensor dx, Tensor dGamma, Tensor dBeta) {
        ChannelView xv = view(x, op + " input");
        ChannelView gv = same(xv, dOut, op + " output gradient");
        ChannelView dv = same(xv, dx, op + " input gradient");
        ChannelView yv = out == null ? null : same(xv, out, op + " output");
        checkChannels(op, xv.c(), gamma, savedMean, savedInvStd, dGamma, dBeta);
        MemorySegment xs = x.storage().segment();
        MemorySegment gs = dOut.storage().segment();
        MemorySegment ds = dx.storage().segment();
        MemorySegment ys = out == null ? null : out.storage().segment();
        long m = (long) xv.n() * xv.s();
        boolean rows = contiguousRows(xv, gv) && dv.strideS() == 1 && (yv == null || yv.strideS() == 1);
        CpuParallel.forRange(xv.c(), Math.max(1, (1 << 15) / Math.max(1, m)), (from, to) -> {
            double[] sums = new double[2];
            for (int c = (int) from; c < to; c++) {
                double mean = get(savedMean, c);
                double invStd = get(savedInvStd, c);
                double sumDy = 0;
                double sumDyXhat = 0;
                if (rows) {
                    sums[0] = 0;
                    sums[1] = 0;
                    for (int n = 0; n < xv.n(); n++) {
                        ChannelRows.gradientSums(xs, xv.at(n, c, 0), gs, gv.at(n, c, 0), ys,
                                yv == null ? 0 : yv.at(n, c, 0), xv.s(), mean, sums);
                    }
                    sumDy = sums[0];
                    sumDyXhat = sums[1] * invStd;
                    double k = get(gamma, c) * invStd / m;
                    for (int n = 0; n < xv.n(); n++) {
                        ChannelRows.inputGradient(xs, xv.at(n, c, 0), gs, gv.at(n, c, 0), ys,
                                yv == null ? 0 : yv.at(n, c, 0), ds, dv.at(n, c, 0), xv.s(), mean, invStd, k, m,
                                sumDy, sumDyXhat);
                    }
                    set(dGamma, c, sumDyXhat);
                    set(dBeta, c, sumDy);
                    continue;
                }
                for (int n = 0; n < xv.n(); n++) {
                    for (int s = 0; s < xv.s(); s++) {
                        double dy = ChannelRows.gradientAt(gs, gv.at(n, c, s), ys, yv == null ? 0 : yv.at(n, c, s));
                        sumDy += dy;
                        sumDyXhat += dy * (xs.getAtIndex(FLOAT, xv.at(n, c, s)) - mean) * invStd;
                    }
                }
                double k = get(gamma, c) * invStd / m;
                for (int n = 0; n < xv.n(); n++) {
                    for (int s = 0; s < xv.s(); s++) {
                        double xhat = (xs.getAtIndex(FLOAT, xv.at(n, c, s)) - mean) * invStd;
                        double dy = ChannelRows.gradientAt(gs, gv.at(n, c, s), ys, yv == null ? 0 : yv.at(n, c, s));
                        ds.setAtIndex(FLOAT, dv.at(n, c, s), (float) (k * (m * dy - sumDy - xhat * sumDyXhat)));
                    }
                }
                set(dGamma, c, sumDyXhat);
                set(dBeta, c, sumDy);
            }
        });
    }

    /** Whether every (sample, channel) run of both views is contiguous and long enough to vectorise. */
    private static boolean contiguousRows(ChannelView a, ChannelView b) {
        return a.strideS() == 1 && b.strideS() == 1 && a.s() >= 8;
    }

    /** {@code out = x * scale + shift} over channel {@code c}, then {@code max(0, out)} when {@code relu}. */
    private static void normalize(MemorySegment xs, ChannelView xv, MemorySegment os, ChannelView ov, int c,
                                  double scale, double shift, boolean rows, boolean relu) {
        for (int n = 0; n < xv.n(); n++) {
            if (rows) {
                ChannelRows.scaleShift(xs, xv.at(n, c, 0), os, ov.at(n, c, 0), xv.s(), scale, shift, relu);
                continue;
            }
            for (int s = 0; s < xv.s(); s++) {
                float v = (float) (xs.getAtIndex(FLOAT, xv.at(n, c, s)) * scale + shift);
                os.setAtIndex(FLOAT, ov.at(n, c, s), relu && !(v > 0f) ? 0f : v);
            }
        }
    }

    private static ChannelView view(Tensor t, String what) {
        CpuElementwise.check(t, what);
        return ChannelView.of(t, what);
    }

    private static ChannelView same(ChannelView x, Tensor t, String what) {
        return view(t, what).requireShapeOf(x, t, what);
    }

    private static void checkChannels(String op, int channels, Tensor... vectors) {
        for (Tensor v : vectors) {
            CpuElementwise.check(v, op + " channel vector");
            if (v.rank() != 1 || v.dim(0) != channels) {
                throw new IllegalArgumentException(op + ": channel vectors must be [" + channels + "], got " + v.shape());
            }
        }
    }

    private static double get(Tensor v, int c) {
        return v.storage().segment().getAtIndex(FLOAT, v.offset() + c * v.stride(0));
    }

    private static void set(Tensor v, int c, double value) {
        v.storage().segment().setAtIndex(FLOAT, v.offset() + c * v.stride(0), (float) value);
    }
}
