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

// One element of an SGD update:
//   d = g + p * weightDecay                      (when weightDecay != 0)
//   momentum:  buf = firstStep ? d : buf * momentum + d * keep     (keep = 1 - dampening)
//              d = nesterov ? d + buf * momentum : buf
//   p = p - d * lr
// buf is unused (may be NULL) when useMomentum == 0. Both SGD kernels below run this one function, so
// the per-tensor and the multi-tensor update are the same expression, bit for bit.
__device__ __forceinline__ void strix_sgd_element(float* p, const float* g, float* buf, long long i, float lr,
                                                  float momentum, float keep, float weightDecay, int useMomentum,
                                                  int nesterov, int firstStep) {
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

// One element of an Adam update (Adam with an L2 penalty l2, or AdamW with the decoupled factor
// shrink = 1 - lr * decay):
//   g = g + p * l2                                (when l2 != 0)
//   m = m * beta1 + g * (1 - beta1)
//   v = v * beta2 + g * g * (1 - beta2)
//   p = p * shrink - m / (sqrt(v) / correction2Sqrt + eps) * stepSize
// Both Adam kernels below run this one function.
__device__ __forceinline__ void strix_adam_element(float* p, const float* g, float* m, float* v, long long i,
                                                   float stepSize, float correction2Sqrt, float shrink, float l2,
                                                   float beta1, float beta2, float mix1, float mix2, float eps) {
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

// sgd_step: one parameter of n elements; lr = scalars[0].
extern "C" __global__ void sgd_step(float* p, const float* g, float* buf, long long n, const float* scalars,
                                    float momentum, float keep, float weightDecay, int useMomentum, int nesterov,
                                    int firstStep) {
    const float lr = scalars[0];
    STRIX_FOR_EACH(i, n) {
        strix_sgd_element(p, g, buf, i, lr, momentum, keep, weightDecay, useMomentum, nesterov, firstStep);
    }
}

// adam_step: one parameter of n elements, with
// scalars = {stepSize = lr / (1 - beta1^t), correction2Sqrt = sqrt(1 - beta2^t), shrink} from the host.
extern "C" __global__ void adam_step(float* p, const float* g, float* m, float* v, long long n, const float* scalars,
                                     float l2, float beta1, float beta2, float mix1, float mix2, float eps) {
    const float stepSize = scalars[0];
    const float correction2Sqrt = scalars[1];
    const float shrink = scalars[2];
    STRIX_FOR_EACH(i, n) {
        strix_adam_element(p, g, m, v, i, stepSize, correction2Sqrt, shrink, l2, beta1, beta2, mix1, mix2, eps);
    }
}

// ---------------------------------------------------------------------------------- multi-tensor
// A parameter group (dev.strix.cuda.CudaParameterGroup) is a table of 64-bit words in device memory,
// written once when the group is made (parameters never move):
//   blockStart[count + 1]   the first block of each tensor; blockStart[count] = blocks in all
//   size[count]             elements of each tensor
//   pointer[roles][count]   role 0 parameters, 1 gradients, 2.. the state slots (device addresses)
// Every tensor starts on a block of its own (blockDim.x threads per block; the host counted the
// blocks with the same block size), so each block updates a run of one tensor: it finds the tensor
// by a binary search of blockStart (a few cached words), then runs the per-tensor element update.
// One launch updates the whole model; a grid smaller than the block count loops over blocks.

// The tensor t with blockStart[t] <= block < blockStart[t + 1]; tensors of no block are skipped over.
__device__ __forceinline__ int strix_group_tensor(const long long* blockStart, int count, long long block) {
    int lo = 0;
    int hi = count - 1;
    while (lo < hi) {
        int mid = (lo + hi + 1) / 2;
        if (blockStart[mid] <= block) {
            lo = mid;
        } else {
            hi = mid - 1;
        }
    }
    return lo;
}

__device__ __forceinline__ float* strix_group_pointer(const long long* table, int count, int role, int t) {
    return reinterpret_cast<float*>(table[2 * count + 1 + (long long)role * count + t]);
}

// sgd_step_all: sgd_step on every tensor of the group (roles: p, g[, buf]).
extern "C" __global__ void sgd_step_all(const long long* table, int count, const float* scalars, float momentum,
                                        float keep, float weightDecay, int useMomentum, int nesterov, int firstStep) {
    const float lr = scalars[0];
    const long long* blockStart = table;
    const long long* size = table + count + 1;
    const long long blocks = blockStart[count];
    for (long long block = blockIdx.x; block < blocks; block += gridDim.x) {
        int t = strix_group_tensor(blockStart, count, block);
        long long i = (block - blockStart[t]) * blockDim.x + threadIdx.x;
        if (i < size[t]) {
            strix_sgd_element(strix_group_pointer(table, count, 0, t), strix_group_pointer(table, count, 1, t),
                              useMomentum ? strix_group_pointer(table, count, 2, t) : nullptr, i, lr, momentum, keep,
                              weightDecay, useMomentum, nesterov, firstStep);
        }
    }
}

// adam_step_all: adam_step on every tensor of the group (roles: p, g, m, v).
extern "C" __global__ void adam_step_all(const long long* table, int count, const float* scalars, float l2,
                                         float beta1, float beta2, float mix1, float mix2, float eps) {
    const float stepSize = scalars[0];
    const float correction2Sqrt = scalars[1];
    const float shrink = scalars[2];
    const long long* blockStart = table;
    const long long* size = table + count + 1;
    const long long blocks = blockStart[count];
    for (long long block = blockIdx.x; block < blocks; block += gridDim.x) {
        int t = strix_group_tensor(blockStart, count, block);
        long long i = (block - blockStart[t]) * blockDim.x + threadIdx.x;
        if (i < size[t]) {
            strix_adam_element(strix_group_pointer(table, count, 0, t), strix_group_pointer(table, count, 1, t),
                               strix_group_pointer(table, count, 2, t), strix_group_pointer(table, count, 3, t), i,
                               stepSize, correction2Sqrt, shrink, l2, beta1, beta2, mix1, mix2, eps);
        }
    }
}
