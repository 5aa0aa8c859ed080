// libcublas.so.13 of the emulator: the handle calls and the two SGEMMs dev.strix.cuda makes
// (tools/jextract/cublas.args), column-major as in cuBLAS, with cuBLAS's argument checks.
//
// Products are summed in double and rounded once, so strict-FP32 results are at least as accurate
// as cuBLAS's. With CUBLAS_TF32_TENSOR_OP_MATH the inputs are first rounded to TF32 (10 mantissa
// bits, to nearest even), as tensor cores read them.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <string>
#include <vector>

#include "runtime.h"
#include "tf32.h"

namespace {

using Status = int;
constexpr Status SUCCESS = 0;
constexpr Status NOT_INITIALIZED = 1;
constexpr Status INVALID_VALUE = 7;
constexpr Status NOT_SUPPORTED = 15;

constexpr int OP_N = 0;
constexpr int OP_T = 1;
constexpr int OP_C = 2;
constexpr int POINTER_MODE_HOST = 0;
constexpr int POINTER_MODE_DEVICE = 1;
constexpr int DEFAULT_MATH = 0;
constexpr int PEDANTIC_MATH = 2;
constexpr int TF32_TENSOR_OP_MATH = 3;
constexpr int DISALLOW_REDUCED_PRECISION_REDUCTION = 16;

struct Handle {
    void* stream = nullptr;
    int math_mode = DEFAULT_MATH;
    int pointer_mode = POINTER_MODE_HOST;
    std::size_t workspace_bytes = 0;  // what cublasSetWorkspace_v2 gave; 0: cuBLAS manages its own
    bool alive = true;
};

Status fail(Status s, const std::string& why) {
    strix_emulator::report(std::string(s == INVALID_VALUE ? "CUBLAS_STATUS_INVALID_VALUE" : "CUBLAS_STATUS_NOT_SUPPORTED") +
                           ": " + why);
    return s;
}

using strix_emulator::to_tf32;

struct Gemm {
    int opA, opB, m, n, k;
    float alpha, beta;
    const float* a;
    long long lda;
    const float* b;
    long long ldb;
    float* c;
    long long ldc;
    bool tf32;

    // Column by column of C, each sum in the order p = 0, 1, ..., k - 1, as axpys down the columns of
    // op(A), so the inner loop runs along memory and vectorises.
    void run() const {
        std::vector<double> sums(m);
        std::vector<float> column(k);
        // op(A) column-major with leading dimension m: A itself, or A transposed once into `copy`.
        std::vector<float> copy;
        const float* opa = a;
        long long ldopa = lda;
        if (opA != OP_N && alpha != 0) {
            copy.resize((std::size_t)m * k);
            for (int i = 0; i < m; i++) {
                for (int p = 0; p < k; p++) {
                    copy[i + (std::size_t)p * m] = a[p + i * lda];
                }
            }
            opa = copy.data();
            ldopa = m;
        }
        for (int j = 0; j < n; j++) {
            std::fill(sums.begin(), sums.end(), 0.0);
            if (alpha != 0) {
                for (int p = 0; p < k; p++) {
                    float y = opB == OP_N ? b[p + j * ldb] : b[j + p * ldb];
                    column[p] = tf32 ? to_tf32(y) : y;
                }
                for (int p = 0; p < k; p++) {
                    const float* ap = opa + p * ldopa;
                    double y = column[p];
                    if (tf32) {
                        for (int i = 0; i < m; i++) {
                            sums[i] += (double)to_tf32(ap[i]) * y;
                        }
                    } else {
                        for (int i = 0; i < m; i++) {
                            sums[i] += (double)ap[i] * y;
                        }
                    }
                }
            }
            for (int i = 0; i < m; i++) {
                float& out = c[i + j * ldc];
                // beta == 0 means C is not read: NaN there must not leak into the result.
                out = (float)((double)alpha * sums[i] + (beta == 0 ? 0.0 : (double)beta * out));
            }
        }
    }
};

// The checks cuBLAS makes, plus that each matrix lies inside device memory.
Status check(const Handle* h, int opA, int opB, int m, int n, int k, const float* alpha, const float* a, long long lda,
             const float* b, long long ldb, const float* beta, const float* c, long long ldc, const char* call) {
    if (h == nullptr || !h->alive) {
        return NOT_INITIALIZED;
    }
    std::string where = std::string(call) + ": ";
    if (opA < OP_N || opA > OP_C || opB < OP_N || opB > OP_C) {
        return fail(INVALID_VALUE, where + "bad transpose operation");
    }
    if (m < 0 || n < 0 || k < 0) {
        return fail(INVALID_VALUE, where + "negative m, n or k");
    }
    long long rowsA = opA == OP_N ? m : k;
    long long rowsB = opB == OP_N ? k : n;
    if (lda < std::max(1LL, rowsA) || ldb < std::max(1LL, rowsB) || ldc < std::max(1LL, (long long)m)) {
        return fail(INVALID_VALUE, where + "leading dimension too small (lda " + std::to_string(lda) + ", ldb " +
                                       std::to_string(ldb) + ", ldc " + std::to_string(ldc) + " for m " +
                                       std::to_string(m) + ", n " + std::to_string(n) + ", k " + std::to_string(k) + ")");
    }
    if (alpha == nullptr || beta == nullptr) {
        return fail(INVALID_VALUE, where + "null alpha or beta");
    }
    if (h->pointer_mode != POINTER_MODE_HOST) {
        return fail(NOT_SUPPORTED, where + "the emulator reads alpha and beta from host memory only");
    }
    if (h->workspace_bytes == 0 && strix_emulator::is_capturing(h->stream)) {
        // A strix rule rather than cuBLAS's: without a workspace of the caller's, cuBLAS allocates one
        // with cudaMallocAsync inside the capture, and strix's graphs hold no memory nodes.
        return fail(NOT_SUPPORTED, where + "called while its stream captures a graph, on a handle without a"
                                           " workspace of the caller's (cublasSetWorkspace_v2, after the last"
                                           " cublasSetStream_v2, which resets it): cuBLAS would allocate its"
                                           " workspace inside the capture");
    }
    return SUCCESS;
}

Status check_matrix(const float* x, long long rows, long long cols, long long ld, const char* call, const char* name) {
    if (rows == 0 || cols == 0) {
        return SUCCESS;
    }
    std::size_t bytes = (std::size_t)((cols - 1) * ld + rows) * sizeof(float);
    std::string problem = strix_emulator::check_device_range(reinterpret_cast<std::uintptr_t>(x), bytes);
    return problem.empty() ? SUCCESS : fail(INVALID_VALUE, std::string(call) + ": matrix " + name + ": " + problem);
}

bool tf32(const Handle* h) { return (h->math_mode & ~DISALLOW_REDUCED_PRECISION_REDUCTION) == TF32_TENSOR_OP_MATH; }

}  // namespace

