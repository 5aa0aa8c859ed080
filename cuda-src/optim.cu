// Parameter updates. The step-dependent numbers (learning rate, step count) are read from device
// memory, so one captured CUDA graph serves every step: the host (or a schedule kernel) updates
// them in place between replays. float32, contiguous; w, g, and the optimizer state have n elements.
#include "strix_common.cuh"

// step_counter_increment: *step += 1. Launched once per training step, before the updates.
extern "C" __global__ void step_counter_increment(int* step) {
    if (blockIdx.x == 0 && threadIdx.x == 0) {
        *step += 1;
    }
}

// sgd_step (PyTorch's SGD, dampening 0): g' = g + weightDecay * w;
//   momentum == 0: w -= lr * g'
//   otherwise:     v = momentum * v + g';  w -= lr * (nesterov ? g' + momentum * v : v)
// velocity may be NULL when momentum == 0; it starts at zero.
extern "C" __global__ void sgd_step(float* w, const float* g, float* velocity, long long n, const float* lr,
                                    float momentum, float weightDecay, int nesterov) {
    float rate = *lr;
    STRIX_FOR_EACH(i, n) {
        float grad = g[i] + weightDecay * w[i];
        float d = grad;
        if (momentum != 0.0f) {
            float v = momentum * velocity[i] + grad;
            velocity[i] = v;
            d = nesterov ? grad + momentum * v : v;
        }
        w[i] -= rate * d;
    }
}

// adam_step (Adam, or AdamW when decoupled != 0), at step t = *step >= 1:
//   AdamW: w *= 1 - lr * weightDecay;   Adam: g += weightDecay * w
//   m = beta1 m + (1 - beta1) g;   v = beta2 v + (1 - beta2) g^2
//   w -= lr * (m / (1 - beta1^t)) / (sqrt(v / (1 - beta2^t)) + eps)
// m and v start at zero.
extern "C" __global__ void adam_step(float* w, const float* g, float* m, float* v, long long n, const float* lr,
                                     const int* step, float beta1, float beta2, float eps, float weightDecay,
                                     int decoupled) {
    float rate = *lr;
    int t = *step;
    float correction1 = 1.0f - powf(beta1, (float)t);
    float correction2 = 1.0f - powf(beta2, (float)t);
    STRIX_FOR_EACH(i, n) {
        float weight = w[i];
        float grad = g[i];
        if (decoupled) {
            weight *= 1.0f - rate * weightDecay;
        } else {
            grad += weightDecay * weight;
        }
        float mi = beta1 * m[i] + (1.0f - beta1) * grad;
        float vi = beta2 * v[i] + (1.0f - beta2) * grad * grad;
        m[i] = mi;
        v[i] = vi;
        w[i] = weight - rate * (mi / correction1) / (sqrtf(vi / correction2) + eps);
    }
}
