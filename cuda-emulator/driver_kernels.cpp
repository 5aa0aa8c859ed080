// Emulated driver API: our kernel module and kernel launches (kernels.h, grid.h).
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <stdexcept>

#include "driver.h"
#include "grid.h"
#include "memory.h"

using namespace strix_emulator::driver;

namespace {
// STRIX_EMULATOR_TRACE=1 prints every kernel as it runs (name and launch geometry), to see what a
// step of the Java side issues.
bool trace() {
    static const bool on = [] {
        const char* v = std::getenv("STRIX_EMULATOR_TRACE");
        return v != nullptr && std::string(v) == "1";
    }();
    return on;
}

// STRIX_EMULATOR_ORDER_CHECK=1 runs every launch twice from the same device memory, the second time
// in exactly the reverse order of blocks and threads (grid.cpp), and fails the launch when the two
// results differ: a race between threads or blocks (a missing barrier, two blocks writing one
// element, a block reading what another writes) puts its accesses in the other order the second
// time. Launches that add floats atomically are run once (their sums depend on the order anyway).
bool order_check() {
    static const bool on = [] {
        const char* v = std::getenv("STRIX_EMULATOR_ORDER_CHECK");
        return v != nullptr && std::string(v) == "1";
    }();
    return on;
}

void run_checked(dim3 grid, dim3 block, const std::function<void()>& thread, unsigned seed,
                 const std::vector<std::uintptr_t>& pointers) {
    if (!order_check()) {
        strix_emulator::run_grid(grid, block, thread, seed);
        return;
    }
    // Only what the kernel can reach is captured (a cuDNN workspace of 256 MiB is not).
    std::vector<std::uintptr_t> reachable = strix_emulator::reachable_allocations(pointers);
    // Kept from launch to launch, buffers and all; launches run one at a time, under the API lock.
    static strix_emulator::DeviceImage before, forward;
    strix_emulator::capture_device(before, reachable);
    strix_emulator::floating_atomic_add = false;
    strix_emulator::run_grid(grid, block, thread, seed);
    if (strix_emulator::floating_atomic_add) {
        return;
    }
    strix_emulator::capture_device(forward, reachable);
    strix_emulator::restore_device(before);
    strix_emulator::run_grid(grid, block, thread, seed, true);
    std::string difference = strix_emulator::compare_device(forward);
    if (!difference.empty()) {
        throw std::runtime_error("the result depends on the order in which blocks and threads run (a race): " +
                                 difference);
    }
}
}  // namespace


STRIX_API CUresult cuModuleLoadData(void** module, const void* image) {
    LOCKED;
    if (CUresult r = ready()) {
        return r;
    }
    if (module == nullptr || image == nullptr) {
        return INVALID_VALUE;
    }
    // The fatbin that nvcc built is not run (its kernels were compiled for the host instead), but it
    // must be one: a fatbin starts with the magic 0xBA55ED50.
    unsigned magic;
    std::memcpy(&magic, image, 4);
    if (magic != 0xBA55ED50u) {
        return fail(INVALID_IMAGE, "cuModuleLoadData: the image is not a fatbin");
    }
    *module = new Module();
    return SUCCESS;
}

STRIX_API CUresult cuModuleUnload(void* module) {
    LOCKED;
    if (CUresult r = ready()) {
        return r;
    }
    if (module == nullptr) {
        return INVALID_HANDLE;
    }
    strix_emulator::run_queued_work();
    delete static_cast<Module*>(module);
    return SUCCESS;
}

STRIX_API CUresult cuModuleGetFunction(void** function, void* module, const char* name) {
    LOCKED;
    if (CUresult r = ready()) {
        return r;
    }
    if (function == nullptr || module == nullptr || name == nullptr) {
        return INVALID_VALUE;
    }
    Module* m = static_cast<Module*>(module);
    auto it = m->functions.find(name);
    if (it == m->functions.end()) {
        strix_emulator::Binder binder = strix_emulator::find_kernel(name);
        if (binder == nullptr) {
            return fail(NOT_FOUND, std::string("cuModuleGetFunction: no kernel called ") + name);
        }
        it = m->functions.emplace(name, std::make_unique<Function>(Function{name, binder})).first;
    }
    *function = it->second.get();
    return SUCCESS;
}

STRIX_API CUresult cuLaunchKernel(void* function, unsigned gridX, unsigned gridY, unsigned gridZ, unsigned blockX,
                                  unsigned blockY, unsigned blockZ, unsigned sharedBytes, void* stream,
                                  void** params, void** extra) {
    LOCKED;
    if (CUresult r = ready()) {
        return r;
    }
    if (function == nullptr) {
        return INVALID_HANDLE;
    }
    if (!valid_stream(stream)) {
        return fail(INVALID_HANDLE, "cuLaunchKernel: not a live stream");
    }
    Function* f = static_cast<Function*>(function);
    std::string where = "cuLaunchKernel(" + f->name + "): ";
    unsigned long long threads = (unsigned long long)blockX * blockY * blockZ;
    if (threads == 0 || threads > 1024 || blockZ > 64 || gridX == 0 || gridY == 0 || gridZ == 0 ||
        gridX > 0x7fffffffu || gridY > 65535 || gridZ > 65535) {
        return fail(INVALID_VALUE, where + "grid (" + std::to_string(gridX) + "," + std::to_string(gridY) + "," +
                                       std::to_string(gridZ) + ") of blocks (" + std::to_string(blockX) + "," +
                                       std::to_string(blockY) + "," + std::to_string(blockZ) + ")");
    }
    if (sharedBytes > 48 * 1024) {
        return fail(INVALID_VALUE, where + "more than 48 KiB of dynamic shared memory");
    }
    if (extra != nullptr) {
        return fail(INVALID_VALUE, where + "the emulator takes kernelParams, not extra");
    }
    strix_emulator::BoundKernel bound = f->binder(params);
    if (!bound.error.empty()) {
        return fail(INVALID_VALUE, where + bound.error);
    }
    dim3 grid{gridX, gridY, gridZ};
    dim3 block{blockX, blockY, blockZ};
    std::string name = f->name;
    unsigned seed = ++launches;
    strix_emulator::enqueue(stream, [grid, block, thread = std::move(bound.thread), pointers = std::move(bound.pointers),
                                     name, seed] {
        if (trace()) {
            std::fprintf(stderr, "[strix emulator] launch %s grid %u x %u x %u, block %u x %u x %u\n", name.c_str(),
                         grid.x, grid.y, grid.z, block.x, block.y, block.z);
        }
        try {
            run_checked(grid, block, thread, seed, pointers);
        } catch (const std::exception& e) {
            throw std::runtime_error(name + ": " + e.what());
        }
    });
    return sticky_error;
}
