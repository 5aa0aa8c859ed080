// A self-test of STRIX_EMULATOR_ORDER_CHECK (driver_kernels.cpp) and of the shared memory poisoned at
// each block's start (grid.cpp): the rule-breaking kernels of selftest_kernels.cu must fail their
// launch, or show the poison, and the rule-keeping one must pass. A failed launch's error sticks to
// the context, so each case runs in its own child process. build.sh runs it; it ends with
// "OK (0 failures)".
#include <sys/wait.h>
#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <functional>

#include "selftest.h"

extern "C" {
int cuInit(unsigned);
int cuDevicePrimaryCtxRetain(void**, int);
int cuCtxSetCurrent(void*);
int cuStreamSynchronize(void*);
int cuMemAlloc_v2(unsigned long long*, size_t);
int cuStreamCreate(void**, unsigned);
int cuMemcpyDtoHAsync_v2(void*, unsigned long long, size_t, void*);
int cuModuleLoadData(void**, const void*);
int cuModuleGetFunction(void**, void*, const char*);
int cuLaunchKernel(void*, unsigned, unsigned, unsigned, unsigned, unsigned, unsigned, unsigned, void*, void**,
                   void**);
}

constexpr int LAUNCH_FAILED = 719;


static void* module = nullptr;
static void* stream = nullptr;

// Launches kernel `name` on `blocks` blocks of `threads` with the given device pointers, waits, and
// returns what the wait said.
static int launch(const char* name, unsigned blocks, unsigned threads, unsigned long long a,
                  unsigned long long b = 0) {
    void* function = nullptr;
    if (cuModuleGetFunction(&function, module, name) != 0) {
        std::printf("no kernel %s\n", name);
        return -1;
    }
    void* params[] = {&a, &b};
    if (cuLaunchKernel(function, blocks, 1, 1, threads, 1, 1, 0, stream, params, nullptr) != 0) {
        return -1;
    }
    return cuStreamSynchronize(stream);
}

static unsigned long long allocate(size_t floats) {
    unsigned long long p = 0;
    cuMemAlloc_v2(&p, floats * sizeof(float));
    return p;
}

// Runs `test` in a child process with the order check on or off; true when the child exits with 0.
static bool in_child(bool order_check, const std::function<bool()>& test) {
    std::fflush(stdout);
    pid_t child = fork();
    if (child == 0) {
        setenv("STRIX_EMULATOR_ORDER_CHECK", order_check ? "1" : "0", 1);
        void* context = nullptr;
        unsigned char image[16] = {0x50, 0xed, 0x55, 0xba};
        bool ready = cuInit(0) == 0 && cuDevicePrimaryCtxRetain(&context, 0) == 0 && cuCtxSetCurrent(context) == 0 &&
                     cuStreamCreate(&stream, 1) == 0 && cuModuleLoadData(&module, image) == 0;
        std::_Exit(ready && test() ? 0 : 1);
    }
    int status = 0;
    waitpid(child, &status, 0);
    return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

int main() {
    // The kernel with the barrier gives every thread its neighbour's index, in both runs.
    CHECK(in_child(true, [] {
        unsigned long long out = allocate(2 * 256);
        float host[2 * 256];
        if (launch("emulator_selftest_shared_with_barrier", 2, 256, out) != 0 ||
            cuMemcpyDtoHAsync_v2(host, out, sizeof host, stream) != 0) {
            return false;
        }
        for (int i = 0; i < 2 * 256; i++) {
            if (host[i] != (float)((i % 256 + 1) % 256)) {
                return false;
            }
        }
        return true;
    }));
    // Without the barrier: the two runs disagree, and the launch fails.
    CHECK(in_child(true, [] {
        return launch("emulator_selftest_shared_without_barrier", 2, 256, allocate(2 * 256)) == LAUNCH_FAILED;
    }));
    // Two blocks writing one element, and a block reading its neighbour's output: both fail.
    CHECK(in_child(true, [] {
        return launch("emulator_selftest_blocks_write_one_element", 8, 32, allocate(1)) == LAUNCH_FAILED;
    }));
    CHECK(in_child(true, [] {
        return launch("emulator_selftest_block_reads_neighbour", 8, 32, allocate(8), allocate(8)) == LAUNCH_FAILED;
    }));
    // Without the order check those launches succeed, but shared memory that no thread of the block
    // wrote reads as NaN, whatever an earlier block or launch left there.
    CHECK(in_child(false, [] {
        unsigned long long out = allocate(4);
        float host[4];
        if (launch("emulator_selftest_shared_with_barrier", 1, 256, allocate(256)) != 0 ||
            launch("emulator_selftest_shared_unwritten", 4, 32, out) != 0 ||
            cuMemcpyDtoHAsync_v2(host, out, sizeof host, stream) != 0) {
            return false;
        }
        return std::isnan(host[0]) && std::isnan(host[1]) && std::isnan(host[2]) && std::isnan(host[3]);
    }));

    return selftest_result();
}
