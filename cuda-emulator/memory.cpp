// "Device" memory: host pages, each allocation ending just below a page that may not be touched, so a
// kernel reading or writing past the end of its buffer faults at once instead of corrupting a
// neighbour. Where the size is not a multiple of the 256-byte alignment, the few bytes between the
// end and the guard page hold a canary that check_canaries() finds overwritten. New allocations are filled with 0xFF bytes (a NaN in every float), as a GPU gives no
// zeroed memory either and code that forgets to initialise should see it.
#include "memory.h"

#include "runtime.h"

#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
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
// The allocation holding `address`, or allocations.end().
std::map<std::uintptr_t, Allocation>::const_iterator allocation_holding(std::uintptr_t address) {
    auto it = allocations.upper_bound(address);
    if (it == allocations.begin()) {
        return allocations.end();
    }
    --it;
    return address < it->first + it->second.bytes ? it : allocations.end();
}
}  // namespace

std::vector<std::uintptr_t> reachable_allocations(const std::vector<std::uintptr_t>& pointers) {
    std::vector<std::uintptr_t> found;
    auto add = [&found](std::uintptr_t address) {
        auto it = allocation_holding(address);
        if (it != allocations.end() && std::find(found.begin(), found.end(), it->first) == found.end()) {
            found.push_back(it->first);
        }
    };
    for (std::uintptr_t p : pointers) {
        add(p);
    }
    if (allocations.empty()) {
        return found;
    }
    std::uintptr_t lowest = allocations.begin()->first;
    std::uintptr_t highest = allocations.rbegin()->first + allocations.rbegin()->second.bytes;
    for (std::size_t i = 0; i < found.size(); i++) {  // grows as it goes
        const Allocation& a = allocations.at(found[i]);
        for (std::size_t at = 0; at + 8 <= a.bytes; at += 8) {
            std::uintptr_t word;
            std::memcpy(&word, reinterpret_cast<const unsigned char*>(found[i]) + at, 8);
            if (word >= lowest && word < highest) {
                add(word);
            }
        }
    }
    return found;
}

void capture_device(DeviceImage& image, const std::vector<std::uintptr_t>& starts) {
    image.parts.resize(starts.size());
    for (std::size_t i = 0; i < starts.size(); i++) {
        const unsigned char* data = reinterpret_cast<const unsigned char*>(starts[i]);
        image.parts[i].address = starts[i];
        image.parts[i].bytes.assign(data, data + allocations.at(starts[i]).bytes);
    }
}

void restore_device(const DeviceImage& image) {
    for (const DeviceImage::Part& part : image.parts) {
        std::memcpy(reinterpret_cast<void*>(part.address), part.bytes.data(), part.bytes.size());
    }
}

std::string compare_device(const DeviceImage& image) {
    for (const DeviceImage::Part& part : image.parts) {
        const unsigned char* now = reinterpret_cast<const unsigned char*>(part.address);
        if (std::memcmp(now, part.bytes.data(), part.bytes.size()) == 0) {
            continue;
        }
        std::size_t at = 0;
        while (now[at] == part.bytes[at]) {
            at++;
        }
        std::size_t word = at / 4 * 4;
        std::string values;
        if (word + 4 <= part.bytes.size()) {
            float first, second;
            std::memcpy(&first, part.bytes.data() + word, 4);
            std::memcpy(&second, now + word, 4);
            char text[96];
            std::snprintf(text, sizeof text, " (as float32: %.9g one way, %.9g the other)", first, second);
            values = text;
        }
        return "byte " + std::to_string(at) + " of the allocation of " + std::to_string(part.bytes.size()) +
               " bytes at " + hex(part.address) + values;
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
