// What CUDA C gives a kernel, for compiling cuda-src with g++ into the emulator (kernels.cpp).
//
// A block's threads are fibers on one host thread (grid.cpp): a thread runs until it meets a barrier
// (__syncthreads, or the warp barrier inside a shuffle), then the next thread runs. So __shared__
// variables can simply be statics, atomics need no hardware, and the thread and block indices are
// globals that the scheduler sets before it resumes a thread.
#pragma once

#include <cmath>
#include <cstdint>
#include <cstring>
#include <type_traits>

struct dim3 {
    unsigned x = 1, y = 1, z = 1;
};

namespace strix_emulator {
// Set when a kernel adds floats atomically: their sum then depends on the order of the adds, so the
// order check (driver_kernels.cpp) does not compare that launch's two runs.
extern bool floating_atomic_add;
extern dim3 thread_index;
extern dim3 block_index;
extern dim3 block_size;
extern dim3 grid_size;

// Barriers, in grid.cpp, out of the compiler's sight: it must assume a barrier changes shared memory.
void block_barrier();
void warp_barrier();
// This thread's 8-byte exchange slot in the running block (one per thread), and the slot of `thread`.
void* exchange_slot(unsigned thread);
unsigned linear_thread();
}  // namespace strix_emulator

#define threadIdx strix_emulator::thread_index
#define blockIdx strix_emulator::block_index
#define blockDim strix_emulator::block_size
#define gridDim strix_emulator::grid_size

#define __global__
#define __device__
#define __host__
#define __forceinline__ inline
#define __restrict__ __restrict
#define __launch_bounds__(...)
// One copy per kernel for all threads; blocks run one after another, so one block's values never
// meet another's. All of them live in one section, which grid.cpp fills with 0xFF bytes (NaN as
// float) before each block: a GPU's shared memory holds no promised contents at block start either,
// and a thread that reads what no thread of its block wrote should see garbage, not what the
// previous block (or the other run of the order check) left there.
#define __shared__ static __attribute__((section("strix_shared")))

inline void __syncthreads() { strix_emulator::block_barrier(); }

// __shfl_xor_sync: every lane of the warp publishes its value, waits for the others, reads its
// partner's, and waits again so that no lane overwrites a slot that another has yet to read.
template <typename T>
inline T __shfl_xor_sync(unsigned /*mask*/, T value, int laneMask) {
    static_assert(sizeof(T) <= 8 && std::is_trivially_copyable_v<T>, "shuffles move at most 8 bytes");
    unsigned self = strix_emulator::linear_thread();
    std::memcpy(strix_emulator::exchange_slot(self), &value, sizeof(T));
    strix_emulator::warp_barrier();
    unsigned partner = (self & ~31u) | ((self & 31u) ^ (unsigned)laneMask);
    T other;
    std::memcpy(&other, strix_emulator::exchange_slot(partner), sizeof(T));
    strix_emulator::warp_barrier();
    return other;
}

// Atomics: threads never run at the same time here, so a plain read-modify-write is atomic.
template <typename T>
inline T atomicAdd(T* address, T value) {
    if constexpr (std::is_floating_point_v<T>) {
        strix_emulator::floating_atomic_add = true;
    }
    T old = *address;
    *address = old + value;
    return old;
}
template <typename T>
inline T atomicMin(T* address, T value) {
    T old = *address;
    if (value < old) {
        *address = value;
    }
    return old;
}
template <typename T>
inline T atomicMax(T* address, T value) {
    T old = *address;
    if (value > old) {
        *address = value;
    }
    return old;
}

// CUDA's integer min and max for mixed operand types (int with long long, ...).
template <typename A, typename B>
inline std::common_type_t<A, B> min(A a, B b) { return b < a ? b : a; }
template <typename A, typename B>
inline std::common_type_t<A, B> max(A a, B b) { return a < b ? b : a; }

// Round-to-nearest operations that nvcc never fuses into an FMA. The kernels are compiled with FMA
// contraction on, as nvcc compiles them (so a*b + c may become one rounding, on the host as on the
// GPU); the empty asm makes each result opaque, so these are never fused.
template <typename T>
inline T strix_rounded(T value) {
    asm("" : "+x"(value));
    return value;
}
inline float __fadd_rn(float a, float b) { return strix_rounded(a + b); }
inline float __fsub_rn(float a, float b) { return strix_rounded(a - b); }
inline float __fmul_rn(float a, float b) { return strix_rounded(a * b); }
inline float __fdiv_rn(float a, float b) { return strix_rounded(a / b); }
inline float __fsqrt_rn(float a) { return strix_rounded(std::sqrt(a)); }
inline double __dadd_rn(double a, double b) { return strix_rounded(a + b); }
inline double __dmul_rn(double a, double b) { return strix_rounded(a * b); }

inline float __int_as_float(int bits) {
    float f;
    std::memcpy(&f, &bits, 4);
    return f;
}
inline int __float_as_int(float f) {
    int bits;
    std::memcpy(&bits, &f, 4);
    return bits;
}
