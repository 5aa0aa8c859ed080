// Device allocations of the emulator; see memory.cpp. Callers hold api_lock().
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace strix_emulator {

// A new allocation of `bytes` (256-byte aligned, filled with 0xFF), or null when the host has no memory.
void* allocate_device(std::size_t bytes);
// Frees an allocation made by allocate_device; false when `pointer` is not the start of one.
bool free_device(void* pointer);
std::size_t device_bytes_in_use();
// Empty, or which allocation has had bytes past its end (but before its guard page) written.
std::string check_canaries();

// The bytes of some device allocations at one moment: the order check runs a launch twice from the
// same state and compares the results.
struct DeviceImage {
    struct Part {
        std::uintptr_t address;
        std::vector<unsigned char> bytes;
    };
    std::vector<Part> parts;
};
// The start addresses of the allocations a kernel given these pointer arguments can reach: those the
// pointers point into and, transitively, those that an aligned 8-byte word inside a reachable
// allocation points into (tables of pointers, such as the one Adam's single launch reads). Float
// data that happens to look like a pointer only adds an allocation.
std::vector<std::uintptr_t> reachable_allocations(const std::vector<std::uintptr_t>& pointers);
// Copies the allocations starting at `starts` into `image`, reusing its buffers (captured twice per
// launch under the order check, so fresh buffers each time would cost page faults).
void capture_device(DeviceImage& image, const std::vector<std::uintptr_t>& starts);
// Puts back the bytes of `image` (whose allocations must all still be live).
void restore_device(const DeviceImage& image);
// Empty, or where device memory now first differs from `image`: the allocation, the byte offset and,
// read as float32, the two values.
std::string compare_device(const DeviceImage& image);

// Page-locked ("pinned") host memory from cuMemAllocHost: copies to and from it run when the
// queue runs, where copies with pageable memory take or give their bytes at the call.
void* allocate_pinned(std::size_t bytes);
bool free_pinned(void* pointer);
// Whether [pointer, pointer + bytes) lies inside one pinned allocation.
bool is_pinned(const void* pointer, std::size_t bytes);

}  // namespace strix_emulator
