package dev.strix.tensor.conformance;

/**
 * The defining sums of 2-D convolution as naive loops in double precision, for the conformance
 * suites of every whole-convolution op. Input {@code x [n, c, h, w]}, weights
 * {@code [o, c, kh, kw]}, output {@code [n, o, oh, ow]}, all row-major; padding {@code top} and
 * {@code left} (x reads 0 outside itself, so the padding at the bottom and right is whatever
 * {@code oh}, {@code ow} imply):
 * <pre>
 *   z[a, q, i, j] = bias[q] + sum over b, u, v of x[a, b, i*sh + u - top, j*sw + v - left] * w[q, b, u, v]
 * </pre>
 * Each result comes with its scale, the sum of the absolute terms (at least 1), which the
 * tolerance of a float32 implementation is relative to.
 */
record ConvolutionReference(int n, int c, int h, int w, int o, int kh, int kw, int sh, int sw, int top, int left,
                            int oh, int ow, float[] x, float[] weight) {
    /** Values and scales of one result. */
    record Expected(double[] values, double[] scale) {
        private Expected(int size) {
            this(new double[size], new double[size]);
        }

        private Expected atLeastOne() {
            for (int i = 0; i < scale.length; i++) {
                scale[i] = Math.max(1, scale[i]);
            }
            return this;
        }
    }

    private float x(int a, int b, int r, int s) {
        return r < 0 || r >= h || s < 0 || s >= w ? 0f : x[((a * c + b) * h + r) * w + s];
    }

    private float weight(int q, int b, int u, int v) {
        return weight[((q * c + b) * kh + u) * kw + v];
    }

    /** {@code z}, with {@code bias [o]} added, or none when it is null. */
    Expected forward(float[] bias) {
        Expected z = new Expected(n * o * oh * ow);
        for (int a = 0; a < n; a++) {
            for (int q = 0; q < o; q++) {
                for (int i = 0; i < oh; i++) {
                    for (int j = 0; j < ow; j++) {
                        double sum = bias == null ? 0 : bias[q];
                        double abs = Math.abs(sum);
                        for (int b = 0; b < c; b++) {
                            for (int u = 0; u < kh; u++) {
                                for (int v = 0; v < kw; v++) {
                                    double term = (double) x(a, b, i * sh + u - top, j * sw + v - left) * weight(q, b, u, v);
                                    sum += term;
                                    abs += Math.abs(term);
                                }
                            }
                        }
                        int at = ((a * o + q) * oh + i) * ow + j;
                        z.values[at] = sum;
                        z.scale[at] = abs;
                    }
                }
            }
        }
        return z.atLeastOne();
    }

    /** dL/dx for {@code dz [n, o, oh, ow]}: each gradient spread back through the kernels. */
    Expected backwardData(float[] dz) {
        Expected dx = new Expected(n * c * h * w);
        for (int a = 0; a < n; a++) {
            for (int q = 0; q < o; q++) {
                for (int i = 0; i < oh; i++) {
                    for (int j = 0; j < ow; j++) {
                        float g = dz[((a * o + q) * oh + i) * ow + j];
                        for (int b = 0; b < c; b++) {
                            for (int u = 0; u < kh; u++) {
                                for (int v = 0; v < kw; v++) {
                                    int r = i * sh + u - top;
                                    int s = j * sw + v - left;
                                    if (r >= 0 && r < h && s >= 0 && s < w) {
                                        double term = (double) g * weight(q, b, u, v);
                                        int at = ((a * c + b) * h + r) * w + s;
                                        dx.values[at] += term;
                                        dx.scale[at] += Math.abs(term);
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        return dx.atLeastOne();
    }

    /** dL/dw for {@code dz}, summed over the batch. */
    Expected backwardFilter(float[] dz) {
        Expected dw = new Expected(o * c * kh * kw);
        for (int a = 0; a < n; a++) {
            for (int q = 0; q < o; q++) {
                for (int i = 0; i < oh; i++) {
                    for (int j = 0; j < ow; j++) {
                        float g = dz[((a * o + q) * oh + i) * ow + j];
                        for (int b = 0; b < c; b++) {
                            for (int u = 0; u < kh; u++) {
                                for (int v = 0; v < kw; v++) {
                                    double term = (double) g * x(a, b, i * sh + u - top, j * sw + v - left);
                                    int at = ((q * c + b) * kh + u) * kw + v;
                                    dw.values[at] += term;
                                    dw.scale[at] += Math.abs(term);
                                }
                            }
                        }
                    }
                }
            }
        }
        return dw.atLeastOne();
    }

    /** dL/dbias for {@code dz}: its sum over the batch and the positions. */
    Expected backwardBias(float[] dz) {
        Expected db = new Expected(o);
        for (int a = 0; a < n; a++) {
            for (int q = 0; q < o; q++) {
                for (int e = 0; e < oh * ow; e++) {
                    float g = dz[(a * o + q) * oh * ow + e];
                    db.values[q] += g;
                    db.scale[q] += Math.abs(g);
                }
            }
        }
        return db.atLeastOne();
    }
}
