// The emulated convolution algorithms and cuDNN's calls that search them: cudnnFind...AlgorithmEx
// (which, like cuDNN's, runs the convolution into the caller's buffers and returns the algorithms
// sorted by time, failures last), the workspace size queries and the algorithm counts.
//
// Every algorithm computes the same reference loop; what differs is what a caller has to handle:
// workspaces (several algorithms need one, so the caller's workspace path is exercised, and the
// workspace is really written), determinism (backward ALGO_0 and backward-filter ALGO_3 are
// non-deterministic and the fastest, as cuDNN's documentation marks them, so a deterministic mode
// has to skip them), and algorithms that do not apply (FFT needs unit strides and dilations,
// Winograd a 3x3 filter as well; forward DIRECT and backward-filter WINOGRAD are never supported).
// Times are a model (flops over a nominal rate, times a factor per algorithm), not measurements,
// so the choice is the same on every run.
#include <algorithm>

#include "cudnn_convolution.h"

namespace cudnn_emulator {

namespace {

struct Sizes {
    double N, C, H, W, K, R, S, OH, OW;
    bool unit;       // unit strides and dilations: FFT applies
    bool winograd;   // and a 3x3 filter: Winograd applies
};

Sizes sizes(const ConvolutionProblem& p) {
    Sizes s{};
    s.N = p.x.dims[0];
    s.C = p.x.dims[1];
    s.H = p.x.dims[2] + 2.0 * p.conv.pad[0];
    s.W = p.x.dims[3] + 2.0 * p.conv.pad[1];
    s.K = p.w.dims[0];
    s.R = p.w.dims[2];
    s.S = p.w.dims[3];
    s.OH = p.y.dims[2];
    s.OW = p.y.dims[3];
    s.unit = p.conv.stride[0] == 1 && p.conv.stride[1] == 1 && p.conv.dilation[0] == 1 && p.conv.dilation[1] == 1;
    s.winograd = s.unit && p.w.dims[2] == 3 && p.w.dims[3] == 3;
    return s;
}

Algorithm make(bool applies, double workspace, double factor, const Sizes& s, int determinism) {
    if (!applies) {
        return {STATUS_NOT_SUPPORTED, 0, -1.0f, determinism};
    }
    double flops = 2.0 * s.N * s.K * s.OH * s.OW * s.C * s.R * s.S;
    float time = static_cast<float>((0.005 + flops / 1e10) * factor);
    return {STATUS_SUCCESS, static_cast<std::size_t>(workspace), time, determinism};
}

}  // namespace

bool tensor_op_math(const ConvolutionProblem& p) {
    return p.conv.mathType == MATH_TENSOR_OP || p.conv.mathType == MATH_TENSOR_OP_ALLOW_CONVERSION;
}

bool runs_on_tensor_cores(Direction direction, const ConvolutionProblem& p, int algo) {
    return tensor_op_math(p) && has_tensor_op_variant(direction, algo);
}

bool has_tensor_op_variant(Direction direction, int algo) {
    // Forward IMPLICIT_GEMM and IMPLICIT_PRECOMP_GEMM, backward-data and backward-filter ALGO_1.
    return direction == Direction::FORWARD ? algo == 0 || algo == 1 : algo == 1;
}

int algorithm_count(Direction direction) {
    switch (direction) {
        case Direction::FORWARD: return 8;           // CUDNN_CONVOLUTION_FWD_ALGO_COUNT
        case Direction::BACKWARD_DATA: return 6;     // CUDNN_CONVOLUTION_BWD_DATA_ALGO_COUNT
        default: return 7;                           // CUDNN_CONVOLUTION_BWD_FILTER_ALGO_COUNT
    }
}

Algorithm algorithm(Direction direction, const ConvolutionProblem& p, int algo) {
    const Sizes s = sizes(p);
    const double fft = 8.0 * (s.N * s.C + s.K * s.C + s.N * s.K) * s.H * (s.W / 2 + 1);
    const double fftTiles = 8.0 * (s.N * s.C + s.K * s.C + s.N * s.K) * 32 * 17;
    const double tiles = ((s.OH + 3) / 4) * ((s.OW + 3) / 4);
    const double winogradNonfused = 4.0 * 36 * (s.C * s.K + (s.N * s.C + s.N * s.K) * tiles);
    const double filter = 4.0 * s.K * s.C * s.R * s.S;
    const int det = DETERMINISTIC;
    if (direction == Direction::FORWARD) {
        switch (algo) {
            case 0: return make(true, 0, 1.30, s, det);                                  // IMPLICIT_GEMM
            case 1: return make(true, 8.0 * s.C * s.R * s.S + 64, 1.00, s, det);         // IMPLICIT_PRECOMP_GEMM
            case 2: return make(true, 4.0 * s.C * s.R * s.S * s.OH * s.OW, 1.60, s, det);  // GEMM
            case 3: return make(false, 0, 0, s, det);                                    // DIRECT
            case 4: return make(s.unit, fft, 1.45, s, det);                              // FFT
            case 5: return make(s.unit, fftTiles, 1.50, s, det);                         // FFT_TILING
            case 6: return make(s.winograd, 16.0 * s.C * s.K * 4, 1.15, s, det);         // WINOGRAD
            default: return make(s.winograd, winogradNonfused, 1.25, s, det);            // WINOGRAD_NONFUSED
        }
    }
    if (direction == Direction::BACKWARD_DATA) {
        switch (algo) {
            case 0: return make(true, 0, 0.90, s, NON_DETERMINISTIC);                    // ALGO_0 (atomic adds)
            case 1: return make(true, filter + 64, 1.00, s, det);                        // ALGO_1
            case 2: return make(s.unit, fft, 1.45, s, det);                              // FFT
            case 3: return make(s.unit, fftTiles, 1.50, s, det);                         // FFT_TILING
            case 4: return make(s.winograd, 16.0 * s.C * s.K * 4, 1.15, s, det);         // WINOGRAD
            default: return make(s.winograd, winogradNonfused, 1.25, s, det);            // WINOGRAD_NONFUSED
        }
    }
    switch (algo) {
        case 0: return make(true, 0, 0.90, s, NON_DETERMINISTIC);                        // ALGO_0 (atomic adds)
        case 1: return make(true, filter + 64, 1.00, s, det);                            // ALGO_1
        case 2: return make(s.unit, fft, 1.45, s, det);                                  // FFT
        case 3: return make(true, 8.0 * s.C * s.R * s.S + 64, 0.85, s, NON_DETERMINISTIC);  // ALGO_3
        case 4: return make(false, 0, 0, s, det);                                        // WINOGRAD (not implemented)
        case 5: return make(s.winograd, winogradNonfused, 1.25, s, det);                 // WINOGRAD_NONFUSED
        default: return make(s.unit, fftTiles, 1.50, s, det);                            // FFT_TILING
    }
}

}  // namespace cudnn_emulator

