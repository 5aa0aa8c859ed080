// Emulated driver API: device and pinned host memory, copies and fills, checked against the live
// allocations (memory.h).
#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <vector>

#include "driver.h"
#include "memory.h"

using namespace strix_emulator::driver;

namespace {
constexpr CUresult NOTHING_TO_DO = -1;

// The checks every copy and fill makes first (a current context, a live stream); NOTHING_TO_DO
// when it has no bytes to move, which the driver accepts without looking further.
CUresult stream_work_ready(void* stream, std::size_t bytes) {
    if (CUresult r = ready()) {
        return r;
    }
    if (!valid_stream(stream)) {
        return INVALID_HANDLE;
    }
    return bytes == 0 ? NOTHING_TO_DO : SUCCESS;
}
}  // namespace

STRIX_API CUresult cuMemAlloc_v2(CUdeviceptr* pointer, std::size_t bytes) {
    LOCKED;
    if (CUresult r = ready()) {
        return r;
    }
    if (pointer == nullptr || bytes == 0) {
        return fail(INVALID_VALUE, "cuMemAlloc_v2: null output or 0 bytes");
    }
    if (CUresult r = refuse_if_capturing("cuMemAlloc_v2")) {
        return r;
    }
    if (bytes > TOTAL_MEMORY - std::min(TOTAL_MEMORY, strix_emulator::device_bytes_in_use())) {
        return fail(OUT_OF_MEMORY, "cuMemAlloc_v2: " + std::to_string(bytes) + " bytes");
    }
    void* p = strix_emulator::allocate_device(bytes);
    if (p == nullptr) {
        return fail(OUT_OF_MEMORY, "cuMemAlloc_v2: the host has no " + std::to_string(bytes) + " bytes");
    }
    *pointer = reinterpret_cast<CUdeviceptr>(p);
    return SUCCESS;
}

STRIX_API CUresult cuMemFree_v2(CUdeviceptr pointer) {
    LOCKED;
    if (CUresult r = ready()) {
        return r;
    }
    if (pointer == 0) {
        return SUCCESS;
    }
    if (CUresult r = refuse_if_capturing("cuMemFree_v2")) {
        return r;
    }
    // Freeing waits for the device, as cudaFree does: queued work may still use the memory.
    strix_emulator::run_queued_work();
    if (!strix_emulator::free_device(reinterpret_cast<void*>(pointer))) {
        return fail(INVALID_VALUE, "cuMemFree_v2: not the start of a live allocation");
    }
    return SUCCESS;
}

STRIX_API CUresult cuMemAllocHost_v2(void** pointer, std::size_t bytes) {
    LOCKED;
    if (CUresult r = ready()) {
        return r;
    }
    if (pointer == nullptr || bytes == 0) {
        return INVALID_VALUE;
    }
    if (CUresult r = refuse_if_capturing("cuMemAllocHost_v2")) {
        return r;
    }
    *pointer = strix_emulator::allocate_pinned(bytes);
    return *pointer == nullptr ? OUT_OF_MEMORY : SUCCESS;
}

STRIX_API CUresult cuMemFreeHost(void* pointer) {
    LOCKED;
    if (CUresult r = ready()) {
        return r;
    }
    if (CUresult r = refuse_if_capturing("cuMemFreeHost")) {
        return r;
    }
    // Freeing waits for the device, as cudaFreeHost does: queued copies may still use the memory.
    strix_emulator::run_queued_work();
    if (pointer != nullptr && !strix_emulator::free_pinned(pointer)) {
        return fail(INVALID_VALUE, "cuMemFreeHost: not a pointer from cuMemAllocHost");
    }
    return sticky_error;
}

STRIX_API CUresult cuMemcpyHtoDAsync_v2(CUdeviceptr dst, const void* src, std::size_t bytes, void* stream) {
    LOCKED;
    if (CUresult r = stream_work_ready(stream, bytes)) {
        return r == NOTHING_TO_DO ? SUCCESS : r;
    }
    if (src == nullptr) {
        return fail(INVALID_VALUE, "cuMemcpyHtoDAsync_v2: null source");
    }
    if (CUresult r = check_range(dst, bytes, "cuMemcpyHtoDAsync_v2", "destination")) {
        return r;
    }
    if (strix_emulator::is_pinned(src, bytes)) {
        // Read when the copy runs: the host must not touch the buffer until it has waited.
        strix_emulator::enqueue(stream, [dst, src, bytes] { std::memcpy(reinterpret_cast<void*>(dst), src, bytes); });
    } else {
        // Pageable memory is staged before the call returns, so the caller may reuse it at once.
        auto staged = std::make_shared<std::vector<unsigned char>>(static_cast<const unsigned char*>(src),
                                                                     static_cast<const unsigned char*>(src) + bytes);
        strix_emulator::enqueue(stream, [dst, staged] {
            std::memcpy(reinterpret_cast<void*>(dst), staged->data(), staged->size());
        });
    }
    return SUCCESS;
}

