package dev.strix.tensor.conformance;

import static dev.strix.tensor.conformance.RandomViews.asFloats;
import static dev.strix.tensor.conformance.RandomViews.assertView;
import static dev.strix.tensor.conformance.RandomViews.unravel;

import dev.strix.tensor.DType;
import dev.strix.tensor.Tensor;
import dev.strix.tensor.conformance.RandomViews.Layout;
import org.junit.jupiter.api.Test;

/**
 * Max pooling with argmax, forward and backward, over seeded random geometries (planes down to 1x1,
 * windows to 3x3, strides to 3, so windows overlap, touch or leave gaps) and random views of every
 * operand (see {@link RandomViews}), against the defining formulas of {@link dev.strix.tensor.Pooling}.
 * Input values come from a few levels, so ties (first in row-major window order wins) are common.
 */
public abstract class PoolingSweepConformance extends BackendConformance {
    private static final int CASES = 60;
    private static final float SENTINEL = -7777f;

    private final RandomViews views = new RandomViews(random);

    @Test
    void maxPoolingForwardAndBackwardOverRandomGeometriesAndViews() {
        for (int c = 0; c < CASES; c++) {
            int n = 1 + random.nextInt(3);
            int ch = 1 + random.nextInt(4);
            int h = 1 + random.nextInt(9);
            int w = 1 + random.nextInt(9);
            int kh = 1 + random.nextInt(Math.min(3, h));
            int kw = 1 + random.nextInt(Math.min(3, w));
            int sh = 1 + random.nextInt(3);
            int sw = 1 + random.nextInt(3);
            int oh = (h - kh) / sh + 1;
            int ow = (w - kw) / sw + 1;
            String what = "case " + c + ": [" + n + ", " + ch + ", " + h + ", " + w + "], window " + kh + "x" + kw
                    + ", stride " + sh + "x" + sw;
            Layout lx = views.layout(n, ch, h, w);
            Layout lo = views.layout(n, ch, oh, ow);
            Layout la = views.layout(n, ch, oh, ow);
            float[] buffer = randomFloats(lx.bufferSize());
            for (int i = 0; i < buffer.length; i++) {
                buffer[i] = Math.round(buffer[i] * 3) / 3f;
            }
            float[] x = lx.read(buffer);
            double[] maxima = new double[lo.size()];
            double[] where = new double[lo.size()];
            for (int e = 0; e < maxima.length; e++) {
                int[] o = unravel(e, lo.dims());
                float best = 0;
                for (int i = 0; i < kh; i++) {
                    for (int j = 0; j < kw; j++) {
                        int r = o[2] * sh + i;
                        int s = o[3] * sw + j;
                        float v = x[((o[0] * ch + o[1]) * h + r) * w + s];
                        if ((i == 0 && j == 0) || v > best) {
                            best = v;
                            where[e] = r * w + s;
                        }
                    }
                }
                maxima[e] = best;
            }
            Layout ld = views.layout(n, ch, oh, ow);
            Layout lg = views.layout(n, ch, h, w);
            float[] dOutBuffer = randomFloats(ld.bufferSize());
            float[] dOut = ld.read(dOutBuffer);
            double[] dx = new double[lg.size()];
            double[] magnitude = new double[lg.size()];
            for (int e = 0; e < dOut.length; e++) {
                int[] o = unravel(e, ld.dims());
                int at = (o[0] * ch + o[1]) * h * w + (int) where[e];
                dx[at] += dOut[e];
                magnitude[at] += Math.abs(dOut[e]);
            }
            double[] allowed = new double[magnitude.length];
            for (int e = 0; e < allowed.length; e++) {
                allowed[e] = FLOAT_TOLERANCE * magnitude[e];
            }
            try (Tensor in = tensor(buffer, lx.bufferSize()); Tensor gradient = tensor(dOutBuffer, ld.bufferSize());
                 Tensor out = RandomViews.filledBuffer(backend(), lo, DType.F32, SENTINEL);
                 Tensor argmax = RandomViews.filledBuffer(backend(), la, DType.I32, 77);
                 Tensor dInput = RandomViews.filledBuffer(backend(), lg, DType.F32, SENTINEL)) {
                backend().pooling().maxPoolForward(lx.of(in), kh, kw, sh, sw, lo.of(out), la.of(argmax));
                assertView(out.toFloatArray(), lo, maxima, 0, SENTINEL, what + ", maxima of " + lx);
                assertView(asFloats(argmax.toIntArray()), la, where, 0, 77, what + ", argmax");
                backend().pooling().maxPoolBackward(ld.of(gradient), la.of(argmax), lg.of(dInput));
                assertView(dInput.toFloatArray(), lg, dx, allowed, SENTINEL, what + ", backward from " + ld);
            }
        }
    }
}
