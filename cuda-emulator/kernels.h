// The table of our kernels, compiled for the host, by their extern "C" names; see kernels.cpp.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace strix_emulator {

// One kernel bound to its arguments: `thread` is one CUDA thread's work.
struct BoundKernel {
    std::function<void()> thread;
    std::string error;                      // non-empty when the arguments were refused
    std::vector<std::uintptr_t> pointers;  // the pointer arguments, for the order check
};

// Binds cuLaunchKernel's `params` (one pointer per parameter, to the parameter's bytes) to the
// kernel: the values are copied now, as the driver does. Pointer parameters must be null or point
// into a live device allocation.
using Binder = BoundKernel (*)(void** params);

// The kernel called `name`, or null when there is none.
Binder find_kernel(const std::string& name);

}  // namespace strix_emulator
