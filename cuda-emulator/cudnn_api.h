// The part of cuDNN 9's legacy C API that strix's emulated libcudnn.so.9 implements, written from the
// documentation (no NVIDIA header is included: the emulator builds with g++ alone). Numeric values
// are cuDNN 9's. Handles and descriptors are host objects; "device" pointers are host pointers
// checked against the live allocations of the emulated driver (runtime.h), and work goes through
// strix_emulator::enqueue so that a capturing stream records it instead of running it.
//
// Every computation is a reference loop accumulating in double over float32 data; the emulator
// checks arguments as cuDNN documents them and reports each refusal (strix_emulator::report), since
// catching the caller's mistakes is its purpose.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "runtime.h"

struct cudnnContext {
    void* stream = nullptr;   // the CUstream given to cudnnSetStream; null is the default stream
};

struct cudnnTensorStruct {
    bool set = false;
    int dataType = 0;
    int dims[4] = {0, 0, 0, 0};          // n, c, h, w
    long long strides[4] = {0, 0, 0, 0};  // in elements
};

struct cudnnFilterStruct {
    bool set = false;
    int dataType = 0;
    int format = 0;                       // CUDNN_TENSOR_NCHW (KCRS) or CUDNN_TENSOR_NHWC (KRSC)
    int dims[4] = {0, 0, 0, 0};           // k, c, r, s whatever the format
};

struct cudnnConvolutionStruct {
    bool set = false;
    int pad[2] = {0, 0};
    int stride[2] = {1, 1};
    int dilation[2] = {1, 1};
    int mode = 0;
    int computeType = 0;
    int mathType = 0;                     // CUDNN_DEFAULT_MATH until cudnnSetConvolutionMathType
};

struct cudnnPoolingStruct {
    bool set = false;
    int mode = 0;
    int nanOpt = 0;
    int window[2] = {0, 0};
    int pad[2] = {0, 0};
    int stride[2] = {0, 0};
};

extern "C" {
typedef int cudnnStatus_t;
typedef cudnnContext* cudnnHandle_t;
typedef cudnnTensorStruct* cudnnTensorDescriptor_t;
typedef cudnnFilterStruct* cudnnFilterDescriptor_t;
typedef cudnnConvolutionStruct* cudnnConvolutionDescriptor_t;
typedef cudnnPoolingStruct* cudnnPoolingDescriptor_t;
typedef void* cudaStream_t;

// cudnnConvolution{Fwd,BwdData,BwdFilter}AlgoPerf_t share this layout (cudnn_cnn.h).
typedef struct {
    int algo;
    cudnnStatus_t status;
    float time;
    size_t memory;
    int determinism;
    int mathType;
    int reserved[3];
} cudnnConvolutionAlgoPerf_t;
}

