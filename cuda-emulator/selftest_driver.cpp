// A self-test of the emulated driver's rules, which the Java suite relies on without provoking them:
// queued work runs only when the host waits (pinned copies read and write then, pageable ones at the
// call), stream capture refuses allocation and invalidates itself, a kernel is refused a pointer
// outside device memory or off its alignment, and a write past the end of an allocation is reported at the next wait.
// build.sh runs it after building the libraries; it ends with "OK (0 failures)".
#include <cstdio>
#include <cstring>

#include "selftest.h"

extern "C" {
int cuInit(unsigned);
int cuDevicePrimaryCtxRetain(void**, int);
int cuCtxSetCurrent(void*);
int cuStreamCreate(void**, unsigned);
int cuStreamSynchronize(void*);
int cuMemAlloc_v2(unsigned long long*, size_t);
int cuMemFree_v2(unsigned long long);
int cuMemAllocHost_v2(void**, size_t);
int cuMemcpyHtoDAsync_v2(unsigned long long, const void*, size_t, void*);
int cuMemcpyDtoHAsync_v2(void*, unsigned long long, size_t, void*);
int cuStreamBeginCapture_v2(void*, int);
int cuStreamEndCapture(void*, void**);
int cuModuleLoadData(void**, const void*);
int cuModuleGetFunction(void**, void*, const char*);
int cuEventCreate(void**, unsigned);
int cuEventRecord(void*, void*);
int cuEventElapsedTime_v2(float*, void*, void*);
int cuEventDestroy_v2(void*);
int cuLaunchKernel(void*, unsigned, unsigned, unsigned, unsigned, unsigned, unsigned, unsigned, void*, void**,
                   void**);
}

// cuda-src/strix_common.cuh's parameter structs, byte for byte.
struct StridedShape {
    int rank;
    int dims[8];
};
struct StridedView {
    long long offset;
    long long strides[8];
};


// Launches fill_strided over `count` bytes of uint8 at `dst` with `value`; returns cuLaunchKernel's result.
static int fill_bytes(void* function, void* stream, unsigned long long dst, int count, float value) {
    StridedShape shape{1, {count}};
    long long n = count;
    int type = 1;  // STRIX_U8
    StridedView view{0, {1}};
    void* params[] = {&shape, &n, &dst, &type, &view, &value};
    return cuLaunchKernel(function, 1, 1, 1, 256, 1, 1, 0, stream, params, nullptr);
}

