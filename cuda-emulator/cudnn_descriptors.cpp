// cuDNN's 4-D tensor, filter, convolution and pooling descriptors: plain host structs, checked as
// the API reference documents each setter (negative or zero sizes, bad enum values: BAD_PARAM).
#include "cudnn_api.h"

using namespace cudnn_emulator;

namespace {

template <typename T>
int create(const char* function, T** out, Kind kind) {
    if (out == nullptr) {
        return fail(STATUS_BAD_PARAM, function, "the descriptor pointer is null");
    }
    T* d = new T();
    adopt(d, kind);
    *out = d;
    return STATUS_SUCCESS;
}

template <typename T>
int destroy(const char* function, T* d, Kind kind) {
    if (d == nullptr) {
        return STATUS_SUCCESS;   // cuDNN's destroy functions accept null
    }
    if (!forget(d, kind)) {
        return fail(STATUS_BAD_PARAM, function, "not a live descriptor of this kind (destroyed twice?)");
    }
    delete d;
    return STATUS_SUCCESS;
}

bool valid_data_type(int t) {
    return t >= 0 && t <= DATA_TYPE_LAST;
}

// Sizes must be positive and the element count within 2^31 (cuDNN's 4-D limit).
int check_sizes(const char* function, int a, int b, int c, int d) {
    if (a <= 0 || b <= 0 || c <= 0 || d <= 0) {
        int dims[4] = {a, b, c, d};
        return fail(STATUS_BAD_PARAM, function, "sizes must be positive, got " + describe_dims(dims, 4));
    }
    if (static_cast<long long>(a) * b * c * d > (1LL << 31) - 1) {
        int dims[4] = {a, b, c, d};
        return fail(STATUS_NOT_SUPPORTED, function, "more than 2^31 - 1 elements: " + describe_dims(dims, 4));
    }
    return STATUS_SUCCESS;
}

}  // namespace

