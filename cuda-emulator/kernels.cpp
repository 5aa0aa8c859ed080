// cuda-src compiled for the host (through device.h), and the table that cuModuleGetFunction reads.
// The list of kernels, kernel_list.inc, is made by build.sh from the extern "C" __global__
// declarations, so a new kernel needs no change here. selftest_kernels.cu adds a few that break the
// rules on purpose, for the emulator's own self-test.
#include "kernels.h"

#include <cstdint>
#include <map>
#include <tuple>
#include <utility>

#include "device.h"
#include "runtime.h"
#include "strix_kernels.cu"
#include "selftest_kernels.cu"

namespace strix_emulator {
namespace {

// What a pointer to P must be aligned to on a GPU (a void* names no type: the kernel casts it).
template <typename P>
constexpr std::size_t alignment_of() {
    if constexpr (std::is_void_v<P>) {
        return 1;
    } else {
        return alignof(P);
    }
}

// A pointer argument must point into a live device allocation, aligned for what it points to: on a
// GPU a float* or double* off its natural alignment faults (CUDA_ERROR_MISALIGNED_ADDRESS) at the
// first access, where the host would read it without complaint.
template <typename T>
std::string check_argument(const T& value, std::size_t index) {
    if constexpr (std::is_pointer_v<T>) {
        if (value != nullptr) {
            std::uintptr_t address = reinterpret_cast<std::uintptr_t>(value);
            std::string problem = check_device_range(address, 1);
            if (!problem.empty()) {
                return "parameter " + std::to_string(index) + " (a pointer): " + problem;
            }
            constexpr std::size_t alignment = alignment_of<std::remove_cv_t<std::remove_pointer_t<T>>>();
            if (address % alignment != 0) {
                return "parameter " + std::to_string(index) + " (a pointer to " + std::to_string(alignment) +
                       "-byte values) is not aligned to " + std::to_string(alignment) +
                       " bytes (a GPU faults with CUDA_ERROR_MISALIGNED_ADDRESS)";
            }
        }
    }
    return "";
}

template <typename... A, std::size_t... I>
BoundKernel bind_values(void (*kernel)(A...), void** params, std::index_sequence<I...>) {
    std::tuple<std::decay_t<A>...> values{*static_cast<std::decay_t<A>*>(params[I])...};
    BoundKernel bound;
    for (const std::string& problem : {check_argument(std::get<I>(values), I)..., std::string()}) {
        if (!problem.empty() && bound.error.empty()) {
            bound.error = problem;
        }
    }
    auto note_pointer = [&bound](const auto& value) {
        if constexpr (std::is_pointer_v<std::decay_t<decltype(value)>>) {
            if (value != nullptr) {
                bound.pointers.push_back(reinterpret_cast<std::uintptr_t>(value));
            }
        }
    };
    (note_pointer(std::get<I>(values)), ...);
    bound.thread = [kernel, values] { std::apply(kernel, values); };
    return bound;
}

template <typename... A>
BoundKernel bind_any(void (*kernel)(A...), void** params) {
    return bind_values(kernel, params, std::index_sequence_for<A...>{});
}

#define STRIX_KERNEL(name) {#name, [](void** params) { return bind_any(&::name, params); }},

const std::map<std::string, Binder> TABLE = {
#include "kernel_list.inc"
};

}  // namespace

Binder find_kernel(const std::string& name) {
    auto it = TABLE.find(name);
    return it == TABLE.end() ? nullptr : it->second;
}

}  // namespace strix_emulator
