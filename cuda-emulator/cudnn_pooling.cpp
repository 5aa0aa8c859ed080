// cudnnPoolingForward and cudnnPoolingBackward for 2-D windows: max (CUDNN_POOLING_MAX and
// CUDNN_POOLING_MAX_DETERMINISTIC, which compute the same here: the emulator runs serially) and
// average (padding counted in the divisor or not). Window (i, j) covers input rows
// i*sh - ph .. i*sh - ph + wh - 1 (and likewise columns); padded positions take no part in a max.
//
// NaN: with CUDNN_NOT_PROPAGATE_NAN a NaN input never wins a max (a window of NaN alone gives
// -inf); with CUDNN_PROPAGATE_NAN any NaN in the window makes the output NaN.
//
// Backward max, and its tie rule: like cuDNN, the backward pass takes no argmax from the forward
// pass but finds the maximum again by comparing x with the y it is given. Each window sends its dy
// to ONE input, the first (in row-major order inside the window: top row first, then left to
// right) whose value equals y (for a NaN y, the first NaN); other equal inputs get nothing, and an
// input in several windows sums what each sends. cuDNN's API reference does not state a tie rule;
// that it routes each window's gradient to a single maximum is what the frameworks built on it
// observed (Theano/Theano#5404 and #5248 report that cuDNN back-propagates to only one of the
// inputs equal to the maximum), and taking the first in scan order is what strix's CPU argmax
// reference and Caffe do. A y that no input of its window equals sends no gradient.
#include <algorithm>
#include <cmath>
#include <limits>

#include "cudnn_api.h"

using namespace cudnn_emulator;

namespace {

struct Pooling {
    cudnnPoolingStruct desc;
    cudnnTensorStruct x;
    cudnnTensorStruct y;

    bool is_max() const { return desc.mode == POOLING_MAX || desc.mode == POOLING_MAX_DETERMINISTIC; }