using strix_emulator::api_lock;
#define LOCKED std::lock_guard<std::recursive_mutex> guard(api_lock())

STRIX_API Status cublasCreate_v2(Handle** handle) {
    LOCKED;
    if (handle == nullptr) {
        return INVALID_VALUE;
    }
    *handle = new Handle();
    return SUCCESS;
}

STRIX_API Status cublasDestroy_v2(Handle* handle) {
    LOCKED;
    if (handle == nullptr || !handle->alive) {
        return NOT_INITIALIZED;
    }
    handle->alive = false;  // kept, so that a later use is caught rather than read freed memory
    return SUCCESS;
}

STRIX_API Status cublasGetVersion_v2(Handle* handle, int* version) {
    if (handle == nullptr || version == nullptr) {
        return handle == nullptr ? NOT_INITIALIZED : INVALID_VALUE;
    }
    *version = 130000;
    return SUCCESS;
}

STRIX_API Status cublasSetStream_v2(Handle* handle, void* stream) {
    LOCKED;
    if (handle == nullptr || !handle->alive) {
        return NOT_INITIALIZED;
    }
    handle->stream = stream;
    handle->workspace_bytes = 0;  // as cuBLAS documents: setting a stream resets the workspace to its default pool
    return SUCCESS;
}

STRIX_API Status cublasGetStream_v2(Handle* handle, void** stream) {
    LOCKED;
    if (handle == nullptr || !handle->alive) {
        return NOT_INITIALIZED;
    }
    if (stream == nullptr) {
        return INVALID_VALUE;
    }
    *stream = handle->stream;
    return SUCCESS;
}

STRIX_API Status cublasSetWorkspace_v2(Handle* handle, void* workspace, std::size_t bytes) {
    LOCKED;
    if (handle == nullptr || !handle->alive) {
        return NOT_INITIALIZED;
    }
    if (bytes > 0) {
        if (workspace == nullptr || reinterpret_cast<std::uintptr_t>(workspace) % 256 != 0) {
            return fail(INVALID_VALUE, "cublasSetWorkspace_v2: the workspace must be 256-byte aligned");
        }
        std::string problem = strix_emulator::check_device_range(reinterpret_cast<std::uintptr_t>(workspace), bytes);
        if (!problem.empty()) {
            return fail(INVALID_VALUE, "cublasSetWorkspace_v2: " + problem);
        }
    }
    handle->workspace_bytes = bytes;
    return SUCCESS;
}

STRIX_API Status cublasSetMathMode(Handle* handle, int mode) {
    LOCKED;
    if (handle == nullptr || !handle->alive) {
        return NOT_INITIALIZED;
    }
    int base = mode & ~DISALLOW_REDUCED_PRECISION_REDUCTION;
    if (base != DEFAULT_MATH && base != PEDANTIC_MATH && base != TF32_TENSOR_OP_MATH && base != 1) {
        return fail(INVALID_VALUE, "cublasSetMathMode: mode " + std::to_string(mode) + " is not emulated");
    }
    handle->math_mode = mode;
    return SUCCESS;
}