STRIX_API CUresult cuMemcpyDtoHAsync_v2(void* dst, CUdeviceptr src, std::size_t bytes, void* stream) {
    LOCKED;
    if (CUresult r = stream_work_ready(stream, bytes)) {
        return r == NOTHING_TO_DO ? SUCCESS : r;
    }
    if (dst == nullptr) {
        return fail(INVALID_VALUE, "cuMemcpyDtoHAsync_v2: null destination");
    }
    if (CUresult r = check_range(src, bytes, "cuMemcpyDtoHAsync_v2", "source")) {
        return r;
    }
    if (strix_emulator::is_pinned(dst, bytes)) {
        // Written when the copy runs: the host must wait before it reads the buffer.
        strix_emulator::enqueue(stream, [dst, src, bytes] { std::memcpy(dst, reinterpret_cast<void*>(src), bytes); });
    } else {
        // Into pageable memory the copy is synchronous: everything before it runs, then the copy.
        // A synchronous copy cannot be recorded into a graph.
        Stream* s = stream_of(stream);
        if (s != nullptr && s->capture_status != CAPTURE_STATUS_NONE) {
            s->capture_status = CAPTURE_STATUS_INVALIDATED;
            return fail(STREAM_CAPTURE_UNSUPPORTED, "cuMemcpyDtoHAsync_v2 into pageable memory while capturing");
        }
        strix_emulator::run_queued_work();
        if (sticky_error != SUCCESS) {
            return sticky_error;
        }
        std::memcpy(dst, reinterpret_cast<void*>(src), bytes);
    }
    return SUCCESS;
}

STRIX_API CUresult cuMemcpyDtoDAsync_v2(CUdeviceptr dst, CUdeviceptr src, std::size_t bytes, void* stream) {
    LOCKED;
    if (CUresult r = stream_work_ready(stream, bytes)) {
        return r == NOTHING_TO_DO ? SUCCESS : r;
    }
    if (CUresult r = check_range(src, bytes, "cuMemcpyDtoDAsync_v2", "source")) {
        return r;
    }
    if (CUresult r = check_range(dst, bytes, "cuMemcpyDtoDAsync_v2", "destination")) {
        return r;
    }
    strix_emulator::enqueue(stream, [dst, src, bytes] {
        std::memmove(reinterpret_cast<void*>(dst), reinterpret_cast<void*>(src), bytes);
    });
    return SUCCESS;
}

STRIX_API CUresult cuMemsetD8Async(CUdeviceptr dst, unsigned char value, std::size_t count, void* stream) {
    LOCKED;
    if (CUresult r = stream_work_ready(stream, count)) {
        return r == NOTHING_TO_DO ? SUCCESS : r;
    }
    if (CUresult r = check_range(dst, count, "cuMemsetD8Async", "destination")) {
        return r;
    }
    strix_emulator::enqueue(stream, [dst, value, count] { std::memset(reinterpret_cast<void*>(dst), value, count); });
    return SUCCESS;
}

STRIX_API CUresult cuMemsetD32Async(CUdeviceptr dst, unsigned value, std::size_t count, void* stream) {
    LOCKED;
    if (CUresult r = stream_work_ready(stream, count)) {
        return r == NOTHING_TO_DO ? SUCCESS : r;
    }
    if (dst % 4 != 0) {
        return fail(INVALID_VALUE, "cuMemsetD32Async: destination not 4-byte aligned");
    }
    if (CUresult r = check_range(dst, count * 4, "cuMemsetD32Async", "destination")) {
        return r;
    }
    strix_emulator::enqueue(stream, [dst, value, count] {
        unsigned* p = reinterpret_cast<unsigned*>(dst);
        for (std::size_t i = 0; i < count; i++) {
            p[i] = value;
        }
    });
    return SUCCESS;
}
