// "Device" memory: host pages, each allocation ending just below a page that may not be touched, so a
// kernel reading or writing past the end of its buffer faults at once instead of corrupting a
// neighbour. Where the size is not a multiple of the 256-byte alignment, the few bytes between the
// end and the guard page hold a canary that check_canaries() finds overwritten. New allocations are filled with 0xFF bytes (a NaN in every float), as a GPU gives no
// zeroed memory either and code that forgets to initialise should see it.
#include "memory.h"

#include "runtime.h"

#include <sys/mman.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>

namespace strix_emulator {
namespace {

struct Allocation {
    std::size_t bytes;
    void* mapping;
    std::size_t mapping_bytes;
};

std::map<std::uintptr_t, Allocation> allocations;
std::size_t allocated = 0;

constexpr std::size_t ALIGNMENT = 256;  // what cuMemAlloc guarantees
constexpr unsigned char CANARY = 0xA5;

std::string hex(std::uintptr_t value) {
    char text[24];
    std::snprintf(text, sizeof text, "0x%llx", (unsigned long long)value);
    return text;
}

}  // namespace

void* allocate_device(std::size_t bytes) {
    std::size_t page = (std::size_t)sysconf(_SC_PAGESIZE);
    std::size_t padded = (bytes + ALIGNMENT - 1) / ALIGNMENT * ALIGNMENT;
    std::size_t data_pages = (padded + page - 1) / page * page;
    std::size_t mapping_bytes = data_pages + page;
    void* m = mmap(nullptr, mapping_bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (m == MAP_FAILED) {
        return nullptr;
    }
    char* guard = static_cast<char*>(m) + data_pages;
    mprotect(guard, page, PROT_NONE);
    char* data = guard - padded;
    std::memset(data, 0xFF, bytes);
    std::memset(data + bytes, CANARY, padded - bytes);
    allocations[reinterpret_cast<std::uintptr_t>(data)] = Allocation{bytes, m, mapping_bytes};
    allocated += bytes;
    return data;
}

bool free_device(void* pointer) {
    auto it = allocations.find(reinterpret_cast<std::uintptr_t>(pointer));
    if (it == allocations.end()) {
        return false;
    }
    munmap(it->second.mapping, it->second.mapping_bytes);
    allocated -= it->second.bytes;
    allocations.erase(it);
    return true;
}

std::size_t device_bytes_in_use() { return allocated; }

std::string check_canaries() {
    std::size_t page = (std::size_t)sysconf(_SC_PAGESIZE);
    for (const auto& [address, a] : allocations) {
        const unsigned char* data = reinterpret_cast<const unsigned char*>(address);
        // The data ends `padded` bytes before the guard page, which ends the mapping.
        const unsigned char* guard = static_cast<const unsigned char*>(a.mapping) + a.mapping_bytes - page;
        for (const unsigned char* p = data + a.bytes; p < guard; p++) {
            if (*p != CANARY) {
                return "a write past the end of the allocation of " + std::to_string(a.bytes) + " bytes at " +
                       hex(address) + " (byte " + std::to_string(p - data) + ")";
            }
        }
    }
    return "";
}

namespace {
std::map<std::uintptr_t, std::size_t> pinned;
}  // namespace

void* allocate_pinned(std::size_t bytes) {
    void* p = std::aligned_alloc(4096, (bytes + 4095) / 4096 * 4096);
    if (p != nullptr) {
        pinned[reinterpret_cast<std::uintptr_t>(p)] = bytes;
    }
    return p;
}

bool free_pinned(void* pointer) {
    auto it = pinned.find(reinterpret_cast<std::uintptr_t>(pointer));
    if (it == pinned.end()) {
        return false;
    }
    pinned.erase(it);
    std::free(pointer);
    return true;
}

bool is_pinned(const void* pointer, std::size_t bytes) {
    auto address = reinterpret_cast<std::uintptr_t>(pointer);
    auto it = pinned.upper_bound(address);
    if (it == pinned.begin()) {
        return false;
    }
    --it;
    return address - it->first <= it->second && bytes <= it->second - (address - it->first);
}

std::string check_device_range(std::uintptr_t address, std::size_t bytes) {
    auto it = allocations.upper_bound(address);
    if (it == allocations.begin()) {
        return "address " + hex(address) + " is not in any device allocation";
    }
    --it;
    std::uintptr_t begin = it->first;
    std::uintptr_t end = begin + it->second.bytes;
    if (address >= end || (address == end && bytes > 0)) {
        return "address " + hex(address) + " is not in any device allocation (nearest below ends at " +
               hex(end) + ")";
    }
    if (bytes > end - address) {
        return std::to_string(bytes) + " bytes from offset " + std::to_string(address - begin) +
               " overrun an allocation of " + std::to_string(it->second.bytes) + " bytes";
    }
    return "";
}

}  // namespace strix_emulator