    // The in-bounds rows [a0, a1) and columns [b0, b1) of window (i, j), and its divisor.
    void window(long long i, long long j, long long* a0, long long* a1, long long* b0, long long* b1,
                double* divisor) const {
        long long top = i * desc.stride[0] - desc.pad[0];
        long long left = j * desc.stride[1] - desc.pad[1];
        *a0 = std::max(top, 0LL);
        *a1 = std::min(top + desc.window[0], static_cast<long long>(x.dims[2]));
        *b0 = std::max(left, 0LL);
        *b1 = std::min(left + desc.window[1], static_cast<long long>(x.dims[3]));
        *divisor = desc.mode == POOLING_AVERAGE_COUNT_EXCLUDE_PADDING
                ? static_cast<double>((*a1 - *a0) * (*b1 - *b0))
                : static_cast<double>(desc.window[0]) * desc.window[1];
    }
};

int check_geometry(const char* f, const cudnnPoolingStruct& d, const cudnnTensorStruct& x,
                   const cudnnTensorStruct& y) {
    int expected[4] = {x.dims[0], x.dims[1], 0, 0};
    for (int i = 0; i < 2; i++) {
        long long padded = static_cast<long long>(x.dims[2 + i]) + 2LL * d.pad[i];
        if (padded < d.window[i]) {
            return fail(STATUS_BAD_PARAM, f, "window " + std::to_string(d.window[0]) + "x" + std::to_string(d.window[1])
                    + " does not fit input " + describe(x) + " with padding " + std::to_string(d.pad[0]) + "x"
                    + std::to_string(d.pad[1]));
        }
        expected[2 + i] = static_cast<int>(1 + (padded - d.window[i]) / d.stride[i]);
    }
    for (int i = 0; i < 4; i++) {
        if (expected[i] != y.dims[i]) {
            return fail(STATUS_BAD_PARAM, f, "input " + describe(x) + " pooled needs output " + describe_dims(expected, 4)
                    + ", got " + describe(y));
        }
    }
    return STATUS_SUCCESS;
}

void forward(const Pooling& p, const float* x, float* y, float alpha, float beta) {
    const bool propagate = p.desc.nanOpt == PROPAGATE_NAN;
    for (long long n = 0; n < p.y.dims[0]; n++) {
        for (long long c = 0; c < p.y.dims[1]; c++) {
            for (long long i = 0; i < p.y.dims[2]; i++) {
                for (long long j = 0; j < p.y.dims[3]; j++) {
                    long long a0, a1, b0, b1;
                    double divisor;
                    p.window(i, j, &a0, &a1, &b0, &b1, &divisor);
                    double result = p.is_max() ? -std::numeric_limits<double>::infinity() : 0.0;
                    for (long long a = a0; a < a1; a++) {
                        for (long long b = b0; b < b1; b++) {
                            double v = x[offset(p.x, n, c, a, b)];
                            if (!p.is_max()) {
                                result += v;
                            } else if (std::isnan(v)) {
                                result = propagate ? v : result;
                            } else if (v > result) {
                                result = v;
                            }
                        }
                        if (propagate && std::isnan(result)) {
                            break;
                        }
                    }
                    blend(&y[offset(p.y, n, c, i, j)], p.is_max() ? result : result / divisor, alpha, beta);
                }
            }
        }
    }
}

// The position (a, b) in window (a0..a1, b0..b1) that receives a max window's gradient: the first
// equal to y in row-major order; false when none is.
bool winner(const Pooling& p, const float* x, long long n, long long c, float y, long long a0, long long a1,
            long long b0, long long b1, long long* wa, long long* wb) {
    for (long long a = a0; a < a1; a++) {
        for (long long b = b0; b < b1; b++) {
            float v = x[offset(p.x, n, c, a, b)];
            if (v == y || (std::isnan(v) && std::isnan(y))) {
                *wa = a;
                *wb = b;
                return true;
            }
        }
    }
    return false;
}

void backward(const Pooling& p, const cudnnTensorStruct& dyDesc, const cudnnTensorStruct& dxDesc, const float* y,
              const float* dy, const float* x, float* dx, float alpha, float beta) {
    const long long H = p.x.dims[2];
    const long long W = p.x.dims[3];
    std::vector<double> sum(static_cast<std::size_t>(H * W));
    for (long long n = 0; n < p.x.dims[0]; n++) {
        for (long long c = 0; c < p.x.dims[1]; c++) {
            std::fill(sum.begin(), sum.end(), 0.0);
            for (long long i = 0; i < p.y.dims[2]; i++) {
                for (long long j = 0; j < p.y.dims[3]; j++) {
                    long long a0, a1, b0, b1;
                    double divisor;
                    p.window(i, j, &a0, &a1, &b0, &b1, &divisor);
                    double g = dy[offset(dyDesc, n, c, i, j)];
                    if (p.is_max()) {
                        long long wa, wb;
                        if (winner(p, x, n, c, y[offset(p.y, n, c, i, j)], a0, a1, b0, b1, &wa, &wb)) {
                            sum[wa * W + wb] += g;
                        }
                        continue;
                    }
                    for (long long a = a0; a < a1; a++) {
                        for (long long b = b0; b < b1; b++) {
                            sum[a * W + b] += g / divisor;
                        }
                    }
                }
            }
            for (long long a = 0; a < H; a++) {
                for (long long b = 0; b < W; b++) {
                    blend(&dx[offset(dxDesc, n, c, a, b)], sum[a * W + b], alpha, beta);
                }
            }
        }
    }
}

bool same_dims(const cudnnTensorStruct& a, const cudnnTensorStruct& b) {
    return a.dims[0] == b.dims[0] && a.dims[1] == b.dims[1] && a.dims[2] == b.dims[2] && a.dims[3] == b.dims[3];
}

}  // namespace