using namespace cudnn_emulator;

namespace {

// cudnnFind...AlgorithmEx: every algorithm "tried" within the caller's workspace (a null workspace
// counts as 0 bytes; one that is too small fails the algorithm with CUDNN_STATUS_ALLOC_FAILED),
// results sorted by time with failures last, and the convolution run into the caller's output.
int find(const char* function, Direction direction, cudnnHandle_t handle, const ConvolutionProblem& p, const void* x,
         const void* w, const void* y, int requested, int* returned, cudnnConvolutionAlgoPerf_t* results,
         void* workspace, std::size_t workspaceBytes) {
    if (requested <= 0) {
        return fail(STATUS_BAD_PARAM, function, "requestedAlgoCount must be positive, got " + std::to_string(requested));
    }
    if (returned == nullptr || results == nullptr) {
        return fail(STATUS_BAD_PARAM, function, "returnedAlgoCount or perfResults is null");
    }
    std::size_t available = workspace == nullptr ? 0 : workspaceBytes;
    std::vector<cudnnConvolutionAlgoPerf_t> all;
    std::size_t scribble = 0;
    auto add = [&](int a, const Algorithm& info, int mathType) {
        cudnnConvolutionAlgoPerf_t r{};
        r.algo = a;
        r.status = info.status;
        r.time = info.time;
        r.memory = info.workspace;
        r.determinism = info.determinism;
        r.mathType = mathType;
        if (r.status == STATUS_SUCCESS && info.workspace > available) {
            r.status = STATUS_ALLOC_FAILED;
            r.time = -1.0f;
        }
        if (r.status == STATUS_SUCCESS) {
            scribble = std::max(scribble, info.workspace);
        }
        all.push_back(r);
    };
    // Tensor-op maths: cuDNN reports algorithm + math type pairs, the caller has to set the chosen
    // pair's math type (as PyTorch does). Here the GEMM-based algorithms also come as tensor-op
    // variants, faster than the FMA ones with 8 or more channels on both sides, slower below (the
    // MNIST model's first convolution, one input channel, gets an FMA algorithm).
    const bool tensorOps = tensor_op_math(p);
    const bool wideEnough = p.x.dims[1] >= 8 && p.w.dims[0] >= 8;
    for (int a = 0; a < algorithm_count(direction); a++) {
        Algorithm info = algorithm(direction, p, a);
        if (!tensorOps) {
            add(a, info, p.conv.mathType);
            continue;
        }
        add(a, info, MATH_FMA);
        if (has_tensor_op_variant(direction, a) && info.status == STATUS_SUCCESS) {
            Algorithm faster = info;
            faster.time = info.time * (wideEnough ? 0.5f : 1.3f);
            add(a, faster, p.conv.mathType);
        }
    }
    std::stable_sort(all.begin(), all.end(), [](const cudnnConvolutionAlgoPerf_t& a, const cudnnConvolutionAlgoPerf_t& b) {
        bool aok = a.status == STATUS_SUCCESS;
        bool bok = b.status == STATUS_SUCCESS;
        return aok != bok ? aok : aok && a.time < b.time;
    });
    if (int s = launch(function, direction, handle, p, x, w, y, 1.0f, 0.0f, workspace, available, scribble, false)) {
        return s;
    }
    int n = std::min(requested, static_cast<int>(all.size()));
    for (int i = 0; i < n; i++) {
        results[i] = all[i];
    }
    *returned = n;
    return STATUS_SUCCESS;
}

int workspace_size(const char* function, Direction direction, const ConvolutionProblem& p, int algo, size_t* size) {
    if (size == nullptr) {
        return fail(STATUS_BAD_PARAM, function, "sizeInBytes is null");
    }
    if (algo < 0 || algo >= algorithm_count(direction)) {
        return fail(STATUS_BAD_PARAM, function, "invalid algorithm " + std::to_string(algo));
    }
    Algorithm info = algorithm(direction, p, algo);
    if (info.status != STATUS_SUCCESS) {
        return info.status;   // a query, not a mistake: not reported
    }
    *size = info.workspace;
    return STATUS_SUCCESS;
}

int max_count(const char* function, cudnnHandle_t handle, Direction direction, int* count) {
    if (int s = need_handle(function, handle)) {
        return s;
    }
    if (count == nullptr) {
        return fail(STATUS_BAD_PARAM, function, "count is null");
    }
    // What Find can return: every algorithm, and under tensor-op maths its tensor-op variant too.
    int variants = 0;
    for (int a = 0; a < algorithm_count(direction); a++) {
        variants += has_tensor_op_variant(direction, a);
    }
    *count = algorithm_count(direction) + variants;
    return STATUS_SUCCESS;
}

}  // namespace

