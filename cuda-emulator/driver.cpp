// libcuda.so.1 of the emulator: the part of the CUDA driver API that dev.strix.cuda calls
// (tools/jextract/cuda.args), with the driver's argument checks and its rules for stream capture, so
// that mistakes on the Java side fail here as they would on a GPU.
//
// The prototypes are our own, written to the driver API's documented C ABI; enum values are the
// driver's. Streams run work at once (see runtime.h), so "asynchronous" calls have finished when they
// return, except while their stream captures a graph.
#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <cstdio>
#include <cstring>
#include <map>
#include <memory>
#include <stdexcept>
#include <thread>
#include <vector>

#include "grid.h"
#include "kernels.h"
#include "memory.h"
#include "runtime.h"

namespace {

using CUresult = int;
using CUdeviceptr = unsigned long long;

// CUresult values used here (cuda.h).
constexpr CUresult SUCCESS = 0;
constexpr CUresult INVALID_VALUE = 1;
constexpr CUresult OUT_OF_MEMORY = 2;
constexpr CUresult NOT_INITIALIZED = 3;
constexpr CUresult INVALID_DEVICE = 101;
constexpr CUresult INVALID_IMAGE = 200;
constexpr CUresult INVALID_CONTEXT = 201;
constexpr CUresult INVALID_HANDLE = 400;
constexpr CUresult NOT_FOUND = 500;
constexpr CUresult NOT_READY = 600;
constexpr CUresult LAUNCH_FAILED = 719;
constexpr CUresult STREAM_CAPTURE_UNSUPPORTED = 900;
constexpr CUresult STREAM_CAPTURE_INVALIDATED = 901;
constexpr CUresult STREAM_CAPTURE_WRONG_THREAD = 908;

// CUstreamCaptureMode and CUstreamCaptureStatus.
constexpr int CAPTURE_MODE_GLOBAL = 0;
constexpr int CAPTURE_MODE_THREAD_LOCAL = 1;
constexpr int CAPTURE_MODE_RELAXED = 2;
constexpr int CAPTURE_STATUS_NONE = 0;
constexpr int CAPTURE_STATUS_ACTIVE = 1;
constexpr int CAPTURE_STATUS_INVALIDATED = 2;

const char* error_name(CUresult r) {
    switch (r) {
        case SUCCESS: return "CUDA_SUCCESS";
        case INVALID_VALUE: return "CUDA_ERROR_INVALID_VALUE";
        case OUT_OF_MEMORY: return "CUDA_ERROR_OUT_OF_MEMORY";
        case NOT_INITIALIZED: return "CUDA_ERROR_NOT_INITIALIZED";
        case INVALID_DEVICE: return "CUDA_ERROR_INVALID_DEVICE";
        case INVALID_IMAGE: return "CUDA_ERROR_INVALID_IMAGE";
        case INVALID_CONTEXT: return "CUDA_ERROR_INVALID_CONTEXT";
        case INVALID_HANDLE: return "CUDA_ERROR_INVALID_HANDLE";
        case NOT_FOUND: return "CUDA_ERROR_NOT_FOUND";
        case NOT_READY: return "CUDA_ERROR_NOT_READY";
        case LAUNCH_FAILED: return "CUDA_ERROR_LAUNCH_FAILED";
        case STREAM_CAPTURE_UNSUPPORTED: return "CUDA_ERROR_STREAM_CAPTURE_UNSUPPORTED";
        case STREAM_CAPTURE_INVALIDATED: return "CUDA_ERROR_STREAM_CAPTURE_INVALIDATED";
        case STREAM_CAPTURE_WRONG_THREAD: return "CUDA_ERROR_STREAM_CAPTURE_WRONG_THREAD";
        default: return nullptr;
    }
}

// The driver's own descriptions (cuGetErrorString).
const char* error_description(CUresult r) {
    switch (r) {
        case SUCCESS: return "no error";
        case INVALID_VALUE: return "invalid argument";
        case OUT_OF_MEMORY: return "out of memory";
        case NOT_INITIALIZED: return "initialization error";
        case INVALID_DEVICE: return "invalid device ordinal";
        case INVALID_IMAGE: return "device kernel image is invalid";
        case INVALID_CONTEXT: return "invalid device context";
        case INVALID_HANDLE: return "invalid resource handle";
        case NOT_FOUND: return "named symbol not found";
        case NOT_READY: return "device not ready";
        case LAUNCH_FAILED: return "unspecified launch failure";
        case STREAM_CAPTURE_UNSUPPORTED: return "operation not permitted when stream is capturing";
        case STREAM_CAPTURE_INVALIDATED: return "operation failed due to a previous error during capture";
        case STREAM_CAPTURE_WRONG_THREAD: return "attempt to terminate a thread-local capture sequence from another thread";
        default: return nullptr;
    }
}

struct Context {
    int device = 0;
};

struct Graph {
    std::vector<std::function<void()>> work;
};

struct Stream {
    int capture_status = CAPTURE_STATUS_NONE;
    int capture_mode = CAPTURE_MODE_GLOBAL;
    std::thread::id capturing_thread;
    std::unique_ptr<Graph> graph;
};

struct Event {
    bool recorded = false;
    std::chrono::steady_clock::time_point time;
};

struct Function {
    std::string name;
    strix_emulator::Binder binder;
};

struct Module {
    std::map<std::string, std::unique_ptr<Function>> functions;
};

bool initialised = false;
int primary_context_references = 0;
Context primary_context;
thread_local Context* current_context = nullptr;
std::map<Stream*, std::unique_ptr<Stream>> streams;
// A kernel that failed while running (a deadlock) poisons the context, as a device fault does.
CUresult sticky_error = SUCCESS;
unsigned launches = 0;

constexpr std::size_t TOTAL_MEMORY = 16ULL << 30;

CUresult fail(CUresult r, const std::string& why) {
    strix_emulator::report(std::string(error_name(r) ? error_name(r) : "error") + ": " + why);
    return r;
}

// The checks every context-bound call makes first.
CUresult ready() {
    if (!initialised) {
        return NOT_INITIALIZED;
    }
    if (sticky_error != SUCCESS) {
        return sticky_error;
    }
    if (current_context == nullptr) {
        return fail(INVALID_CONTEXT, "no context is current on this thread (cuCtxSetCurrent first)");
    }
    return SUCCESS;
}

Stream* stream_of(void* handle) {
    if (handle == nullptr) {
        return nullptr;
    }
    auto it = streams.find(static_cast<Stream*>(handle));
    return it == streams.end() ? nullptr : it->second.get();
}

bool valid_stream(void* handle) { return handle == nullptr || stream_of(handle) != nullptr; }

// A capture in global or thread-local mode forbids "potentially unsafe" calls such as cuMemAlloc;
// one made anyway fails and invalidates the capture, as the driver does.
CUresult refuse_if_capturing(const char* call) {
    for (auto& [key, s] : streams) {
        bool binding = s->capture_mode == CAPTURE_MODE_GLOBAL ||
                       (s->capture_mode == CAPTURE_MODE_THREAD_LOCAL && s->capturing_thread == std::this_thread::get_id());
        if (s->capture_status == CAPTURE_STATUS_ACTIVE && binding) {
            s->capture_status = CAPTURE_STATUS_INVALIDATED;
            return fail(STREAM_CAPTURE_UNSUPPORTED, std::string(call) + " while a stream captures a graph");
        }
    }
    return SUCCESS;
}

CUresult check_range(CUdeviceptr address, std::size_t bytes, const char* call, const char* what) {
    std::string problem = strix_emulator::check_device_range(address, bytes);
    return problem.empty() ? SUCCESS : fail(INVALID_VALUE, std::string(call) + ": " + what + ": " + problem);
}

// Runs queued work, turning a kernel's failure into the sticky launch error.
void run_guarded(const std::function<void()>& work) {
    if (sticky_error != SUCCESS) {
        return;
    }
    try {
        work();
    } catch (const std::exception& e) {
        sticky_error = LAUNCH_FAILED;
        strix_emulator::report(std::string("CUDA_ERROR_LAUNCH_FAILED: ") + e.what());
    }
}

}  // namespace

