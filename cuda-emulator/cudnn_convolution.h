// The emulated cuDNN convolution, shared by its entry points (cudnn_convolution.cpp), its
// algorithm table and search (cudnn_convolution_algorithms.cpp), and its argument checks
// (cudnn_convolution_problem.cpp).
#pragma once

#include "cudnn_api.h"

namespace cudnn_emulator {

enum class Direction { FORWARD, BACKWARD_DATA, BACKWARD_FILTER };

// One 2-D convolution's descriptors, copied at call time (so queued work does not depend on
// descriptors the caller may change or destroy before a captured graph runs). `x` is the data
// input (x, or dx for the data gradient), `y` the output (y, or dy).
struct ConvolutionProblem {
    cudnnTensorStruct x;
    cudnnFilterStruct w;
    cudnnConvolutionStruct conv;
    cudnnTensorStruct y;
};

// Checks the descriptors of a call in `direction` against each other as cuDNN does (live and set,
// float32 data and compute type, input channels equal, output dims those of the convolution, an
// output whose elements do not share memory) and copies them into `out`.
int make_problem(const char* function, Direction direction, cudnnTensorDescriptor_t x, cudnnFilterDescriptor_t w,
                 cudnnConvolutionDescriptor_t conv, cudnnTensorDescriptor_t y, ConvolutionProblem* out);

// The output dims [n, k, oh, ow] of input `x` and filter `w`: 1 + (in + 2 pad - ((f - 1) dilation
// + 1)) / stride on each spatial axis; fails unless the filter (dilated) fits the padded input.
int output_dims(const char* function, const cudnnTensorStruct& x, const cudnnFilterStruct& w,
                const cudnnConvolutionStruct& conv, int out[4]);

std::size_t filter_bytes(const cudnnFilterStruct& w);

// Element offset of filter element (k, c, r, s): KCRS (CUDNN_TENSOR_NCHW) or KRSC (CUDNN_TENSOR_NHWC).
inline long long filter_offset(const cudnnFilterStruct& w, long long k, long long c, long long r, long long s) {
    const long long C = w.dims[1], R = w.dims[2], S = w.dims[3];
    return w.format == TENSOR_NHWC ? ((k * R + r) * S + s) * C + c : ((k * C + c) * R + r) * S + s;
}

// The reference loops (double accumulation), each blending into its output.
void convolution_forward(const ConvolutionProblem& p, const float* x, const float* w, float* y, float alpha,
                         float beta, bool tf32);
void convolution_backward_data(const ConvolutionProblem& p, const float* w, const float* dy, float* dx, float alpha,
                               float beta, bool tf32);
void convolution_backward_filter(const ConvolutionProblem& p, const float* x, const float* dy, float* dw, float alpha,
                                 float beta, bool tf32);

// What one algorithm of a direction would be on a problem: CUDNN_STATUS_SUCCESS or
// NOT_SUPPORTED, its workspace in bytes, a modelled time in milliseconds (not measured: the
// emulator runs every algorithm as the same reference loop) and whether it is deterministic.
struct Algorithm {
    int status;
    std::size_t workspace;
    float time;
    int determinism;
};

int algorithm_count(Direction direction);
// Whether cuDNN lists a tensor-op variant of the algorithm under CUDNN_TENSOR_OP_MATH (emulated).
bool has_tensor_op_variant(Direction direction, int algo);
// Whether running `algo` on problem p reads its operands as TF32: a tensor-op variant under a
// tensor-op math type (what the descriptor says when the call runs, whatever Find reported).
bool runs_on_tensor_cores(Direction direction, const ConvolutionProblem& p, int algo);

// Checks a call's data pointers (x, w, y as in ConvolutionProblem; the direction says which one
// is written) and its workspace's first `workspaceBytes`, refuses an output that overlaps an input,
// then queues the reference loop, which first fills `scribbleBytes` of the workspace with NaN
// bytes, as a real algorithm leaves its scratch data there; with `tf32` the loop rounds both
// operands to TF32 first (a tensor-op algorithm under CUDNN_TENSOR_OP_MATH).
int launch(const char* function, Direction direction, cudnnHandle_t handle, const ConvolutionProblem& p,
           const void* x, const void* w, const void* y, float alpha, float beta, void* workspace,
           std::size_t workspaceBytes, std::size_t scribbleBytes, bool tf32);
Algorithm algorithm(Direction direction, const ConvolutionProblem& p, int algo);

}  // namespace cudnn_emulator