STRIX_API Status cublasSetPointerMode_v2(Handle* handle, int mode) {
    LOCKED;
    if (handle == nullptr || !handle->alive) {
        return NOT_INITIALIZED;
    }
    if (mode != POINTER_MODE_HOST && mode != POINTER_MODE_DEVICE) {
        return INVALID_VALUE;
    }
    handle->pointer_mode = mode;
    return SUCCESS;
}

STRIX_API const char* cublasGetStatusName(Status s) {
    switch (s) {
        case 0: return "CUBLAS_STATUS_SUCCESS";
        case 1: return "CUBLAS_STATUS_NOT_INITIALIZED";
        case 3: return "CUBLAS_STATUS_ALLOC_FAILED";
        case 7: return "CUBLAS_STATUS_INVALID_VALUE";
        case 8: return "CUBLAS_STATUS_ARCH_MISMATCH";
        case 11: return "CUBLAS_STATUS_MAPPING_ERROR";
        case 13: return "CUBLAS_STATUS_EXECUTION_FAILED";
        case 14: return "CUBLAS_STATUS_INTERNAL_ERROR";
        case 15: return "CUBLAS_STATUS_NOT_SUPPORTED";
        case 16: return "CUBLAS_STATUS_LICENSE_ERROR";
        default: return "unrecognized status";   // real cuBLAS's answer for a code it does not define
    }
}

// Real cuBLAS's descriptions (checked against libcublas 12.6 with a probe of both).
STRIX_API const char* cublasGetStatusString(Status s) {
    switch (s) {
        case 0: return "success";
        case 1: return "the library was not initialized";
        case 3: return "the resource allocation failed";
        case 7: return "an unsupported value or parameter was passed to the function";
        case 8: return "the function requires an architectural feature absent from the device";
        case 11: return "an access to GPU memory space failed";
        case 13: return "the function failed to launch on the GPU";
        case 14: return "an internal operation failed";
        case 15: return "the requested functionality is not supported";
        case 16: return "the license check failed";
        default: return "unrecognized status";
    }
}

STRIX_API Status cublasSgemmStridedBatched(Handle* handle, int opA, int opB, int m, int n, int k, const float* alpha,
                                           const float* a, int lda, long long strideA, const float* b, int ldb,
                                           long long strideB, const float* beta, float* c, int ldc,
                                           long long strideC, int batchCount);

STRIX_API Status cublasSgemm_v2(Handle* handle, int opA, int opB, int m, int n, int k, const float* alpha,
                                const float* a, int lda, const float* b, int ldb, const float* beta, float* c,
                                int ldc) {
    return cublasSgemmStridedBatched(handle, opA, opB, m, n, k, alpha, a, lda, 0, b, ldb, 0, beta, c, ldc, 0, 1);
}

STRIX_API Status cublasSgemmStridedBatched(Handle* handle, int opA, int opB, int m, int n, int k, const float* alpha,
                                           const float* a, int lda, long long strideA, const float* b, int ldb,
                                           long long strideB, const float* beta, float* c, int ldc,
                                           long long strideC, int batchCount) {
    LOCKED;
    const char* call = "cublasSgemm";
    if (Status s = check(handle, opA, opB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, call)) {
        return s;
    }
    if (batchCount < 0) {
        return fail(INVALID_VALUE, "cublasSgemmStridedBatched: negative batch count");
    }
    if (m == 0 || n == 0 || batchCount == 0) {
        return SUCCESS;
    }
    long long rowsA = opA == OP_N ? m : k, colsA = opA == OP_N ? k : m;
    long long rowsB = opB == OP_N ? k : n, colsB = opB == OP_N ? n : k;
    for (int i = 0; i < batchCount; i++) {
        bool reads = *alpha != 0 && k > 0;
        if (reads) {
            if (Status s = check_matrix(a + i * strideA, rowsA, colsA, lda, call, "A")) {
                return s;
            }
            if (Status s = check_matrix(b + i * strideB, rowsB, colsB, ldb, call, "B")) {
                return s;
            }
        }
        if (Status s = check_matrix(c + i * strideC, m, n, ldc, call, "C")) {
            return s;
        }
    }
    Gemm g{opA, opB, m, n, k, *alpha, *beta, a, lda, b, ldb, c, ldc, tf32(handle)};
    strix_emulator::enqueue(handle->stream, [g, strideA, strideB, strideC, batchCount]() mutable {
        for (int i = 0; i < batchCount; i++) {
            Gemm one = g;
            one.a += i * strideA;
            one.b += i * strideB;
            one.c += i * strideC;
            one.run();
        }
    });
    return SUCCESS;
}