namespace strix_emulator {

std::recursive_mutex& api_lock() {
    static std::recursive_mutex lock;
    return lock;
}

void report(const std::string& message) { std::fprintf(stderr, "[strix emulator] %s\n", message.c_str()); }

void enqueue(void* handle, std::function<void()> work) {
    Stream* s = stream_of(handle);
    if (s != nullptr && s->capture_status == CAPTURE_STATUS_ACTIVE) {
        s->graph->work.push_back(std::move(work));
    } else if (s == nullptr || s->capture_status == CAPTURE_STATUS_NONE) {
        run_guarded(work);
    }
    // Work issued on an invalidated capture is dropped; cuStreamEndCapture reports it.
}

}  // namespace strix_emulator

using strix_emulator::api_lock;
#define LOCKED std::lock_guard<std::recursive_mutex> guard(api_lock())

STRIX_API CUresult cuInit(unsigned flags) {
    LOCKED;
    if (flags != 0) {
        return fail(INVALID_VALUE, "cuInit: flags must be 0");
    }
    initialised = true;
    return SUCCESS;
}

STRIX_API CUresult cuDriverGetVersion(int* version) {
    if (version == nullptr) {
        return INVALID_VALUE;
    }
    *version = 13000;
    return SUCCESS;
}

STRIX_API CUresult cuDeviceGetCount(int* count) {
    LOCKED;
    if (!initialised) {
        return NOT_INITIALIZED;
    }
    if (count == nullptr) {
        return INVALID_VALUE;
    }
    *count = 1;
    return SUCCESS;
}

