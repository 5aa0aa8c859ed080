// Device allocations of the emulator; see memory.cpp. Callers hold api_lock().
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace strix_emulator {

// A new allocation of `bytes` (256-byte aligned, filled with 0xFF), or null when the host has no memory.
void* allocate_device(std::size_t bytes);
// Frees an allocation made by allocate_device; false when `pointer` is not the start of one.
bool free_device(void* pointer);
std::size_t device_bytes_in_use();
// Empty, or which allocation has had bytes past its end (but before its guard page) written.
std::string check_canaries();

// Page-locked ("pinned") host memory from cuMemAllocHost: copies to and from it run when the
// queue runs, where copies with pageable memory take or give their bytes at the call.
void* allocate_pinned(std::size_t bytes);
bool free_pinned(void* pointer);
// Whether [pointer, pointer + bytes) lies inside one pinned allocation.
bool is_pinned(const void* pointer, std::size_t bytes);

}  // namespace strix_emulator
