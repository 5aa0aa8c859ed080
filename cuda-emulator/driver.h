// libcuda.so.1 of the emulator (driver_*.cpp): the part of the CUDA driver API that dev.strix.cuda
// calls (tools/jextract/cuda.args), with the driver's argument checks and its rules for stream
// capture, so that mistakes on the Java side fail here as they would on a GPU.
//
// The prototypes are our own, written to the driver API's documented C ABI; enum values are the
// driver's. Streams run work at once (see runtime.h), so "asynchronous" calls have finished when they
// return, except while their stream captures a graph.
//
// This header holds what those files share: result codes, handle types, the driver's state and the
// checks every call makes. Every function here expects api_lock() held.
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "kernels.h"
#include "runtime.h"

namespace strix_emulator::driver {

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
constexpr CUresult ILLEGAL_ADDRESS = 700;
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
    // CU_EVENT_DISABLE_TIMING (2): the driver keeps no time, and cuEventElapsedTime refuses the event.
    bool timing = true;
    std::chrono::steady_clock::time_point time;
};

struct Function {
    std::string name;
    strix_emulator::Binder binder;
};

struct Module {
    std::map<std::string, std::unique_ptr<Function>> functions;
};

constexpr std::size_t TOTAL_MEMORY = 16ULL << 30;

const char* error_name(CUresult r);
const char* error_description(CUresult r);

extern bool initialised;
extern int primary_context_references;
extern Context primary_context;
extern thread_local Context* current_context;
extern std::map<Stream*, std::unique_ptr<Stream>> streams;
// A kernel that failed while running (a deadlock) poisons the context, as a device fault does.
extern CUresult sticky_error;
extern unsigned launches;

// Prints why and returns r.
CUresult fail(CUresult r, const std::string& why);
// The checks every context-bound call makes first.
CUresult ready();
Stream* stream_of(void* handle);
bool valid_stream(void* handle);
// A capture in global or thread-local mode forbids "potentially unsafe" calls such as cuMemAlloc;
// one made anyway fails and invalidates the capture, as the driver does.
CUresult refuse_if_capturing(const char* call);
CUresult check_range(CUdeviceptr address, std::size_t bytes, const char* call, const char* what);

}  // namespace strix_emulator::driver

#define LOCKED std::lock_guard<std::recursive_mutex> guard(strix_emulator::api_lock())
