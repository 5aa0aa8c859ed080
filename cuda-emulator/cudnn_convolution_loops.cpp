// The emulated cuDNN convolution's reference loops, in double accumulation:
//
//   forward          y[n,k,i,j]  = sum_{c,r,s} x[n, c, i*sh - ph + r*dh, j*sw - pw + s*dw] * w[k,c,r',s']
//   backward data    dx[n,c,a,b] = sum_{k,r,s, i*sh - ph + r*dh = a, j*sw - pw + s*dw = b} dy[n,k,i,j] * w[k,c,r',s']
//   backward filter  dw[k,c,r',s'] = sum_{n,i,j} dy[n,k,i,j] * x[n, c, i*sh - ph + r*dh, j*sw - pw + s*dw]
//
// with positions outside the input reading zero, and (r', s') = (r, s) for CUDNN_CROSS_CORRELATION
// or the flipped (R-1-r, S-1-s) for CUDNN_CONVOLUTION. Each result is blended into its output
// (alpha * result + beta * old). With tf32 both operands are read rounded to TF32, as tensor cores
// read them.
#include "cudnn_convolution.h"
#include "tf32.h"

namespace cudnn_emulator {
namespace {

// An operand as the algorithm reads it.
inline float in(float v, bool tf32) {
    return tf32 ? strix_emulator::to_tf32(v) : v;
}

struct Geometry {
    long long N, C, H, W, K, R, S, OH, OW;
    long long sh, sw, ph, pw, dh, dw;
    bool flip;

    explicit Geometry(const ConvolutionProblem& p)
        : N(p.x.dims[0]), C(p.x.dims[1]), H(p.x.dims[2]), W(p.x.dims[3]), K(p.w.dims[0]), R(p.w.dims[2]),
          S(p.w.dims[3]), OH(p.y.dims[2]), OW(p.y.dims[3]), sh(p.conv.stride[0]), sw(p.conv.stride[1]),
          ph(p.conv.pad[0]), pw(p.conv.pad[1]), dh(p.conv.dilation[0]), dw(p.conv.dilation[1]),
          flip(p.conv.mode == CONVOLUTION) {}

    // The filter tap whose weight multiplies the input at window offset (r, s).
    long long tap_r(long long r) const { return flip ? R - 1 - r : r; }
    long long tap_s(long long s) const { return flip ? S - 1 - s : s; }
};

}  // namespace

void convolution_forward(const ConvolutionProblem& p, const float* x, const float* w, float* y, float alpha,
                         float beta, bool tf32) {
    const Geometry g(p);
    for (long long n = 0; n < g.N; n++) {
        for (long long k = 0; k < g.K; k++) {
            for (long long i = 0; i < g.OH; i++) {
                for (long long j = 0; j < g.OW; j++) {
                    double sum = 0.0;
                    for (long long c = 0; c < g.C; c++) {
                        for (long long r = 0; r < g.R; r++) {
                            long long a = i * g.sh - g.ph + r * g.dh;
                            if (a < 0 || a >= g.H) {
                                continue;
                            }
                            for (long long s = 0; s < g.S; s++) {
                                long long b = j * g.sw - g.pw + s * g.dw;
                                if (b < 0 || b >= g.W) {
                                    continue;
                                }
                                sum += static_cast<double>(in(x[offset(p.x, n, c, a, b)], tf32))
                                        * in(w[filter_offset(p.w, k, c, g.tap_r(r), g.tap_s(s))], tf32);
                            }
                        }
                    }
                    blend(&y[offset(p.y, n, k, i, j)], sum, alpha, beta);
                }
            }
        }
    }
}

void convolution_backward_data(const ConvolutionProblem& p, const float* w, const float* dy, float* dx, float alpha,
                               float beta, bool tf32) {
    const Geometry g(p);
    for (long long n = 0; n < g.N; n++) {
        for (long long c = 0; c < g.C; c++) {
            for (long long a = 0; a < g.H; a++) {
                for (long long b = 0; b < g.W; b++) {
                    double sum = 0.0;
                    for (long long r = 0; r < g.R; r++) {
                        long long ti = a + g.ph - r * g.dh;   // = i * sh for the output row i that reads a
                        if (ti < 0 || ti % g.sh != 0 || ti / g.sh >= g.OH) {
                            continue;
                        }
                        for (long long s = 0; s < g.S; s++) {
                            long long tj = b + g.pw - s * g.dw;
                            if (tj < 0 || tj % g.sw != 0 || tj / g.sw >= g.OW) {
                                continue;
                            }
                            for (long long k = 0; k < g.K; k++) {
                                sum += static_cast<double>(in(dy[offset(p.y, n, k, ti / g.sh, tj / g.sw)], tf32))
                                        * in(w[filter_offset(p.w, k, c, g.tap_r(r), g.tap_s(s))], tf32);
                            }
                        }
                    }
                    blend(&dx[offset(p.x, n, c, a, b)], sum, alpha, beta);
                }
            }
        }
    }
}

void convolution_backward_filter(const ConvolutionProblem& p, const float* x, const float* dy, float* dw, float alpha,
                                 float beta, bool tf32) {
    const Geometry g(p);
    for (long long k = 0; k < g.K; k++) {
        for (long long c = 0; c < g.C; c++) {
            for (long long r = 0; r < g.R; r++) {
                for (long long s = 0; s < g.S; s++) {
                    double sum = 0.0;
                    for (long long n = 0; n < g.N; n++) {
                        for (long long i = 0; i < g.OH; i++) {
                            long long a = i * g.sh - g.ph + r * g.dh;
                            if (a < 0 || a >= g.H) {
                                continue;
                            }
                            for (long long j = 0; j < g.OW; j++) {
                                long long b = j * g.sw - g.pw + s * g.dw;
                                if (b < 0 || b >= g.W) {
                                    continue;
                                }
                                sum += static_cast<double>(in(dy[offset(p.y, n, k, i, j)], tf32))
                                        * in(x[offset(p.x, n, c, a, b)], tf32);
                            }
                        }
                    }
                    blend(&dw[filter_offset(p.w, k, c, g.tap_r(r), g.tap_s(s))], sum, alpha, beta);
                }
            }
        }
    }
}

}  // namespace cudnn_emulator