STRIX_API CUresult cuDeviceGet(int* device, int ordinal) {
    LOCKED;
    if (!initialised) {
        return NOT_INITIALIZED;
    }
    if (device == nullptr) {
        return INVALID_VALUE;
    }
    if (ordinal != 0) {
        return fail(INVALID_DEVICE, "cuDeviceGet: the emulator has device 0 only");
    }
    *device = 0;
    return SUCCESS;
}

STRIX_API CUresult cuDeviceGetName(char* name, int length, int device) {
    LOCKED;
    if (!initialised) {
        return NOT_INITIALIZED;
    }
    if (device != 0) {
        return INVALID_DEVICE;
    }
    if (name == nullptr || length <= 0) {
        return INVALID_VALUE;
    }
    std::snprintf(name, length, "%s", "strix CUDA emulator (host CPU, not a GPU)");
    return SUCCESS;
}

STRIX_API CUresult cuDeviceGetAttribute(int* value, int attribute, int device) {
    LOCKED;
    if (!initialised) {
        return NOT_INITIALIZED;
    }
    if (device != 0) {
        return INVALID_DEVICE;
    }
    if (value == nullptr) {
        return INVALID_VALUE;
    }
    switch (attribute) {
        case 1: *value = 1024; return SUCCESS;   // max threads per block
        case 16: *value = 132; return SUCCESS;   // multiprocessors, as an H100/H200
        case 75: *value = 9; return SUCCESS;     // compute capability major
        case 76: *value = 0; return SUCCESS;     // compute capability minor
        default: return fail(INVALID_VALUE, "cuDeviceGetAttribute: attribute " + std::to_string(attribute) +
                                                " is not emulated");
    }
}

STRIX_API CUresult cuDeviceTotalMem_v2(std::size_t* bytes, int device) {
    LOCKED;
    if (!initialised) {
        return NOT_INITIALIZED;
    }
    if (device != 0) {
        return INVALID_DEVICE;
    }
    if (bytes == nullptr) {
        return INVALID_VALUE;
    }
    *bytes = TOTAL_MEMORY;
    return SUCCESS;
}

STRIX_API CUresult cuGetErrorName(CUresult error, const char** text) {
    if (text == nullptr) {
        return INVALID_VALUE;
    }
    *text = error_name(error);
    return *text == nullptr ? INVALID_VALUE : SUCCESS;
}

STRIX_API CUresult cuGetErrorString(CUresult error, const char** text) {
    if (text == nullptr) {
        return INVALID_VALUE;
    }
    *text = error_description(error);
    return *text == nullptr ? INVALID_VALUE : SUCCESS;
}