extern "C" {

STRIX_EXPORT cudnnStatus_t cudnnCreateTensorDescriptor(cudnnTensorDescriptor_t* d) {
    CUDNN_ENTRY;
    return create("cudnnCreateTensorDescriptor", d, Kind::TENSOR);
}

STRIX_EXPORT cudnnStatus_t cudnnDestroyTensorDescriptor(cudnnTensorDescriptor_t d) {
    CUDNN_ENTRY;
    return destroy("cudnnDestroyTensorDescriptor", d, Kind::TENSOR);
}

STRIX_EXPORT cudnnStatus_t cudnnSetTensor4dDescriptorEx(cudnnTensorDescriptor_t d, int dataType, int n, int c, int h, int w,
                                           int nStride, int cStride, int hStride, int wStride) {
    CUDNN_ENTRY;
    const char* f = "cudnnSetTensor4dDescriptorEx";
    if (d == nullptr || !is_live(d, Kind::TENSOR)) {
        return need_tensor(f, "tensor descriptor", d);
    }
    if (!valid_data_type(dataType)) {
        return fail(STATUS_BAD_PARAM, f, "invalid data type " + std::to_string(dataType));
    }
    if (int s = check_sizes(f, n, c, h, w)) {
        return s;
    }
    // Real cuDNN (9.5, checked with a differential probe) refuses a stride 0 on an axis longer than 1:
    // a broadcast operand must be copied before cuDNN sees it. It accepts negative strides here; the
    // emulator refuses them as well, being stricter where strix never goes.
    int sizes[4] = {n, c, h, w};
    int strides[4] = {nStride, cStride, hStride, wStride};
    for (int i = 0; i < 4; i++) {
        if (strides[i] < 0 || (strides[i] == 0 && sizes[i] > 1)) {
            return fail(STATUS_BAD_PARAM, f, "strides must be positive (0 only on an axis of size 1), got "
                    + describe_dims(strides, 4) + " for sizes " + describe_dims(sizes, 4));
        }
    }
    d->dataType = dataType;
    d->dims[0] = n;
    d->dims[1] = c;
    d->dims[2] = h;
    d->dims[3] = w;
    d->strides[0] = nStride;
    d->strides[1] = cStride;
    d->strides[2] = hStride;
    d->strides[3] = wStride;
    d->set = true;
    return STATUS_SUCCESS;
}

STRIX_EXPORT cudnnStatus_t cudnnSetTensor4dDescriptor(cudnnTensorDescriptor_t d, int format, int dataType, int n, int c, int h,
                                         int w) {
    CUDNN_ENTRY;
    const char* f = "cudnnSetTensor4dDescriptor";
    if (format == TENSOR_NCHW_VECT_C) {
        return fail(STATUS_NOT_SUPPORTED, f, "CUDNN_TENSOR_NCHW_VECT_C is not emulated");
    }
    if (format != TENSOR_NCHW && format != TENSOR_NHWC) {
        return fail(STATUS_BAD_PARAM, f, "invalid tensor format " + std::to_string(format));
    }
    if (int s = check_sizes(f, n, c, h, w)) {
        return s;
    }
    if (format == TENSOR_NCHW) {
        return cudnnSetTensor4dDescriptorEx(d, dataType, n, c, h, w, c * h * w, h * w, w, 1);
    }
    return cudnnSetTensor4dDescriptorEx(d, dataType, n, c, h, w, h * w * c, 1, w * c, c);
}

STRIX_EXPORT cudnnStatus_t cudnnCreateFilterDescriptor(cudnnFilterDescriptor_t* d) {
    CUDNN_ENTRY;
    return create("cudnnCreateFilterDescriptor", d, Kind::FILTER);
}

STRIX_EXPORT cudnnStatus_t cudnnDestroyFilterDescriptor(cudnnFilterDescriptor_t d) {
    CUDNN_ENTRY;
    return destroy("cudnnDestroyFilterDescriptor", d, Kind::FILTER);
}

// Sizes are (k, c, r, s) in either format; the format says how they lie in memory: KCRS for
// CUDNN_TENSOR_NCHW, KRSC for CUDNN_TENSOR_NHWC.
STRIX_EXPORT cudnnStatus_t cudnnSetFilter4dDescriptor(cudnnFilterDescriptor_t d, int dataType, int format, int k, int c, int h,
                                         int w) {
    CUDNN_ENTRY;
    const char* f = "cudnnSetFilter4dDescriptor";
    if (d == nullptr || !is_live(d, Kind::FILTER)) {
        return need_filter(f, "filter descriptor", d);
    }
    if (!valid_data_type(dataType)) {
        return fail(STATUS_BAD_PARAM, f, "invalid data type " + std::to_string(dataType));
    }
    if (format == TENSOR_NCHW_VECT_C) {
        return fail(STATUS_NOT_SUPPORTED, f, "CUDNN_TENSOR_NCHW_VECT_C is not emulated");
    }
    if (format != TENSOR_NCHW && format != TENSOR_NHWC) {
        return fail(STATUS_BAD_PARAM, f, "invalid filter format " + std::to_string(format));
    }
    if (int s = check_sizes(f, k, c, h, w)) {
        return s;
    }
    d->dataType = dataType;
    d->format = format;
    d->dims[0] = k;
    d->dims[1] = c;
    d->dims[2] = h;
    d->dims[3] = w;
    d->set = true;
    return STATUS_SUCCESS;
}

STRIX_EXPORT cudnnStatus_t cudnnCreateConvolutionDescriptor(cudnnConvolutionDescriptor_t* d) {
    CUDNN_ENTRY;
    return create("cudnnCreateConvolutionDescriptor", d, Kind::CONVOLUTION_DESCRIPTOR);
}

STRIX_EXPORT cudnnStatus_t cudnnDestroyConvolutionDescriptor(cudnnConvolutionDescriptor_t d) {
    CUDNN_ENTRY;
    return destroy("cudnnDestroyConvolutionDescriptor", d, Kind::CONVOLUTION_DESCRIPTOR);
}

STRIX_EXPORT cudnnStatus_t cudnnSetConvolution2dDescriptor(cudnnConvolutionDescriptor_t d, int pad_h, int pad_w, int u, int v,
                                              int dilation_h, int dilation_w, int mode, int computeType) {
    CUDNN_ENTRY;
    const char* f = "cudnnSetConvolution2dDescriptor";
    if (d == nullptr || !is_live(d, Kind::CONVOLUTION_DESCRIPTOR)) {
        return need_convolution(f, d);
    }
    if (pad_h < 0 || pad_w < 0 || u <= 0 || v <= 0 || dilation_h <= 0 || dilation_w <= 0) {
        return fail(STATUS_BAD_PARAM, f, "padding must be >= 0 and strides and dilations > 0, got padding "
                + std::to_string(pad_h) + "x" + std::to_string(pad_w) + ", stride " + std::to_string(u) + "x"
                + std::to_string(v) + ", dilation " + std::to_string(dilation_h) + "x" + std::to_string(dilation_w));
    }
    if (mode != CONVOLUTION && mode != CROSS_CORRELATION) {
        return fail(STATUS_BAD_PARAM, f, "invalid convolution mode " + std::to_string(mode));
    }
    if (!valid_data_type(computeType)) {
        return fail(STATUS_BAD_PARAM, f, "invalid compute type " + std::to_string(computeType));
    }
    d->pad[0] = pad_h;
    d->pad[1] = pad_w;
    d->stride[0] = u;
    d->stride[1] = v;
    d->dilation[0] = dilation_h;
    d->dilation[1] = dilation_w;
    d->mode = mode;
    d->computeType = computeType;
    d->set = true;
    return STATUS_SUCCESS;
}

// The math type is stored and reported in the algorithm results; the emulator's arithmetic is
// always double accumulation, whatever it says.
STRIX_EXPORT cudnnStatus_t cudnnSetConvolutionMathType(cudnnConvolutionDescriptor_t d, int mathType) {
    CUDNN_ENTRY;
    const char* f = "cudnnSetConvolutionMathType";
    if (d == nullptr || !is_live(d, Kind::CONVOLUTION_DESCRIPTOR)) {
        return need_convolution(f, d);
    }
    if (mathType < 0 || mathType > MATH_TYPE_LAST) {
        return fail(STATUS_BAD_PARAM, f, "invalid math type " + std::to_string(mathType));
    }
    d->mathType = mathType;
    return STATUS_SUCCESS;
}

STRIX_EXPORT cudnnStatus_t cudnnGetConvolutionMathType(cudnnConvolutionDescriptor_t d, int* mathType) {
    CUDNN_ENTRY;
    const char* f = "cudnnGetConvolutionMathType";
    if (d == nullptr || !is_live(d, Kind::CONVOLUTION_DESCRIPTOR)) {
        return need_convolution(f, d);
    }
    if (mathType == nullptr) {
        return fail(STATUS_BAD_PARAM, f, "the math type pointer is null");
    }
    *mathType = d->mathType;
    return STATUS_SUCCESS;
}

STRIX_EXPORT cudnnStatus_t cudnnCreatePoolingDescriptor(cudnnPoolingDescriptor_t* d) {
    CUDNN_ENTRY;
    return create("cudnnCreatePoolingDescriptor", d, Kind::POOLING);
}

STRIX_EXPORT cudnnStatus_t cudnnDestroyPoolingDescriptor(cudnnPoolingDescriptor_t d) {
    CUDNN_ENTRY;
    return destroy("cudnnDestroyPoolingDescriptor", d, Kind::POOLING);
}

STRIX_EXPORT cudnnStatus_t cudnnSetPooling2dDescriptor(cudnnPoolingDescriptor_t d, int mode, int maxpoolingNanOpt,
                                          int windowHeight, int windowWidth, int verticalPadding,
                                          int horizontalPadding, int verticalStride, int horizontalStride) {
    CUDNN_ENTRY;
    const char* f = "cudnnSetPooling2dDescriptor";
    if (d == nullptr || !is_live(d, Kind::POOLING)) {
        return need_pooling(f, d);
    }
    if (mode < POOLING_MAX || mode > POOLING_MAX_DETERMINISTIC) {
        return fail(STATUS_BAD_PARAM, f, "invalid pooling mode " + std::to_string(mode));
    }
    if (maxpoolingNanOpt != 0 && maxpoolingNanOpt != PROPAGATE_NAN) {
        return fail(STATUS_BAD_PARAM, f, "invalid NaN propagation " + std::to_string(maxpoolingNanOpt));
    }
    if (windowHeight <= 0 || windowWidth <= 0 || verticalStride <= 0 || horizontalStride <= 0
            || verticalPadding < 0 || horizontalPadding < 0) {
        return fail(STATUS_BAD_PARAM, f, "window and stride must be > 0 and padding >= 0, got window "
                + std::to_string(windowHeight) + "x" + std::to_string(windowWidth) + ", padding "
                + std::to_string(verticalPadding) + "x" + std::to_string(horizontalPadding) + ", stride "
                + std::to_string(verticalStride) + "x" + std::to_string(horizontalStride));
    }
    d->mode = mode;
    d->nanOpt = maxpoolingNanOpt;
    d->window[0] = windowHeight;
    d->window[1] = windowWidth;
    d->pad[0] = verticalPadding;
    d->pad[1] = horizontalPadding;
    d->stride[0] = verticalStride;
    d->stride[1] = horizontalStride;
    d->set = true;
    return STATUS_SUCCESS;
}

// The shapes of batch norm's scale, bias, mean and variance for input `x`: 1xCx1x1 (spatial) or
// 1xCxHxW (per activation), packed, float for half, bfloat16 and float data, double for double.
STRIX_EXPORT cudnnStatus_t cudnnDeriveBNTensorDescriptor(cudnnTensorDescriptor_t derived, cudnnTensorDescriptor_t x, int mode) {
    CUDNN_ENTRY;
    const char* f = "cudnnDeriveBNTensorDescriptor";
    if (derived == nullptr || !is_live(derived, Kind::TENSOR)) {
        return need_tensor(f, "derived descriptor", derived);
    }
    if (int s = need_tensor(f, "input descriptor", x)) {
        return s;
    }
    if (mode < BATCHNORM_PER_ACTIVATION || mode > BATCHNORM_SPATIAL_PERSISTENT) {
        return fail(STATUS_BAD_PARAM, f, "invalid batch norm mode " + std::to_string(mode));
    }
    int type = x->dataType == DATA_DOUBLE ? DATA_DOUBLE : DATA_FLOAT;
    int c = x->dims[1];
    if (mode == BATCHNORM_PER_ACTIVATION) {
        return cudnnSetTensor4dDescriptor(derived, TENSOR_NCHW, type, 1, c, x->dims[2], x->dims[3]);
    }
    return cudnnSetTensor4dDescriptor(derived, TENSOR_NCHW, type, 1, c, 1, 1);
}

}  // extern "C"
