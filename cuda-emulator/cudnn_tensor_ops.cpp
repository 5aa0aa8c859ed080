// cudnnAddTensor (C = alpha * A + beta * C, A broadcast over its axes of size 1) and
// cudnnConvolutionBackwardBias (db[k] = alpha * sum_{n,h,w} dy[n,k,h,w] + beta * db[k]).
#include "cudnn_api.h"

using namespace cudnn_emulator;

extern "C" {

STRIX_EXPORT cudnnStatus_t cudnnAddTensor(cudnnHandle_t handle, const void* alpha, cudnnTensorDescriptor_t aDesc, const void* A,
                             const void* beta, cudnnTensorDescriptor_t cDesc, void* C) {
    CUDNN_ENTRY;
    const char* f = "cudnnAddTensor";
    float al;
    float be;
    if (int s = need_handle(f, handle)) {
        return s;
    }
    if (int s = need_tensor(f, "aDesc", aDesc)) {
        return s;
    }
    if (int s = need_tensor(f, "cDesc", cDesc)) {
        return s;
    }
    if (aDesc->dataType != cDesc->dataType) {
        return fail(STATUS_BAD_PARAM, f, "A and C have different data types");
    }
    if (int s = need_float(f, "cDesc", cDesc->dataType)) {
        return s;
    }
    for (int i = 0; i < 4; i++) {
        if (aDesc->dims[i] != 1 && aDesc->dims[i] != cDesc->dims[i]) {
            return fail(STATUS_BAD_PARAM, f, "each axis of A must be 1 or C's: A " + describe(*aDesc) + ", C "
                    + describe(*cDesc));
        }
    }
    if (overlaps(*cDesc)) {
        return fail(STATUS_BAD_PARAM, f, "the output C " + describe(*cDesc) + " has elements that share memory");
    }
    if (int s = need_scalar(f, "alpha", alpha, &al)) {
        return s;
    }
    if (int s = need_scalar(f, "beta", beta, &be)) {
        return s;
    }
    std::vector<Range> ranges{{"A", A, tensor_bytes(*aDesc)}, {"C", C, tensor_bytes(*cDesc)}};
    if (int s = check_ranges(f, ranges)) {
        return s;
    }
    cudnnTensorStruct a = *aDesc;
    cudnnTensorStruct c = *cDesc;
    for (int i = 0; i < 4; i++) {
        if (a.dims[i] == 1) {
            a.strides[i] = 0;   // broadcast
        }
    }
    submit(handle, [=]() {
        if (!ranges_still_live(f, ranges)) {
            return;
        }
        const float* pa = static_cast<const float*>(A);
        float* pc = static_cast<float*>(C);
        for (int n = 0; n < c.dims[0]; n++) {
            for (int k = 0; k < c.dims[1]; k++) {
                for (int h = 0; h < c.dims[2]; h++) {
                    for (int w = 0; w < c.dims[3]; w++) {
                        blend(&pc[offset(c, n, k, h, w)], pa[offset(a, n, k, h, w)], al, be);
                    }
                }
            }
        }
    });
    return STATUS_SUCCESS;
}

STRIX_EXPORT cudnnStatus_t cudnnConvolutionBackwardBias(cudnnHandle_t handle, const void* alpha, cudnnTensorDescriptor_t dyDesc,
                                           const void* dy, const void* beta, cudnnTensorDescriptor_t dbDesc,
                                           void* db) {
    CUDNN_ENTRY;
    const char* f = "cudnnConvolutionBackwardBias";
    float al;
    float be;
    if (int s = need_handle(f, handle)) {
        return s;
    }
    if (int s = need_tensor(f, "dyDesc", dyDesc)) {
        return s;
    }
    if (int s = need_tensor(f, "dbDesc", dbDesc)) {
        return s;
    }
    if (dyDesc->dataType != dbDesc->dataType) {
        return fail(STATUS_BAD_PARAM, f, "dy and db have different data types");
    }
    if (int s = need_float(f, "dyDesc", dyDesc->dataType)) {
        return s;
    }
    if (dbDesc->dims[0] != 1 || dbDesc->dims[1] != dyDesc->dims[1] || dbDesc->dims[2] != 1 || dbDesc->dims[3] != 1) {
        return fail(STATUS_BAD_PARAM, f, "db must be [1, " + std::to_string(dyDesc->dims[1]) + ", 1, 1] for dy "
                + describe(*dyDesc) + ", got " + describe(*dbDesc));
    }
    if (int s = need_scalar(f, "alpha", alpha, &al)) {
        return s;
    }
    if (int s = need_scalar(f, "beta", beta, &be)) {
        return s;
    }
    std::vector<Range> ranges{{"dy", dy, tensor_bytes(*dyDesc)}, {"db", db, tensor_bytes(*dbDesc)}};
    if (int s = check_ranges(f, ranges)) {
        return s;
    }
    cudnnTensorStruct g = *dyDesc;
    cudnnTensorStruct b = *dbDesc;
    submit(handle, [=]() {
        if (!ranges_still_live(f, ranges)) {
            return;
        }
        const float* pg = static_cast<const float*>(dy);
        float* pb = static_cast<float*>(db);
        for (int k = 0; k < g.dims[1]; k++) {
            double sum = 0.0;
            for (int n = 0; n < g.dims[0]; n++) {
                for (int h = 0; h < g.dims[2]; h++) {
                    for (int w = 0; w < g.dims[3]; w++) {
                        sum += pg[offset(g, n, k, h, w)];
                    }
                }
            }
            blend(&pb[offset(b, 0, k, 0, 0)], sum, al, be);
        }
    });
    return STATUS_SUCCESS;
}

}  // extern "C"