int main() {
    void* context = nullptr;
    void* stream = nullptr;
    CHECK(cuInit(0) == 0 && cuDevicePrimaryCtxRetain(&context, 0) == 0 && cuCtxSetCurrent(context) == 0);
    CHECK(cuStreamCreate(&stream, 1) == 0);

    // An upload from pinned memory reads it when it runs; one from pageable memory at the call.
    unsigned long long device = 0;
    CHECK(cuMemAlloc_v2(&device, 8) == 0);
    int* pinned = nullptr;
    CHECK(cuMemAllocHost_v2(reinterpret_cast<void**>(&pinned), 8) == 0);
    pinned[0] = 1;
    CHECK(cuMemcpyHtoDAsync_v2(device, pinned, 4, stream) == 0);
    pinned[0] = 2;
    int pageable[2] = {10, 0};
    CHECK(cuMemcpyHtoDAsync_v2(device + 4, pageable, 4, stream) == 0);
    pageable[0] = 20;
    int back[2] = {0, 0};
    CHECK(cuMemcpyDtoHAsync_v2(back, device, 8, stream) == 0);  // pageable: waits, then copies
    CHECK(back[0] == 2);
    CHECK(back[1] == 10);

    // A download into pinned memory lands when the host waits.
    pinned[1] = -1;
    CHECK(cuMemcpyDtoHAsync_v2(pinned + 1, device + 4, 4, stream) == 0);
    CHECK(pinned[1] == -1);
    CHECK(cuStreamSynchronize(stream) == 0);
    CHECK(pinned[1] == 10);

    // Capture in thread-local mode: allocating fails and invalidates the capture.
    CHECK(cuStreamBeginCapture_v2(stream, 1) == 0);
    unsigned long long more = 0;
    CHECK(cuMemAlloc_v2(&more, 16) == 900);
    void* graph = nullptr;
    CHECK(cuStreamEndCapture(stream, &graph) == 901);
    CHECK(graph == nullptr);

    // Kernels: a pointer outside device memory is refused at the launch.
    unsigned char image[16] = {0x50, 0xed, 0x55, 0xba};
    void* module = nullptr;
    void* fill = nullptr;
    CHECK(cuModuleLoadData(&module, image) == 0);
    CHECK(cuModuleGetFunction(&fill, module, "fill_strided") == 0);
    unsigned long long host = reinterpret_cast<unsigned long long>(back);
    CHECK(fill_bytes(fill, stream, host, 4, 3) == 1);

    // A double* four bytes off its alignment is refused at the launch (a GPU faults at the access).
    void* partials_sum = nullptr;
    CHECK(cuModuleGetFunction(&partials_sum, module, "channel_partials_sum") == 0);
    unsigned long long doubles = 0;
    unsigned long long floats = 0;
    CHECK(cuMemAlloc_v2(&doubles, 64) == 0 && cuMemAlloc_v2(&floats, 8) == 0);
    int channels = 1;
    int slices = 2;
    unsigned long long off = doubles + 4;
    void* misaligned[] = {&off, &channels, &slices, &floats};
    CHECK(cuLaunchKernel(partials_sum, 1, 1, 1, 32, 1, 1, 0, stream, misaligned, nullptr) == 1);
    void* aligned[] = {&doubles, &channels, &slices, &floats};
    CHECK(cuLaunchKernel(partials_sum, 1, 1, 1, 32, 1, 1, 0, stream, aligned, nullptr) == 0);
    CHECK(cuStreamSynchronize(stream) == 0);

    // Events: elapsed time between two timing events once they ran; none for an event made with
    // CU_EVENT_DISABLE_TIMING (2), which the driver refuses with CUDA_ERROR_INVALID_HANDLE (400).
    void* first = nullptr;
    void* second = nullptr;
    void* untimed = nullptr;
    CHECK(cuEventCreate(&first, 0) == 0 && cuEventCreate(&second, 0) == 0 && cuEventCreate(&untimed, 2) == 0);
    CHECK(cuEventRecord(first, stream) == 0 && cuEventRecord(second, stream) == 0 && cuEventRecord(untimed, stream) == 0);
    float elapsed = -1;
    CHECK(cuEventElapsedTime_v2(&elapsed, first, second) == 600);  // CUDA_ERROR_NOT_READY: still queued
    CHECK(cuStreamSynchronize(stream) == 0);
    CHECK(cuEventElapsedTime_v2(&elapsed, first, second) == 0 && elapsed >= 0);
    CHECK(cuEventElapsedTime_v2(&elapsed, first, untimed) == 400);
    CHECK(cuEventDestroy_v2(first) == 0 && cuEventDestroy_v2(second) == 0 && cuEventDestroy_v2(untimed) == 0);

    // A fill of 101 bytes into 100: the byte past the end is found at the next wait, and the error
    // then sticks, as a device fault does (so this comes last).
    unsigned long long hundred = 0;
    CHECK(cuMemAlloc_v2(&hundred, 100) == 0);
    CHECK(fill_bytes(fill, stream, hundred, 100, 3) == 0);
    CHECK(cuStreamSynchronize(stream) == 0);
    CHECK(fill_bytes(fill, stream, hundred, 101, 3) == 0);
    CHECK(cuStreamSynchronize(stream) == 700);
    CHECK(cuMemFree_v2(device) == 700);

    return selftest_result();
}