STRIX_API CUresult cuDevicePrimaryCtxRetain(void** context, int device) {
    LOCKED;
    if (!initialised) {
        return NOT_INITIALIZED;
    }
    if (device != 0) {
        return INVALID_DEVICE;
    }
    if (context == nullptr) {
        return INVALID_VALUE;
    }
    primary_context_references++;
    *context = &primary_context;
    return SUCCESS;
}

STRIX_API CUresult cuDevicePrimaryCtxRelease_v2(int device) {
    LOCKED;
    if (!initialised) {
        return NOT_INITIALIZED;
    }
    if (device != 0) {
        return INVALID_DEVICE;
    }
    if (primary_context_references == 0) {
        return fail(INVALID_CONTEXT, "cuDevicePrimaryCtxRelease_v2: the primary context is not retained");
    }
    primary_context_references--;
    return SUCCESS;
}

STRIX_API CUresult cuCtxSetCurrent(void* context) {
    LOCKED;
    if (!initialised) {
        return NOT_INITIALIZED;
    }
    if (context != nullptr && context != &primary_context) {
        return fail(INVALID_CONTEXT, "cuCtxSetCurrent: not a context of this driver");
    }
    current_context = static_cast<Context*>(context);
    return SUCCESS;
}

STRIX_API CUresult cuCtxSynchronize() {
    LOCKED;
    if (CUresult r = ready()) {
        return r;
    }
    return refuse_if_capturing("cuCtxSynchronize");
}

STRIX_API CUresult cuMemGetInfo_v2(std::size_t* free, std::size_t* total) {
    LOCKED;
    if (CUresult r = ready()) {
        return r;
    }
    if (free == nullptr || total == nullptr) {
        return INVALID_VALUE;
    }
    *total = TOTAL_MEMORY;
    *free = TOTAL_MEMORY - std::min(TOTAL_MEMORY, strix_emulator::device_bytes_in_use());
    return SUCCESS;
}

// ---- streams and events

STRIX_API CUresult cuStreamCreate(void** stream, unsigned flags) {
    LOCKED;
    if (CUresult r = ready()) {
        return r;
    }
    if (stream == nullptr || flags > 1) {
        return fail(INVALID_VALUE, "cuStreamCreate: null output or flags other than 0/CU_STREAM_NON_BLOCKING");
    }
    auto s = std::make_unique<Stream>();
    Stream* key = s.get();
    streams[key] = std::move(s);
    *stream = key;
    return SUCCESS;
}

STRIX_API CUresult cuStreamDestroy_v2(void* stream) {
    LOCKED;
    if (CUresult r = ready()) {
        return r;
    }
    if (stream_of(stream) == nullptr) {
        return fail(INVALID_HANDLE, "cuStreamDestroy_v2: not a live stream");
    }
    streams.erase(static_cast<Stream*>(stream));
    return SUCCESS;
}

STRIX_API CUresult cuStreamSynchronize(void* stream) {
    LOCKED;
    if (CUresult r = ready()) {
        return r;
    }
    Stream* s = stream_of(stream);
    if (!valid_stream(stream)) {
        return fail(INVALID_HANDLE, "cuStreamSynchronize: not a live stream");
    }
    if (s != nullptr && s->capture_status != CAPTURE_STATUS_NONE) {
        s->capture_status = CAPTURE_STATUS_INVALIDATED;
        return fail(STREAM_CAPTURE_UNSUPPORTED, "cuStreamSynchronize on a stream that captures a graph");
    }
    return refuse_if_capturing("cuStreamSynchronize");
}

STRIX_API CUresult cuStreamIsCapturing(void* stream, int* status) {
    LOCKED;
    if (CUresult r = ready()) {
        return r;
    }
    if (status == nullptr || !valid_stream(stream)) {
        return INVALID_VALUE;
    }
    Stream* s = stream_of(stream);
    *status = s == nullptr ? CAPTURE_STATUS_NONE : s->capture_status;
    return SUCCESS;
}

