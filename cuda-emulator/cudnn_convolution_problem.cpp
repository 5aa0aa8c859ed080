// The argument checks of the emulated cuDNN convolution, and cudnnGetConvolution2dForwardOutputDim.
#include "cudnn_convolution.h"

namespace cudnn_emulator {

std::size_t filter_bytes(const cudnnFilterStruct& w) {
    return static_cast<std::size_t>(w.dims[0]) * w.dims[1] * w.dims[2] * w.dims[3] * sizeof(float);
}

int output_dims(const char* function, const cudnnTensorStruct& x, const cudnnFilterStruct& w,
                const cudnnConvolutionStruct& conv, int out[4]) {
    if (x.dims[1] != w.dims[1]) {
        return fail(STATUS_BAD_PARAM, function, "the input has " + std::to_string(x.dims[1]) + " channels but the filter "
                + describe_dims(w.dims, 4) + " takes " + std::to_string(w.dims[1]));
    }
    out[0] = x.dims[0];
    out[1] = w.dims[0];
    for (int i = 0; i < 2; i++) {
        long long padded = static_cast<long long>(x.dims[2 + i]) + 2LL * conv.pad[i];
        long long reach = static_cast<long long>(w.dims[2 + i] - 1) * conv.dilation[i] + 1;
        if (reach > padded) {
            return fail(STATUS_BAD_PARAM, function, "the filter " + describe_dims(w.dims, 4) + " with dilation "
                    + std::to_string(conv.dilation[i]) + " does not fit input " + describe_dims(x.dims, 4)
                    + " with padding " + std::to_string(conv.pad[i]) + " on axis " + std::to_string(2 + i));
        }
        out[2 + i] = static_cast<int>(1 + (padded - reach) / conv.stride[i]);
    }
    return STATUS_SUCCESS;
}

int make_problem(const char* function, Direction direction, cudnnTensorDescriptor_t x, cudnnFilterDescriptor_t w,
                 cudnnConvolutionDescriptor_t conv, cudnnTensorDescriptor_t y, ConvolutionProblem* out) {
    const bool forward = direction == Direction::FORWARD;
    const bool data = direction == Direction::BACKWARD_DATA;
    const char* xRole = data ? "dxDesc" : "xDesc";
    const char* yRole = forward ? "yDesc" : "dyDesc";
    const char* wRole = direction == Direction::BACKWARD_FILTER ? "dwDesc" : "wDesc";
    if (int s = need_tensor(function, xRole, x)) {
        return s;
    }
    if (int s = need_filter(function, wRole, w)) {
        return s;
    }
    if (int s = need_convolution(function, conv)) {
        return s;
    }
    if (int s = need_tensor(function, yRole, y)) {
        return s;
    }
    if (x->dataType != y->dataType || x->dataType != w->dataType) {
        return fail(STATUS_BAD_PARAM, function, std::string("data types differ: ") + xRole + " "
                + std::to_string(x->dataType) + ", " + wRole + " " + std::to_string(w->dataType) + ", " + yRole + " "
                + std::to_string(y->dataType));
    }
    if (int s = need_float(function, xRole, x->dataType)) {
        return s;
    }
    if (conv->computeType != DATA_FLOAT) {
        // cuDNN's FLOAT_CONFIG: float32 data computes in float32 only.
        return fail(STATUS_NOT_SUPPORTED, function, "float32 data needs compute type CUDNN_DATA_FLOAT, the descriptor"
                " has " + std::to_string(conv->computeType));
    }
    int dims[4];
    if (int s = output_dims(function, *x, *w, *conv, dims)) {
        return s;
    }
    for (int i = 0; i < 4; i++) {
        if (dims[i] != y->dims[i]) {
            return fail(STATUS_BAD_PARAM, function, std::string(xRole) + " " + describe(*x) + " with filter "
                    + describe_dims(w->dims, 4) + ", padding " + std::to_string(conv->pad[0]) + "x"
                    + std::to_string(conv->pad[1]) + ", stride " + std::to_string(conv->stride[0]) + "x"
                    + std::to_string(conv->stride[1]) + " gives " + describe_dims(dims, 4) + ", but " + yRole + " is "
                    + describe(*y));
        }
    }
    const cudnnTensorStruct& written = forward ? *y : *x;
    if (direction != Direction::BACKWARD_FILTER && overlaps(written)) {
        return fail(STATUS_BAD_PARAM, function, std::string("the output ") + (forward ? yRole : xRole) + " "
                + describe(written) + " has elements that share memory");
    }
    out->x = *x;
    out->w = *w;
    out->conv = *conv;
    out->y = *y;
    return STATUS_SUCCESS;
}

}  // namespace cudnn_emulator

using namespace cudnn_emulator;

STRIX_API cudnnStatus_t cudnnGetConvolution2dForwardOutputDim(cudnnConvolutionDescriptor_t conv,
                                                               cudnnTensorDescriptor_t x, cudnnFilterDescriptor_t w,
                                                               int* n, int* c, int* h, int* wOut) {
    CUDNN_ENTRY;
    const char* f = "cudnnGetConvolution2dForwardOutputDim";
    if (int s = need_convolution(f, conv)) {
        return s;
    }
    if (int s = need_tensor(f, "inputTensorDesc", x)) {
        return s;
    }
    if (int s = need_filter(f, "filterDesc", w)) {
        return s;
    }
    if (n == nullptr || c == nullptr || h == nullptr || wOut == nullptr) {
        return fail(STATUS_BAD_PARAM, f, "an output pointer is null");
    }
    int dims[4];
    if (int s = output_dims(f, *x, *w, *conv, dims)) {
        return s;
    }
    *n = dims[0];
    *c = dims[1];
    *h = dims[2];
    *wOut = dims[3];
    return STATUS_SUCCESS;
}
