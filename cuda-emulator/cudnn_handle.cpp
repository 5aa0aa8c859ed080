// cuDNN's handle (bound to a stream), version queries and error strings.
#include <algorithm>
#include <cstring>

#include "cudnn_api.h"

using namespace cudnn_emulator;

namespace cudnn_emulator {
extern thread_local std::string last_error;
}

extern "C" {

// The version of the headers the Java bindings were generated from (cudnn_version.h: 9.24.0).
STRIX_EXPORT size_t cudnnGetVersion(void) {
    return 92400;
}

// CUDA 13.0, the toolkit the rest of the emulator stands in for.
STRIX_EXPORT size_t cudnnGetCudartVersion(void) {
    return 13000;
}

STRIX_EXPORT const char* cudnnGetErrorString(cudnnStatus_t status) {
    switch (status) {
        case 0: return "CUDNN_STATUS_SUCCESS";
        case 1001: return "CUDNN_STATUS_NOT_INITIALIZED";
        case 1002: return "CUDNN_STATUS_SUBLIBRARY_VERSION_MISMATCH";
        case 1003: return "CUDNN_STATUS_SERIALIZATION_VERSION_MISMATCH";
        case 1004: return "CUDNN_STATUS_DEPRECATED";
        case 1005: return "CUDNN_STATUS_LICENSE_ERROR";
        case 1006: return "CUDNN_STATUS_RUNTIME_IN_PROGRESS";
        case 1007: return "CUDNN_STATUS_RUNTIME_FP_OVERFLOW";
        case 1008: return "CUDNN_STATUS_SUBLIBRARY_LOADING_FAILED";
        case 2000: return "CUDNN_STATUS_BAD_PARAM";
        case 2001: return "CUDNN_STATUS_INVALID_VALUE";
        case 2002: return "CUDNN_STATUS_BAD_PARAM_NULL_POINTER";
        case 2003: return "CUDNN_STATUS_BAD_PARAM_MISALIGNED_POINTER";
        case 2004: return "CUDNN_STATUS_BAD_PARAM_NOT_FINALIZED";
        case 2005: return "CUDNN_STATUS_BAD_PARAM_OUT_OF_BOUND";
        case 2006: return "CUDNN_STATUS_BAD_PARAM_SIZE_INSUFFICIENT";
        case 2007: return "CUDNN_STATUS_BAD_PARAM_STREAM_MISMATCH";
        case 2008: return "CUDNN_STATUS_BAD_PARAM_SHAPE_MISMATCH";
        case 2009: return "CUDNN_STATUS_BAD_PARAM_DUPLICATED_ENTRIES";
        case 2010: return "CUDNN_STATUS_BAD_PARAM_ATTRIBUTE_TYPE";
        case 2011: return "CUDNN_STATUS_BAD_PARAM_CUDA_GRAPH_MISMATCH";
        case 2012: return "CUDNN_STATUS_BAD_PARAM_DESCRIPTOR_TYPE";
        case 3000: return "CUDNN_STATUS_NOT_SUPPORTED";
        case 3001: return "CUDNN_STATUS_NOT_SUPPORTED_GRAPH_PATTERN";
        case 3002: return "CUDNN_STATUS_NOT_SUPPORTED_SHAPE";
        case 3003: return "CUDNN_STATUS_NOT_SUPPORTED_DATA_TYPE";
        case 3004: return "CUDNN_STATUS_NOT_SUPPORTED_LAYOUT";
        case 3005: return "CUDNN_STATUS_NOT_SUPPORTED_INCOMPATIBLE_CUDA_DRIVER";
        case 3006: return "CUDNN_STATUS_NOT_SUPPORTED_INCOMPATIBLE_CUDART";
        case 3007: return "CUDNN_STATUS_NOT_SUPPORTED_ARCH_MISMATCH";
        case 3008: return "CUDNN_STATUS_NOT_SUPPORTED_RUNTIME_PREREQUISITE_MISSING";
        case 3009: return "CUDNN_STATUS_NOT_SUPPORTED_SUBLIBRARY_UNAVAILABLE";
        case 3010: return "CUDNN_STATUS_NOT_SUPPORTED_SHARED_MEMORY_INSUFFICIENT";
        case 3011: return "CUDNN_STATUS_NOT_SUPPORTED_PADDING";
        case 3012: return "CUDNN_STATUS_NOT_SUPPORTED_BAD_LAUNCH_PARAM";
        case 3013: return "CUDNN_STATUS_NOT_SUPPORTED_CUDA_GRAPH_NATIVE_API";
        case 3014: return "CUDNN_STATUS_NOT_SUPPORTED_INVALID_DYNAMIC_SHAPE";
        case 4000: return "CUDNN_STATUS_INTERNAL_ERROR";
        case 4001: return "CUDNN_STATUS_INTERNAL_ERROR_COMPILATION_FAILED";
        case 4002: return "CUDNN_STATUS_INTERNAL_ERROR_UNEXPECTED_VALUE";
        case 4003: return "CUDNN_STATUS_INTERNAL_ERROR_HOST_ALLOCATION_FAILED";
        case 4004: return "CUDNN_STATUS_INTERNAL_ERROR_DEVICE_ALLOCATION_FAILED";
        case 4005: return "CUDNN_STATUS_INTERNAL_ERROR_BAD_LAUNCH_PARAM";
        case 4006: return "CUDNN_STATUS_INTERNAL_ERROR_TEXTURE_CREATION_FAILED";
        case 5000: return "CUDNN_STATUS_EXECUTION_FAILED";
        case 5001: return "CUDNN_STATUS_EXECUTION_FAILED_CUDA_DRIVER";
        case 5002: return "CUDNN_STATUS_EXECUTION_FAILED_CUBLAS";
        case 5003: return "CUDNN_STATUS_EXECUTION_FAILED_CUDART";
        case 5004: return "CUDNN_STATUS_EXECUTION_FAILED_CURAND";
        default: return "CUDNN_UNKNOWN_STATUS";
    }
}

// The message of this thread's last failed call, then cleared (as cuDNN 9 documents).
STRIX_EXPORT void cudnnGetLastErrorString(char* message, size_t max_size) {
    CUDNN_ENTRY;
    if (message == nullptr || max_size == 0) {
        return;
    }
    std::size_t n = std::min(last_error.size(), max_size - 1);
    std::memcpy(message, last_error.data(), n);
    message[n] = '\0';
    last_error.clear();
}

STRIX_EXPORT cudnnStatus_t cudnnCreate(cudnnHandle_t* handle) {
    CUDNN_ENTRY;
    if (handle == nullptr) {
        return fail(STATUS_BAD_PARAM, "cudnnCreate", "the handle pointer is null");
    }
    cudnnHandle_t h = new cudnnContext();
    adopt(h, Kind::HANDLE);
    *handle = h;
    return STATUS_SUCCESS;
}

STRIX_EXPORT cudnnStatus_t cudnnDestroy(cudnnHandle_t handle) {
    CUDNN_ENTRY;
    if (int s = need_handle("cudnnDestroy", handle)) {
        return s;
    }
    forget(handle, Kind::HANDLE);
    delete handle;
    return STATUS_SUCCESS;
}

STRIX_EXPORT cudnnStatus_t cudnnSetStream(cudnnHandle_t handle, cudaStream_t stream) {
    CUDNN_ENTRY;
    if (int s = need_handle("cudnnSetStream", handle)) {
        return s;
    }
    handle->stream = stream;
    return STATUS_SUCCESS;
}

STRIX_EXPORT cudnnStatus_t cudnnGetStream(cudnnHandle_t handle, cudaStream_t* stream) {
    CUDNN_ENTRY;
    if (int s = need_handle("cudnnGetStream", handle)) {
        return s;
    }
    if (stream == nullptr) {
        return fail(STATUS_BAD_PARAM, "cudnnGetStream", "the stream pointer is null");
    }
    *stream = handle->stream;
    return STATUS_SUCCESS;
}

}  // extern "C"
