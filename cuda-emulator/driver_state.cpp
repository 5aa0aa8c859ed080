// The emulated driver's state and the checks shared by its calls (driver.h), and the stream queue
// that every emulated library issues work through (runtime.h).
#include <cstdio>
#include <cstdlib>
#include <stdexcept>

#include "driver.h"
#include "memory.h"

namespace strix_emulator::driver {

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
        case ILLEGAL_ADDRESS: return "CUDA_ERROR_ILLEGAL_ADDRESS";
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
        case ILLEGAL_ADDRESS: return "an illegal memory access was encountered";
        case LAUNCH_FAILED: return "unspecified launch failure";
        case STREAM_CAPTURE_UNSUPPORTED: return "operation not permitted when stream is capturing";
        case STREAM_CAPTURE_INVALIDATED: return "operation failed due to a previous error during capture";
        case STREAM_CAPTURE_WRONG_THREAD: return "attempt to terminate a thread-local capture sequence from another thread";
        default: return nullptr;
    }
}

bool initialised = false;
int primary_context_references = 0;
Context primary_context;
thread_local Context* current_context = nullptr;
std::map<Stream*, std::unique_ptr<Stream>> streams;
CUresult sticky_error = SUCCESS;
unsigned launches = 0;

CUresult fail(CUresult r, const std::string& why) {
    strix_emulator::report(std::string(error_name(r) ? error_name(r) : "error") + ": " + why);
    return r;
}

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

namespace {

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

}  // namespace strix_emulator::driver


namespace strix_emulator {

using namespace driver;

std::recursive_mutex& api_lock() {
    static std::recursive_mutex lock;
    return lock;
}

void report(const std::string& message) { std::fprintf(stderr, "[strix emulator] %s\n", message.c_str()); }

namespace {
// The device's queue: work issued and not yet run. One queue for all streams keeps issue order,
// which is at least as strict as the ordering streams promise.
std::vector<std::function<void()>> queued;
// A bound on what waits in the queue, after which it runs anyway (as a GPU would have by then).
constexpr std::size_t QUEUE_LIMIT = 100000;

// STRIX_EMULATOR_SYNCHRONOUS=1 runs work as it is issued: a failure that goes away with it is a
// missing wait on the host's side (and host code that reads device memory directly may use it).
bool synchronous() {
    static const bool on = [] {
        const char* v = std::getenv("STRIX_EMULATOR_SYNCHRONOUS");
        return v != nullptr && std::string(v) == "1";
    }();
    return on;
}
}  // namespace

void enqueue(void* handle, std::function<void()> work) {
    Stream* s = stream_of(handle);
    if (s != nullptr && s->capture_status == CAPTURE_STATUS_ACTIVE) {
        s->graph->work.push_back(std::move(work));
    } else if (s == nullptr || s->capture_status == CAPTURE_STATUS_NONE) {
        queued.push_back(std::move(work));
        if (queued.size() >= QUEUE_LIMIT || synchronous()) {
            run_queued_work();
        }
    }
    // Work issued on an invalidated capture is dropped; cuStreamEndCapture reports it.
}

bool is_capturing(void* handle) {
    Stream* s = stream_of(handle);
    return s != nullptr && s->capture_status != CAPTURE_STATUS_NONE;
}

void run_queued_work() {
    // Swapped out first: work never issues work, but a failure must not leave half a queue behind.
    std::vector<std::function<void()>> work;
    work.swap(queued);
    for (const auto& w : work) {
        run_guarded(w);
    }
    if (!work.empty() && sticky_error == SUCCESS) {
        std::string overrun = check_canaries();
        if (!overrun.empty()) {
            sticky_error = ILLEGAL_ADDRESS;
            report(std::string("CUDA_ERROR_ILLEGAL_ADDRESS: ") + overrun);
        }
    }
}

}  // namespace strix_emulator
