// The host side shared by strix's CUDA emulator libraries (libcuda.so.1, libcublas.so.13,
// libcudnn.so.9 built from this folder): "device" memory is host memory, a stream is a queue that
// runs each piece of work at once, unless the stream is capturing a CUDA graph, in which case the
// work is recorded and runs when the graph is launched. Everything runs on the calling thread.
//
// The emulator exists so that the Java CUDA backend (argument packing, launch geometry, graph capture,
// library calls) and our kernels can be tested on machines without a GPU. It says nothing about
// speed, and it runs a block's threads one at a time, so it cannot show races that need real overlap.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>

namespace strix_emulator {

// Runs `work` now, or records it when `stream` is capturing a graph. `stream` is the CUstream handle
// the caller was given (null means the legacy default stream, which never captures here).
void enqueue(void* stream, std::function<void()> work);

// Checks that [address, address + bytes) lies inside one live device allocation; returns an empty
// string when it does, else a description of the problem for an error message.
std::string check_device_range(std::uintptr_t address, std::size_t bytes);

// Records an error message that the next failing call reports through cuGetErrorString-like paths
// and prints it to stderr with the "[strix emulator]" prefix.
void report(const std::string& message);

}  // namespace strix_emulator