extern "C" {

STRIX_EXPORT cudnnStatus_t cudnnPoolingForward(cudnnHandle_t handle, cudnnPoolingDescriptor_t poolingDesc, const void* alpha,
                                  cudnnTensorDescriptor_t xDesc, const void* x, const void* beta,
                                  cudnnTensorDescriptor_t yDesc, void* y) {
    CUDNN_ENTRY;
    const char* f = "cudnnPoolingForward";
    float al;
    float be;
    if (int s = need_handle(f, handle)) {
        return s;
    }
    if (int s = need_pooling(f, poolingDesc)) {
        return s;
    }
    if (int s = need_tensor(f, "xDesc", xDesc)) {
        return s;
    }
    if (int s = need_tensor(f, "yDesc", yDesc)) {
        return s;
    }
    if (xDesc->dataType != yDesc->dataType) {
        return fail(STATUS_BAD_PARAM, f, "x and y have different data types");
    }
    if (int s = need_float(f, "xDesc", xDesc->dataType)) {
        return s;
    }
    if (int s = check_geometry(f, *poolingDesc, *xDesc, *yDesc)) {
        return s;
    }
    if (overlaps(*yDesc)) {
        return fail(STATUS_BAD_PARAM, f, "the output y " + describe(*yDesc) + " has elements that share memory");
    }
    if (int s = need_scalar(f, "alpha", alpha, &al)) {
        return s;
    }
    if (int s = need_scalar(f, "beta", beta, &be)) {
        return s;
    }
    std::vector<Range> ranges{{"x", x, tensor_bytes(*xDesc)}, {"y", y, tensor_bytes(*yDesc)}};
    if (int s = check_ranges(f, ranges)) {
        return s;
    }
    Pooling p{*poolingDesc, *xDesc, *yDesc};
    submit(handle, [=]() {
        if (ranges_still_live(f, ranges)) {
            forward(p, static_cast<const float*>(x), static_cast<float*>(y), al, be);
        }
    });
    return STATUS_SUCCESS;
}

STRIX_EXPORT cudnnStatus_t cudnnPoolingBackward(cudnnHandle_t handle, cudnnPoolingDescriptor_t poolingDesc, const void* alpha,
                                   cudnnTensorDescriptor_t yDesc, const void* y, cudnnTensorDescriptor_t dyDesc,
                                   const void* dy, cudnnTensorDescriptor_t xDesc, const void* x, const void* beta,
                                   cudnnTensorDescriptor_t dxDesc, void* dx) {
    CUDNN_ENTRY;
    const char* f = "cudnnPoolingBackward";
    float al;
    float be;
    if (int s = need_handle(f, handle)) {
        return s;
    }
    if (int s = need_pooling(f, poolingDesc)) {
        return s;
    }
    if (int s = need_tensor(f, "yDesc", yDesc)) {
        return s;
    }
    if (int s = need_tensor(f, "dyDesc", dyDesc)) {
        return s;
    }
    if (int s = need_tensor(f, "xDesc", xDesc)) {
        return s;
    }
    if (int s = need_tensor(f, "dxDesc", dxDesc)) {
        return s;
    }
    int type = xDesc->dataType;
    if (yDesc->dataType != type || dyDesc->dataType != type || dxDesc->dataType != type) {
        return fail(STATUS_BAD_PARAM, f, "y, dy, x and dx have different data types");
    }
    if (int s = need_float(f, "xDesc", type)) {
        return s;
    }
    if (!same_dims(*yDesc, *dyDesc) || !same_dims(*xDesc, *dxDesc)) {
        return fail(STATUS_BAD_PARAM, f, "dy " + describe(*dyDesc) + " must match y " + describe(*yDesc) + " and dx "
                + describe(*dxDesc) + " must match x " + describe(*xDesc));
    }
    if (int s = check_geometry(f, *poolingDesc, *xDesc, *yDesc)) {
        return s;
    }
    if (overlaps(*dxDesc)) {
        return fail(STATUS_BAD_PARAM, f, "the output dx " + describe(*dxDesc) + " has elements that share memory");
    }
    if (int s = need_scalar(f, "alpha", alpha, &al)) {
        return s;
    }
    if (int s = need_scalar(f, "beta", beta, &be)) {
        return s;
    }
    std::vector<Range> ranges{{"y", y, tensor_bytes(*yDesc)}, {"dy", dy, tensor_bytes(*dyDesc)},
                              {"x", x, tensor_bytes(*xDesc)}, {"dx", dx, tensor_bytes(*dxDesc)}};
    if (int s = check_ranges(f, ranges)) {
        return s;
    }
    Pooling p{*poolingDesc, *xDesc, *yDesc};
    cudnnTensorStruct dyd = *dyDesc;
    cudnnTensorStruct dxd = *dxDesc;
    submit(handle, [=]() {
        if (ranges_still_live(f, ranges)) {
            backward(p, dyd, dxd, static_cast<const float*>(y), static_cast<const float*>(dy),
                     static_cast<const float*>(x), static_cast<float*>(dx), al, be);
        }
    });
    return STATUS_SUCCESS;
}

}  // extern "C"