namespace cudnn_emulator {

// cudnnStatus_t
constexpr int STATUS_SUCCESS = 0;
constexpr int STATUS_BAD_PARAM = 2000;
constexpr int STATUS_NOT_SUPPORTED = 3000;
constexpr int STATUS_ALLOC_FAILED = 4003;   // CUDNN_STATUS_ALLOC_FAILED, an alias of ..._HOST_ALLOCATION_FAILED
constexpr int STATUS_EXECUTION_FAILED = 5000;

// cudnnDataType_t, cudnnTensorFormat_t
constexpr int DATA_FLOAT = 0;
constexpr int DATA_DOUBLE = 1;
constexpr int DATA_HALF = 2;
constexpr int DATA_BFLOAT16 = 9;
constexpr int DATA_TYPE_LAST = 21;          // CUDNN_DATA_COMPLEX_FP64
constexpr int TENSOR_NCHW = 0;
constexpr int TENSOR_NHWC = 1;
constexpr int TENSOR_NCHW_VECT_C = 2;

// cudnnConvolutionMode_t, cudnnMathType_t, cudnnDeterminism_t
constexpr int CONVOLUTION = 0;
constexpr int CROSS_CORRELATION = 1;
constexpr int MATH_TENSOR_OP = 1;           // CUDNN_TENSOR_OP_MATH
constexpr int MATH_TENSOR_OP_ALLOW_CONVERSION = 2;
constexpr int MATH_FMA = 3;                 // CUDNN_FMA_MATH
constexpr int MATH_TYPE_LAST = 3;
constexpr int NON_DETERMINISTIC = 0;
constexpr int DETERMINISTIC = 1;

// cudnnPoolingMode_t, cudnnNanPropagation_t
constexpr int POOLING_MAX = 0;
constexpr int POOLING_AVERAGE_COUNT_INCLUDE_PADDING = 1;
constexpr int POOLING_AVERAGE_COUNT_EXCLUDE_PADDING = 2;
constexpr int POOLING_MAX_DETERMINISTIC = 3;
constexpr int PROPAGATE_NAN = 1;

// cudnnBatchNormMode_t
constexpr int BATCHNORM_PER_ACTIVATION = 0;
constexpr int BATCHNORM_SPATIAL = 1;
constexpr int BATCHNORM_SPATIAL_PERSISTENT = 2;
constexpr double BN_MIN_EPSILON = 0.0;

// Which kind of object a pointer was created as, for the live-object registry.
enum class Kind { HANDLE, TENSOR, FILTER, CONVOLUTION_DESCRIPTOR, POOLING };

void adopt(const void* object, Kind kind);
// Whether `object` is live and of `kind`; `forget` also removes it.
bool is_live(const void* object, Kind kind);
bool forget(const void* object, Kind kind);

// Records `why` as the last error (cudnnGetLastErrorString), reports it with the function's name
// and returns `status`.
int fail(int status, const char* function, const std::string& why);

// Checks a handle or a set descriptor passed as `role`; 0 when usable, else the status (reported).
int need_handle(const char* function, cudnnHandle_t handle);
int need_tensor(const char* function, const char* role, cudnnTensorDescriptor_t d);
int need_filter(const char* function, const char* role, cudnnFilterDescriptor_t d);
int need_convolution(const char* function, cudnnConvolutionDescriptor_t d);
int need_pooling(const char* function, cudnnPoolingDescriptor_t d);
// Reads the float host scalar `role` (alpha, beta) into `out`; fails on null.
int need_scalar(const char* function, const char* role, const void* p, float* out);
// Fails unless every op's data is float32: the only type the emulator computes in.
int need_float(const char* function, const char* role, int dataType);

// A span of device memory an op reads or writes.
struct Range {
    const char* role;
    const void* address;
    std::size_t bytes;
};

// Fails (BAD_PARAM, reported) unless every range is non-null and inside one live allocation.
int check_ranges(const char* function, const std::vector<Range>& ranges);
// The same check when queued work runs (a replayed graph may outlive its buffers): reports and
// returns false instead of a status.
bool ranges_still_live(const char* function, const std::vector<Range>& ranges);

// Bytes from a tensor's first element to just past its farthest one (strides are non-negative).
std::size_t tensor_bytes(const cudnnTensorStruct& t);
// Whether two indices of `t` share an address (a stride 0 on an axis longer than 1, and the like).
bool overlaps(const cudnnTensorStruct& t);
// "[2, 3, 8, 8] strides [192, 64, 8, 1]", for messages.
std::string describe(const cudnnTensorStruct& t);
std::string describe_dims(const int* dims, int count);

inline long long offset(const cudnnTensorStruct& t, long long n, long long c, long long h, long long w) {
    return n * t.strides[0] + c * t.strides[1] + h * t.strides[2] + w * t.strides[3];
}

// dst = alpha * result + beta * dst. With beta 0 dst is not read, so it may hold anything, NaN
// included (the developer guide's "Scaling Parameters" section says so of every blended output).
inline void blend(float* dst, double result, float alpha, float beta) {
    double value = static_cast<double>(alpha) * result;
    if (beta != 0.0f) {
        value += static_cast<double>(beta) * static_cast<double>(*dst);
    }
    *dst = static_cast<float>(value);
}

// Every entry point holds the emulator's one lock (runtime.h: the libraries share globals).
#define CUDNN_ENTRY std::lock_guard<std::recursive_mutex> cudnn_entry_guard(strix_emulator::api_lock())

// Queues `work` on the handle's stream.
void submit(cudnnHandle_t handle, std::function<void()> work);

}  // namespace cudnn_emulator
