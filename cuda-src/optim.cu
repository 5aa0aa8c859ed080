// Parameter updates (dev.strix.tensor.OptimizerSteps): PyTorch's SGD and Adam / AdamW, one fused pass
// per parameter. float32, contiguous; parameter, gradient and state have n elements each.
//
// The arithmetic is the CPU backend's, operation by operation, with explicitly rounded intrinsics
// (__fmul_rn, __fadd_rn, ...) so that nvcc cannot fuse a multiply and an add: each update then equals
// the CPU's to the bit. The step-dependent scalars (the rate, Adam's bias corrections) are read from
// a small device array that the host rewrites before each step (OptimizerSteps.sgdScalars /
// adamScalars, computed there exactly as for the CPU backend), not passed by value: a captured CUDA
// graph replays these launches with their arguments frozen, and still sees each step's rate.
#include "strix_common.cuh"

// sgd_step:
//   d = g + p * weightDecay                      (when weightDecay != 0)
//   momentum:  buf = firstStep ? d : buf * momentum + d * keep     (keep = 1 - dampening)
//              d = nesterov ? d + buf * momentum : buf
//   p = p - d * lr                               (lr = scalars[0])
// buf is unused (may be NULL) when useMomentum == 0.
extern "C" __global__ void sgd_step(float* p, const float* g, float* buf, long long n, const float* scalars,
                                    float momentum, float keep, float weightDecay, int useMomentum, int nesterov,
                                    int firstStep) {
    const float lr = scalars[0];
    STRIX_FOR_EACH(i, n) {
        float pv = p[i];
        float d = g[i];
        if (weightDecay != 0.0f) {
            d = __fadd_rn(d, __fmul_rn(pv, weightDecay));
        }
        if (useMomentum) {
            float b = firstStep ? d : __fadd_rn(__fmul_rn(buf[i], momentum), __fmul_rn(d, keep));
            buf[i] = b;
            d = nesterov ? __fadd_rn(d, __fmul_rn(b, momentum)) : b;
        }
        p[i] = __fsub_rn(pv, __fmul_rn(d, lr));
    }
}

// adam_step (Adam with an L2 penalty l2, or AdamW with the decoupled factor shrink = 1 - lr * decay):
//   g = g + p * l2                                (when l2 != 0)
//   m = m * beta1 + g * (1 - beta1)
//   v = v * beta2 + g * g * (1 - beta2)
//   p = p * shrink - m / (sqrt(v) / correction2Sqrt + eps) * stepSize
// with scalars = {stepSize = lr / (1 - beta1^t), correction2Sqrt = sqrt(1 - beta2^t), shrink} from the host.
extern "C" __global__ void adam_step(float* p, const float* g, float* m, float* v, long long n, const float* scalars,
                                     float l2, float beta1, float beta2, float mix1, float mix2, float eps) {
    const float stepSize = scalars[0];
    const float correction2Sqrt = scalars[1];
    const float shrink = scalars[2];
    STRIX_FOR_EACH(i, n) {
        float pv = p[i];
        float gv = g[i];
        if (l2 != 0.0f) {
            gv = __fadd_rn(gv, __fmul_rn(pv, l2));
        }
        float mv = __fadd_rn(__fmul_rn(m[i], beta1), __fmul_rn(gv, mix1));
        float vv = __fadd_rn(__fmul_rn(v[i], beta2), __fmul_rn(__fmul_rn(gv, gv), mix2));
        m[i] = mv;
        v[i] = vv;
        float denom = __fadd_rn(__fdiv_rn(__fsqrt_rn(vv), correction2Sqrt), eps);
        p[i] = __fsub_rn(__fmul_rn(pv, shrink), __fmul_rn(__fdiv_rn(mv, denom), stepSize));
    }
}