STRIX_API CUresult cuEventCreate(void** event, unsigned flags) {
    LOCKED;
    if (CUresult r = ready()) {
        return r;
    }
    if (event == nullptr) {
        return INVALID_VALUE;
    }
    (void)flags;
    *event = new Event();
    return SUCCESS;
}

STRIX_API CUresult cuEventRecord(void* event, void* stream) {
    LOCKED;
    if (CUresult r = ready()) {
        return r;
    }
    if (event == nullptr || !valid_stream(stream)) {
        return INVALID_HANDLE;
    }
    Event* e = static_cast<Event*>(event);
    strix_emulator::enqueue(stream, [e] {
        e->recorded = true;
        e->time = std::chrono::steady_clock::now();
    });
    return SUCCESS;
}

STRIX_API CUresult cuEventSynchronize(void* event) {
    LOCKED;
    if (CUresult r = ready()) {
        return r;
    }
    return event == nullptr ? INVALID_HANDLE : SUCCESS;
}

STRIX_API CUresult cuEventElapsedTime_v2(float* milliseconds, void* start, void* end) {
    LOCKED;
    if (CUresult r = ready()) {
        return r;
    }
    if (milliseconds == nullptr || start == nullptr || end == nullptr) {
        return INVALID_VALUE;
    }
    Event* a = static_cast<Event*>(start);
    Event* b = static_cast<Event*>(end);
    if (!a->recorded || !b->recorded) {
        return NOT_READY;
    }
    *milliseconds = std::chrono::duration<float, std::milli>(b->time - a->time).count();
    return SUCCESS;
}

STRIX_API CUresult cuEventDestroy_v2(void* event) {
    LOCKED;
    if (event == nullptr) {
        return INVALID_HANDLE;
    }
    delete static_cast<Event*>(event);
    return SUCCESS;
}

// ---- memory

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
    *pointer = std::aligned_alloc(4096, (bytes + 4095) / 4096 * 4096);
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
    std::free(pointer);
    return SUCCESS;
}

STRIX_API CUresult cuMemcpyHtoDAsync_v2(CUdeviceptr dst, const void* src, std::size_t bytes, void* stream) {
    LOCKED;
    if (CUresult r = ready()) {
        return r;
    }
    if (!valid_stream(stream)) {
        return INVALID_HANDLE;
    }
    if (bytes == 0) {
        return SUCCESS;
    }
    if (src == nullptr) {
        return fail(INVALID_VALUE, "cuMemcpyHtoDAsync_v2: null source");
    }
    if (CUresult r = check_range(dst, bytes, "cuMemcpyHtoDAsync_v2", "destination")) {
        return r;
    }
    strix_emulator::enqueue(stream, [dst, src, bytes] { std::memcpy(reinterpret_cast<void*>(dst), src, bytes); });
    return SUCCESS;
}

STRIX_API CUresult cuMemcpyDtoHAsync_v2(void* dst, CUdeviceptr src, std::size_t bytes, void* stream) {
    LOCKED;
    if (CUresult r = ready()) {
        return r;
    }
    if (!valid_stream(stream)) {
        return INVALID_HANDLE;
    }
    if (bytes == 0) {
        return SUCCESS;
    }
    if (dst == nullptr) {
        return fail(INVALID_VALUE, "cuMemcpyDtoHAsync_v2: null destination");
    }
    if (CUresult r = check_range(src, bytes, "cuMemcpyDtoHAsync_v2", "source")) {
        return r;
    }
    strix_emulator::enqueue(stream, [dst, src, bytes] { std::memcpy(dst, reinterpret_cast<void*>(src), bytes); });
    return SUCCESS;
}

