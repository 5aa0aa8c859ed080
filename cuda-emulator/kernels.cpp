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

template <typename T>
std::string check_argument(const T& value, std::size_t index) {
    if constexpr (std::is_pointer_v<T>) {
        if (value != nullptr) {
            std::string problem = check_device_range(reinterpret_cast<std::uintptr_t>(value), 1);
            if (!problem.empty()) {
                return "parameter " + std::to_string(index) + " (a pointer): " + problem;
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
