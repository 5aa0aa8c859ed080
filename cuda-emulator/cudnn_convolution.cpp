// cudnnConvolutionForward, BackwardData and BackwardFilter: argument checks, the chosen
// algorithm's workspace requirement, then the reference loop queued on the handle's stream.
#include <cstring>

#include "cudnn_convolution.h"

namespace cudnn_emulator {

namespace {

bool intersects(const Range& a, const Range& b) {
    auto a0 = reinterpret_cast<std::uintptr_t>(a.address);
    auto b0 = reinterpret_cast<std::uintptr_t>(b.address);
    return a0 < b0 + b.bytes && b0 < a0 + a.bytes;
}

}  // namespace

int launch(const char* function, Direction direction, cudnnHandle_t handle, const ConvolutionProblem& p,
           const void* x, const void* w, const void* y, float alpha, float beta, void* workspace,
           std::size_t workspaceBytes, std::size_t scribbleBytes, bool tf32) {
    const bool forward = direction == Direction::FORWARD;
    const bool data = direction == Direction::BACKWARD_DATA;
    Range rx{data ? "dx" : "x", x, tensor_bytes(p.x)};
    Range rw{direction == Direction::BACKWARD_FILTER ? "dw" : "w", w, filter_bytes(p.w)};
    Range ry{forward ? "y" : "dy", y, tensor_bytes(p.y)};
    std::vector<Range> ranges{rx, rw, ry};
    if (workspaceBytes > 0) {
        ranges.push_back({"workSpace", workspace, workspaceBytes});
    }
    if (int s = check_ranges(function, ranges)) {
        return s;
    }
    const std::size_t written = forward ? 2 : data ? 0 : 1;
    for (std::size_t i = 0; i < ranges.size(); i++) {
        if (i != written && intersects(ranges[i], ranges[written])) {
            return fail(STATUS_BAD_PARAM, function, std::string("the output ") + ranges[written].role + " overlaps "
                    + ranges[i].role + ": cuDNN convolutions do not work in place");
        }
    }
    submit(handle, [=]() {
        if (!ranges_still_live(function, ranges)) {
            return;
        }
        if (scribbleBytes > 0) {
            std::memset(workspace, 0xff, scribbleBytes);   // 0xffffffff is a float NaN
        }
        switch (direction) {
            case Direction::FORWARD:
                convolution_forward(p, static_cast<const float*>(x), static_cast<const float*>(w),
                                    static_cast<float*>(const_cast<void*>(y)), alpha, beta, tf32);
                break;
            case Direction::BACKWARD_DATA:
                convolution_backward_data(p, static_cast<const float*>(w), static_cast<const float*>(y),
                                          static_cast<float*>(const_cast<void*>(x)), alpha, beta, tf32);
                break;
            case Direction::BACKWARD_FILTER:
                convolution_backward_filter(p, static_cast<const float*>(x), static_cast<const float*>(y),
                                            static_cast<float*>(const_cast<void*>(w)), alpha, beta, tf32);
                break;
        }
    });
    return STATUS_SUCCESS;
}

}  // namespace cudnn_emulator

using namespace cudnn_emulator;

