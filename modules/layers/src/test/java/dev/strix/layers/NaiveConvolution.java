package dev.strix.layers;

/**
 * The textbook convolution in seven nested loops, in double precision, with its gradients written
 * as the same loops scattering backwards. The reference both convolution algorithms must match.
 */
final class NaiveConvolution {
    final int n;
    final int c;
    final int h;
    final int w;
    final int o;
    final int kh;
    final int kw;
    final int sh;
    final int sw;
    final int top;
    final int left;
    final int oh;
    final int ow;

    NaiveConvolution(int n, int c, int h, int w, int o, int kh, int kw, int sh, int sw, Padding.Amounts p) {
        this.n = n;
        this.c = c;
        this.h = h;
        this.w = w;
        this.o = o;
        this.kh = kh;
        this.kw = kw;
        this.sh = sh;
        this.sw = sw;
        this.top = p.top();
        this.left = p.left();
        this.oh = (h + p.top() + p.bottom() - kh) / sh + 1;
        this.ow = (w + p.left() + p.right() - kw) / sw + 1;
    }

    private int x(int ni, int ci, int r, int s) {
        return ((ni * c + ci) * h + r) * w + s;
    }

    private int wt(int oi, int ci, int i, int j) {
        return ((oi * c + ci) * kh + i) * kw + j;
    }

    private int z(int ni, int oi, int y, int q) {
        return ((ni * o + oi) * oh + y) * ow + q;
    }

    /** Z = b + sum X * W; zero padding by skipping reads outside the input. */
    double[] forward(float[] input, float[] weight, float[] bias) {
        double[] out = new double[n * o * oh * ow];
        for (int ni = 0; ni < n; ni++) {
            for (int oi = 0; oi < o; oi++) {
                for (int y = 0; y < oh; y++) {
                    for (int q = 0; q < ow; q++) {
                        double sum = bias == null ? 0 : bias[oi];
                        for (int ci = 0; ci < c; ci++) {
                            for (int i = 0; i < kh; i++) {
                                for (int j = 0; j < kw; j++) {
                                    int r = y * sh + i - top;
                                    int s = q * sw + j - left;
                                    if (r >= 0 && r < h && s >= 0 && s < w) {
                                        sum += (double) input[x(ni, ci, r, s)] * weight[wt(oi, ci, i, j)];
                                    }
                                }
                            }
                        }
                        out[z(ni, oi, y, q)] = sum;
                    }
                }
            }
        }
        return out;
    }

    /** {dX, dW, db} for dL/dZ = {@code dz}: every product term of the forward loop, differentiated. */
    double[][] backward(float[] input, float[] weight, float[] dz) {
        double[] dx = new double[n * c * h * w];
        double[] dw = new double[o * c * kh * kw];
        double[] db = new double[o];
        for (int ni = 0; ni < n; ni++) {
            for (int oi = 0; oi < o; oi++) {
                for (int y = 0; y < oh; y++) {
                    for (int q = 0; q < ow; q++) {
                        double g = dz[z(ni, oi, y, q)];
                        db[oi] += g;
                        for (int ci = 0; ci < c; ci++) {
                            for (int i = 0; i < kh; i++) {
                                for (int j = 0; j < kw; j++) {
                                    int r = y * sh + i - top;
                                    int s = q * sw + j - left;
                                    if (r >= 0 && r < h && s >= 0 && s < w) {
                                        dx[x(ni, ci, r, s)] += g * weight[wt(oi, ci, i, j)];
                                        dw[wt(oi, ci, i, j)] += g * input[x(ni, ci, r, s)];
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        return new double[][] {dx, dw, db};
    }
}
