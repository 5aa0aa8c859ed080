// The host side shared by strix's CUDA emulator libraries (libcuda.so.1, libcublas.so.13,
// libcudnn.so.9 built from this folder): "device" memory is host memory, and work issued on a stream
// is queued, as on a GPU, and runs in issue order only when the host waits for it (a stream, event
// or context synchronisation, a copy into pageable host memory, a free). So a host that reads a
// pinned buffer before waiting, or overwrites the source of a pending upload, sees what it would
// see on a slow GPU. While a stream captures a CUDA graph, its work is recorded instead, and runs
// when the graph is launched (queued in turn). Everything runs on the calling thread.
//
// The emulator exists so that the Java CUDA backend (argument packing, launch geometry, graph capture,
// library calls) and our kernels can be tested on machines without a GPU. It says nothing about
// speed, and it runs a block's threads one at a time, so it cannot show races that need real overlap.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>

// Functions the emulated libraries export; everything else is hidden (-fvisibility=hidden).
#define STRIX_EXPORT __attribute__((visibility("default")))
#define STRIX_API extern "C" STRIX_EXPORT

namespace strix_emulator {

// Queues `work`, or records it when `stream` is capturing a graph. `stream` is the CUstream handle
// the caller was given (null means the legacy default stream, which never captures here). The work
// must own what it reads from the host at the time of the call.
STRIX_EXPORT void enqueue(void* stream, std::function<void()> work);

// Whether `stream` (a CUstream handle; null is the legacy default stream) is capturing a graph.
STRIX_EXPORT bool is_capturing(void* stream);

// Runs every queued piece of work, in issue order (what a wait on the device amounts to here).
STRIX_EXPORT void run_queued_work();

// Checks that [address, address + bytes) lies inside one live device allocation; returns an empty
// string when it does, else a description of the problem for an error message.
STRIX_EXPORT std::string check_device_range(std::uintptr_t address, std::size_t bytes);

// Prints why a call is about to fail, to stderr with the prefix "[strix emulator]", since an error
// code alone rarely says which argument was wrong.
STRIX_EXPORT void report(const std::string& message);

// Serialises every call into the emulated libraries: kernels run on fibers that share globals.
STRIX_EXPORT std::recursive_mutex& api_lock();

}  // namespace strix_emulator