namespace {

// The checks and launch of one of the three calls once its descriptors made a problem.
int run(const char* function, Direction direction, cudnnHandle_t handle, const void* alpha, const void* beta,
        const ConvolutionProblem& p, const void* x, const void* w, const void* y, int algo, void* workspace,
        std::size_t workspaceBytes) {
    float a;
    float b;
    if (int s = need_scalar(function, "alpha", alpha, &a)) {
        return s;
    }
    if (int s = need_scalar(function, "beta", beta, &b)) {
        return s;
    }
    if (algo < 0 || algo >= algorithm_count(direction)) {
        return fail(STATUS_BAD_PARAM, function, "invalid algorithm " + std::to_string(algo));
    }
    Algorithm info = algorithm(direction, p, algo);
    if (info.status != STATUS_SUCCESS) {
        return fail(info.status, function, "algorithm " + std::to_string(algo) + " does not support this convolution");
    }
    if (workspaceBytes < info.workspace) {
        return fail(STATUS_BAD_PARAM, function, "algorithm " + std::to_string(algo) + " needs a workspace of "
                + std::to_string(info.workspace) + " bytes, given " + std::to_string(workspaceBytes));
    }
    if (workspaceBytes > 0 && workspace == nullptr) {
        return fail(STATUS_BAD_PARAM, function, "workSpace is null with workSpaceSizeInBytes "
                + std::to_string(workspaceBytes));
    }
    return launch(function, direction, handle, p, x, w, y, a, b, workspace, workspaceBytes, info.workspace,
                  runs_on_tensor_cores(direction, p, algo));
}

}  // namespace

extern "C" {

STRIX_EXPORT cudnnStatus_t cudnnConvolutionForward(cudnnHandle_t handle, const void* alpha, cudnnTensorDescriptor_t xDesc,
                                      const void* x, cudnnFilterDescriptor_t wDesc, const void* w,
                                      cudnnConvolutionDescriptor_t convDesc, int algo, void* workSpace,
                                      size_t workSpaceSizeInBytes, const void* beta, cudnnTensorDescriptor_t yDesc,
                                      void* y) {
    CUDNN_ENTRY;
    const char* f = "cudnnConvolutionForward";
    if (int s = need_handle(f, handle)) {
        return s;
    }
    ConvolutionProblem p;
    if (int s = make_problem(f, Direction::FORWARD, xDesc, wDesc, convDesc, yDesc, &p)) {
        return s;
    }
    return run(f, Direction::FORWARD, handle, alpha, beta, p, x, w, y, algo, workSpace, workSpaceSizeInBytes);
}

STRIX_EXPORT cudnnStatus_t cudnnConvolutionBackwardData(cudnnHandle_t handle, const void* alpha, cudnnFilterDescriptor_t wDesc,
                                           const void* w, cudnnTensorDescriptor_t dyDesc, const void* dy,
                                           cudnnConvolutionDescriptor_t convDesc, int algo, void* workSpace,
                                           size_t workSpaceSizeInBytes, const void* beta,
                                           cudnnTensorDescriptor_t dxDesc, void* dx) {
    CUDNN_ENTRY;
    const char* f = "cudnnConvolutionBackwardData";
    if (int s = need_handle(f, handle)) {
        return s;
    }
    ConvolutionProblem p;
    if (int s = make_problem(f, Direction::BACKWARD_DATA, dxDesc, wDesc, convDesc, dyDesc, &p)) {
        return s;
    }
    return run(f, Direction::BACKWARD_DATA, handle, alpha, beta, p, dx, w, dy, algo, workSpace, workSpaceSizeInBytes);
}

STRIX_EXPORT cudnnStatus_t cudnnConvolutionBackwardFilter(cudnnHandle_t handle, const void* alpha, cudnnTensorDescriptor_t xDesc,
                                             const void* x, cudnnTensorDescriptor_t dyDesc, const void* dy,
                                             cudnnConvolutionDescriptor_t convDesc, int algo, void* workSpace,
                                             size_t workSpaceSizeInBytes, const void* beta,
                                             cudnnFilterDescriptor_t dwDesc, void* dw) {
    CUDNN_ENTRY;
    const char* f = "cudnnConvolutionBackwardFilter";
    if (int s = need_handle(f, handle)) {
        return s;
    }
    ConvolutionProblem p;
    if (int s = make_problem(f, Direction::BACKWARD_FILTER, xDesc, dwDesc, convDesc, dyDesc, &p)) {
        return s;
    }
    return run(f, Direction::BACKWARD_FILTER, handle, alpha, beta, p, x, dw, dy, algo, workSpace,
               workSpaceSizeInBytes);
}

}  // extern "C"