STRIX_API CUresult cuMemcpyDtoDAsync_v2(CUdeviceptr dst, CUdeviceptr src, std::size_t bytes, void* stream) {
    LOCKED;
    if (CUresult r = ready()) {
        return r;
    }
    if (!valid_stream(stream)) {
        return INVALID_HANDLE;
    }
    if (bytes == 0) {
        return SUCCESS;
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
    if (CUresult r = ready()) {
        return r;
    }
    if (!valid_stream(stream)) {
        return INVALID_HANDLE;
    }
    if (count == 0) {
        return SUCCESS;
    }
    if (CUresult r = check_range(dst, count, "cuMemsetD8Async", "destination")) {
        return r;
    }
    strix_emulator::enqueue(stream, [dst, value, count] { std::memset(reinterpret_cast<void*>(dst), value, count); });
    return SUCCESS;
}

STRIX_API CUresult cuMemsetD32Async(CUdeviceptr dst, unsigned value, std::size_t count, void* stream) {
    LOCKED;
    if (CUresult r = ready()) {
        return r;
    }
    if (!valid_stream(stream)) {
        return INVALID_HANDLE;
    }
    if (count == 0) {
        return SUCCESS;
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

// ---- our kernels

STRIX_API CUresult cuModuleLoadData(void** module, const void* image) {
    LOCKED;
    if (CUresult r = ready()) {
        return r;
    }
    if (module == nullptr || image == nullptr) {
        return INVALID_VALUE;
    }
    // The fatbin that nvcc built is not run (its kernels were compiled for the host instead), but it
    // must be one: a fatbin starts with the magic 0xBA55ED50.
    unsigned magic;
    std::memcpy(&magic, image, 4);
    if (magic != 0xBA55ED50u) {
        return fail(INVALID_IMAGE, "cuModuleLoadData: the image is not a fatbin");
    }
    *module = new Module();
    return SUCCESS;
}

STRIX_API CUresult cuModuleUnload(void* module) {
    LOCKED;
    if (CUresult r = ready()) {
        return r;
    }
    if (module == nullptr) {
        return INVALID_HANDLE;
    }
    delete static_cast<Module*>(module);
    return SUCCESS;
}

STRIX_API CUresult cuModuleGetFunction(void** function, void* module, const char* name) {
    LOCKED;
    if (CUresult r = ready()) {
        return r;
    }
    if (function == nullptr || module == nullptr || name == nullptr) {
        return INVALID_VALUE;
    }
    Module* m = static_cast<Module*>(module);
    auto it = m->functions.find(name);
    if (it == m->functions.end()) {
        strix_emulator::Binder binder = strix_emulator::find_kernel(name);
        if (binder == nullptr) {
            return fail(NOT_FOUND, std::string("cuModuleGetFunction: no kernel called ") + name);
        }
        it = m->functions.emplace(name, std::make_unique<Function>(Function{name, binder})).first;
    }
    *function = it->second.get();
    return SUCCESS;
}

STRIX_API CUresult cuLaunchKernel(void* function, unsigned gridX, unsigned gridY, unsigned gridZ, unsigned blockX,
                                  unsigned blockY, unsigned blockZ, unsigned sharedBytes, void* stream,
                                  void** params, void** extra) {
    LOCKED;
    if (CUresult r = ready()) {
        return r;
    }
    if (function == nullptr) {
        return INVALID_HANDLE;
    }
    if (!valid_stream(stream)) {
        return fail(INVALID_HANDLE, "cuLaunchKernel: not a live stream");
    }
    Function* f = static_cast<Function*>(function);
    std::string where = "cuLaunchKernel(" + f->name + "): ";
    unsigned long long threads = (unsigned long long)blockX * blockY * blockZ;
    if (threads == 0 || threads > 1024 || blockZ > 64 || gridX == 0 || gridY == 0 || gridZ == 0 ||
        gridX > 0x7fffffffu || gridY > 65535 || gridZ > 65535) {
        return fail(INVALID_VALUE, where + "grid (" + std::to_string(gridX) + "," + std::to_string(gridY) + "," +
                                       std::to_string(gridZ) + ") of blocks (" + std::to_string(blockX) + "," +
                                       std::to_string(blockY) + "," + std::to_string(blockZ) + ")");
    }
    if (sharedBytes > 48 * 1024) {
        return fail(INVALID_VALUE, where + "more than 48 KiB of dynamic shared memory");
    }
    if (extra != nullptr) {
        return fail(INVALID_VALUE, where + "the emulator takes kernelParams, not extra");
    }
    strix_emulator::BoundKernel bound = f->binder(params);
    if (!bound.error.empty()) {
        return fail(INVALID_VALUE, where + bound.error);
    }
    dim3 grid{gridX, gridY, gridZ};
    dim3 block{blockX, blockY, blockZ};
    std::string name = f->name;
    unsigned seed = ++launches;
    strix_emulator::enqueue(stream, [grid, block, thread = std::move(bound.thread), name, seed] {
        try {
            strix_emulator::run_grid(grid, block, thread, seed);
        } catch (const std::exception& e) {
            throw std::runtime_error(name + ": " + e.what());
        }
    });
    return sticky_error;
}

// ---- CUDA graphs

STRIX_API CUresult cuStreamBeginCapture_v2(void* stream, int mode) {
    LOCKED;
    if (CUresult r = ready()) {
        return r;
    }
    Stream* s = stream_of(stream);
    if (s == nullptr) {
        return fail(INVALID_VALUE, "cuStreamBeginCapture_v2: the legacy stream cannot capture");
    }
    if (mode < CAPTURE_MODE_GLOBAL || mode > CAPTURE_MODE_RELAXED) {
        return fail(INVALID_VALUE, "cuStreamBeginCapture_v2: mode " + std::to_string(mode));
    }
    if (s->capture_status != CAPTURE_STATUS_NONE) {
        return fail(INVALID_VALUE, "cuStreamBeginCapture_v2: the stream already captures");
    }
    s->capture_status = CAPTURE_STATUS_ACTIVE;
    s->capture_mode = mode;
    s->capturing_thread = std::this_thread::get_id();
    s->graph = std::make_unique<Graph>();
    return SUCCESS;
}

STRIX_API CUresult cuStreamEndCapture(void* stream, void** graph) {
    LOCKED;
    if (CUresult r = ready()) {
        return r;
    }
    Stream* s = stream_of(stream);
    if (s == nullptr || graph == nullptr || s->capture_status == CAPTURE_STATUS_NONE) {
        return fail(INVALID_VALUE, "cuStreamEndCapture: the stream is not capturing");
    }
    if (s->capture_mode == CAPTURE_MODE_THREAD_LOCAL && s->capturing_thread != std::this_thread::get_id()) {
        return fail(STREAM_CAPTURE_WRONG_THREAD, "cuStreamEndCapture: another thread began the capture");
    }
    bool invalidated = s->capture_status == CAPTURE_STATUS_INVALIDATED;
    s->capture_status = CAPTURE_STATUS_NONE;
    std::unique_ptr<Graph> g = std::move(s->graph);
    if (invalidated) {
        *graph = nullptr;
        return STREAM_CAPTURE_INVALIDATED;
    }
    *graph = g.release();
    return SUCCESS;
}

STRIX_API CUresult cuGraphInstantiateWithFlags(void** exec, void* graph, unsigned long long flags) {
    LOCKED;
    if (CUresult r = ready()) {
        return r;
    }
    if (exec == nullptr || graph == nullptr) {
        return INVALID_VALUE;
    }
    (void)flags;
    *exec = new Graph(*static_cast<Graph*>(graph));
    return SUCCESS;
}

STRIX_API CUresult cuGraphLaunch(void* exec, void* stream) {
    LOCKED;
    if (CUresult r = ready()) {
        return r;
    }
    if (exec == nullptr || !valid_stream(stream)) {
        return INVALID_HANDLE;
    }
    Graph* g = static_cast<Graph*>(exec);
    strix_emulator::enqueue(stream, [g] {
        for (const auto& work : g->work) {
            work();
        }
    });
    return sticky_error;
}

STRIX_API CUresult cuGraphExecDestroy(void* exec) {
    LOCKED;
    if (exec == nullptr) {
        return INVALID_HANDLE;
    }
    delete static_cast<Graph*>(exec);
    return SUCCESS;
}

STRIX_API CUresult cuGraphDestroy(void* graph) {
    LOCKED;
    if (graph == nullptr) {
        return INVALID_HANDLE;
    }
    delete static_cast<Graph*>(graph);
    return SUCCESS;
}