extern "C" {

STRIX_EXPORT cudnnStatus_t cudnnFindConvolutionForwardAlgorithmEx(cudnnHandle_t handle, cudnnTensorDescriptor_t xDesc, const void* x,
                                                     cudnnFilterDescriptor_t wDesc, const void* w,
                                                     cudnnConvolutionDescriptor_t convDesc,
                                                     cudnnTensorDescriptor_t yDesc, void* y, int requestedAlgoCount,
                                                     int* returnedAlgoCount, cudnnConvolutionAlgoPerf_t* perfResults,
                                                     void* workSpace, size_t workSpaceSizeInBytes) {
    CUDNN_ENTRY;
    const char* f = "cudnnFindConvolutionForwardAlgorithmEx";
    ConvolutionProblem p;
    if (int s = need_handle(f, handle)) {
        return s;
    }
    if (int s = make_problem(f, Direction::FORWARD, xDesc, wDesc, convDesc, yDesc, &p)) {
        return s;
    }
    return find(f, Direction::FORWARD, handle, p, x, w, y, requestedAlgoCount, returnedAlgoCount, perfResults,
                workSpace, workSpaceSizeInBytes);
}

STRIX_EXPORT cudnnStatus_t cudnnFindConvolutionBackwardDataAlgorithmEx(cudnnHandle_t handle, cudnnFilterDescriptor_t wDesc,
                                                          const void* w, cudnnTensorDescriptor_t dyDesc, const void* dy,
                                                          cudnnConvolutionDescriptor_t convDesc,
                                                          cudnnTensorDescriptor_t dxDesc, void* dx,
                                                          int requestedAlgoCount, int* returnedAlgoCount,
                                                          cudnnConvolutionAlgoPerf_t* perfResults, void* workSpace,
                                                          size_t workSpaceSizeInBytes) {
    CUDNN_ENTRY;
    const char* f = "cudnnFindConvolutionBackwardDataAlgorithmEx";
    ConvolutionProblem p;
    if (int s = need_handle(f, handle)) {
        return s;
    }
    if (int s = make_problem(f, Direction::BACKWARD_DATA, dxDesc, wDesc, convDesc, dyDesc, &p)) {
        return s;
    }
    return find(f, Direction::BACKWARD_DATA, handle, p, dx, w, dy, requestedAlgoCount, returnedAlgoCount, perfResults,
                workSpace, workSpaceSizeInBytes);
}

STRIX_EXPORT cudnnStatus_t cudnnFindConvolutionBackwardFilterAlgorithmEx(cudnnHandle_t handle, cudnnTensorDescriptor_t xDesc,
                                                            const void* x, cudnnTensorDescriptor_t dyDesc,
                                                            const void* dy, cudnnConvolutionDescriptor_t convDesc,
                                                            cudnnFilterDescriptor_t dwDesc, void* dw,
                                                            int requestedAlgoCount, int* returnedAlgoCount,
                                                            cudnnConvolutionAlgoPerf_t* perfResults, void* workSpace,
                                                            size_t workSpaceSizeInBytes) {
    CUDNN_ENTRY;
    const char* f = "cudnnFindConvolutionBackwardFilterAlgorithmEx";
    ConvolutionProblem p;
    if (int s = need_handle(f, handle)) {
        return s;
    }
    if (int s = make_problem(f, Direction::BACKWARD_FILTER, xDesc, dwDesc, convDesc, dyDesc, &p)) {
        return s;
    }
    return find(f, Direction::BACKWARD_FILTER, handle, p, x, dw, dy, requestedAlgoCount, returnedAlgoCount,
                perfResults, workSpace, workSpaceSizeInBytes);
}

STRIX_EXPORT cudnnStatus_t cudnnGetConvolutionForwardWorkspaceSize(cudnnHandle_t handle, cudnnTensorDescriptor_t xDesc,
                                                      cudnnFilterDescriptor_t wDesc,
                                                      cudnnConvolutionDescriptor_t convDesc,
                                                      cudnnTensorDescriptor_t yDesc, int algo, size_t* sizeInBytes) {
    CUDNN_ENTRY;
    const char* f = "cudnnGetConvolutionForwardWorkspaceSize";
    ConvolutionProblem p;
    if (int s = need_handle(f, handle)) {
        return s;
    }
    if (int s = make_problem(f, Direction::FORWARD, xDesc, wDesc, convDesc, yDesc, &p)) {
        return s;
    }
    return workspace_size(f, Direction::FORWARD, p, algo, sizeInBytes);
}

STRIX_EXPORT cudnnStatus_t cudnnGetConvolutionBackwardDataWorkspaceSize(cudnnHandle_t handle, cudnnFilterDescriptor_t wDesc,
                                                           cudnnTensorDescriptor_t dyDesc,
                                                           cudnnConvolutionDescriptor_t convDesc,
                                                           cudnnTensorDescriptor_t dxDesc, int algo,
                                                           size_t* sizeInBytes) {
    CUDNN_ENTRY;
    const char* f = "cudnnGetConvolutionBackwardDataWorkspaceSize";
    ConvolutionProblem p;
    if (int s = need_handle(f, handle)) {
        return s;
    }
    if (int s = make_problem(f, Direction::BACKWARD_DATA, dxDesc, wDesc, convDesc, dyDesc, &p)) {
        return s;
    }
    return workspace_size(f, Direction::BACKWARD_DATA, p, algo, sizeInBytes);
}

STRIX_EXPORT cudnnStatus_t cudnnGetConvolutionBackwardFilterWorkspaceSize(cudnnHandle_t handle, cudnnTensorDescriptor_t xDesc,
                                                             cudnnTensorDescriptor_t dyDesc,
                                                             cudnnConvolutionDescriptor_t convDesc,
                                                             cudnnFilterDescriptor_t gradDesc, int algo,
                                                             size_t* sizeInBytes) {
    CUDNN_ENTRY;
    const char* f = "cudnnGetConvolutionBackwardFilterWorkspaceSize";
    ConvolutionProblem p;
    if (int s = need_handle(f, handle)) {
        return s;
    }
    if (int s = make_problem(f, Direction::BACKWARD_FILTER, xDesc, gradDesc, convDesc, dyDesc, &p)) {
        return s;
    }
    return workspace_size(f, Direction::BACKWARD_FILTER, p, algo, sizeInBytes);
}

STRIX_EXPORT cudnnStatus_t cudnnGetConvolutionForwardAlgorithmMaxCount(cudnnHandle_t handle, int* count) {
    CUDNN_ENTRY;
    return max_count("cudnnGetConvolutionForwardAlgorithmMaxCount", handle, Direction::FORWARD, count);
}

STRIX_EXPORT cudnnStatus_t cudnnGetConvolutionBackwardDataAlgorithmMaxCount(cudnnHandle_t handle, int* count) {
    CUDNN_ENTRY;
    return max_count("cudnnGetConvolutionBackwardDataAlgorithmMaxCount", handle, Direction::BACKWARD_DATA, count);
}

STRIX_EXPORT cudnnStatus_t cudnnGetConvolutionBackwardFilterAlgorithmMaxCount(cudnnHandle_t handle, int* count) {
    CUDNN_ENTRY;
    return max_count("cudnnGetConvolutionBackwardFilterAlgorithmMaxCount", handle, Direction::BACKWARD_FILTER, count);
}

}  // extern "C"
