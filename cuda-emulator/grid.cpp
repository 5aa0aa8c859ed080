// Runs a kernel's grid on the calling host thread: blocks one after another, and within a block each
// CUDA thread as a fiber that runs until it finishes or waits at a barrier. Fibers switch with
// context_switch.h's few instructions rather than swapcontext, whose signal-mask system call made
// shuffle-heavy kernels a hundred times slower.
//
// Threads start in a scrambled order (a different one per block, fixed per launch), so a kernel
// whose result depends on which thread of a block runs first shows it here too. A launch can also
// be run in exactly the reverse order (blocks, thread starts and barrier releases): any two
// accesses of a race then come in the other order, which the order check (driver_kernels.cpp)
// uses. A barrier opens when every thread that has not yet returned is waiting at it, as on Volta
// and later; threads left waiting when nothing else can run are a deadlock (a barrier inside
// divergent code), reported as a failed launch.
#include "grid.h"

#include <sys/mman.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <numeric>
#include <stdexcept>
#include <vector>

#include "context_switch.h"
#include "device.h"

// Where the linker put the kernels' __shared__ variables (device.h); weak, as a build whose kernels
// had none would have no such section.
extern "C" {
extern char __start_strix_shared[] __attribute__((weak));
extern char __stop_strix_shared[] __attribute__((weak));
}

namespace strix_emulator {

bool floating_atomic_add = false;
dim3 thread_index;
dim3 block_index;
dim3 block_size;
dim3 grid_size;

namespace {

constexpr std::size_t STACK_BYTES = 256 * 1024;

enum class Waiting { NONE, BLOCK, WARP };

struct Fiber {
    void* sp = nullptr;
    char* stack = nullptr;
    bool started = false;
    bool finished = false;
    Waiting waiting = Waiting::NONE;
};

// Fiber stacks, each with a guard page below it, kept for reuse by later blocks and launches.
std::vector<char*> free_stacks;

// The seed of the launch being run, which identifies it.
unsigned long long launch_number = 0;

char* take_stack() {
    if (!free_stacks.empty()) {
        char* s = free_stacks.back();
        free_stacks.pop_back();
        return s;
    }
    long page = sysconf(_SC_PAGESIZE);
    void* m = mmap(nullptr, STACK_BYTES + page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (m == MAP_FAILED) {
        throw std::runtime_error("cannot map a fiber stack");
    }
    mprotect(m, page, PROT_NONE);
    return static_cast<char*>(m) + page;
}

// The block being run.
struct Block {
    const std::function<void()>* body = nullptr;
    std::vector<Fiber> fibers;
    std::vector<std::uint64_t> slots;
    std::vector<unsigned> runnable;  // threads to resume, in order, from runnable[next]
    std::size_t next = 0;
    unsigned live = 0;
    unsigned block_waiting = 0;
    std::vector<unsigned> warp_live;
    std::vector<unsigned> warp_waiting;
    unsigned current = 0;
    void* scheduler_sp = nullptr;
    bool reversed = false;  // threads start, and leave barriers, in the reverse order
} block;

void set_thread_index(unsigned t) {
    thread_index.x = t % block_size.x;
    thread_index.y = t / block_size.x % block_size.y;
    thread_index.z = t / (block_size.x * block_size.y);
}

[[noreturn]] void fiber_main() {
    (*block.body)();
    Fiber& f = block.fibers[block.current];
    f.finished = true;
    void* unused;
    context_switch(&unused, block.scheduler_sp);
    __builtin_unreachable();
}

// Opens the barriers that thread t's last step may have completed (the block's, and t's warp's)
// when every live thread they concern waits at them, queueing their threads to run.
void open_barriers(unsigned t) {
    // Queues the threads of [begin, end) that wait at `kind`, in ascending order or (reversed) descending.
    auto release = [](unsigned begin, unsigned end, Waiting kind) {
        for (unsigned i = 0; i < end - begin; i++) {
            unsigned u = block.reversed ? end - 1 - i : begin + i;
            if (block.fibers[u].waiting == kind) {
                block.fibers[u].waiting = Waiting::NONE;
                block.runnable.push_back(u);
            }
        }
    };
    if (block.block_waiting > 0 && block.block_waiting == block.live) {
        release(0, (unsigned)block.fibers.size(), Waiting::BLOCK);
        block.block_waiting = 0;
    }
    unsigned w = t / 32;
    if (block.warp_waiting[w] > 0 && block.warp_waiting[w] == block.warp_live[w]) {
        release(w * 32, std::min<unsigned>((w + 1) * 32, block.fibers.size()), Waiting::WARP);
        block.warp_waiting[w] = 0;
    }
}

void wait_at(Waiting kind) {
    Fiber& f = block.fibers[block.current];
    f.waiting = kind;
    if (kind == Waiting::BLOCK) {
        block.block_waiting++;
    } else {
        block.warp_waiting[block.current / 32]++;
    }
    context_switch(&f.sp, block.scheduler_sp);
    // Resumed by the scheduler, which has set thread_index back to this thread.
}

// xorshift64: cheap, and good enough to scramble start orders.
std::uint64_t next_random(std::uint64_t& state) {
    state ^= state << 13;
    state ^= state >> 7;
    state ^= state << 17;
    return state;
}

// i -> (i * stride + offset) mod n: a permutation of 0 .. n - 1, since the stride is coprime to n.
struct Permutation {
    unsigned long long n, stride, offset;

    Permutation(unsigned long long count, std::uint64_t& random) : n(count) {
        std::uint64_t r = next_random(random);
        stride = ((r >> 20) % n) | 1u;
        while (std::gcd(stride, n) != 1) {
            stride += 2;
        }
        offset = r % n;
    }

    unsigned long long at(unsigned long long i) const {
        return (unsigned long long)(((unsigned __int128)i * stride + offset) % n);
    }
};

void run_block(const std::function<void()>& body, unsigned threads, std::uint64_t random, bool reversed) {
    if (__start_strix_shared != nullptr) {
        std::memset(__start_strix_shared, 0xFF, __stop_strix_shared - __start_strix_shared);
    }
    block.body = &body;
    block.fibers.assign(threads, Fiber{});
    block.slots.assign(threads, 0);
    block.live = threads;
    block.block_waiting = 0;
    unsigned warps = (threads + 31) / 32;
    block.warp_live.assign(warps, 0);
    block.warp_waiting.assign(warps, 0);
    for (unsigned t = 0; t < threads; t++) {
        block.warp_live[t / 32]++;
    }
    Permutation start(threads, random);
    block.reversed = reversed;
    block.runnable.resize(threads);
    for (unsigned i = 0; i < threads; i++) {
        block.runnable[i] = (unsigned)start.at(reversed ? threads - 1 - i : i);
    }
    block.next = 0;

    while (block.next < block.runnable.size()) {
        unsigned t = block.runnable[block.next++];
        Fiber& f = block.fibers[t];
        block.current = t;
        set_thread_index(t);
        if (!f.started) {
            f.started = true;
            f.stack = take_stack();
            f.sp = context_prepare(f.stack, STACK_BYTES, fiber_main);
        }
        context_switch(&block.scheduler_sp, f.sp);
        if (f.finished) {
            free_stacks.push_back(f.stack);
            f.stack = nullptr;
            block.live--;
            block.warp_live[t / 32]--;
        }
        open_barriers(t);
    }
    if (block.live > 0) {
        unsigned at_block = 0, at_warp = 0;
        for (Fiber& f : block.fibers) {
            if (!f.finished) {
                (f.waiting == Waiting::BLOCK ? at_block : at_warp)++;
                // The stack of a deadlocked thread is abandoned, not reused.
            }
        }
        char message[200];
        std::snprintf(message, sizeof message,
                      "deadlock in block (%u,%u,%u): %u threads wait at __syncthreads and %u at a warp "
                      "shuffle, while the others have returned",
                      block_index.x, block_index.y, block_index.z, at_block, at_warp);
        throw std::runtime_error(message);
    }
}

}  // namespace

void block_barrier() { wait_at(Waiting::BLOCK); }

void warp_barrier() { wait_at(Waiting::WARP); }

void* exchange_slot(unsigned thread) {
    if (thread < block.slots.size()) {
        return &block.slots[thread];
    }
    // A shuffle with a lane past the block's last thread (a partial warp): undefined on a GPU. Said
    // once per launch, and answered with a NaN-filled slot; throwing here, on a fiber's stack, could
    // not unwind.
    static std::uint64_t outside;
    outside = ~0ULL;
    static unsigned long long said_for = ~0ULL;
    if (said_for != launch_number) {
        said_for = launch_number;
        std::fprintf(stderr, "[strix emulator] warp shuffle reads lane %u of a block of %zu threads (undefined on a GPU)\n",
                     thread, block.slots.size());
    }
    return &outside;
}

unsigned linear_thread() { return block.current; }

void run_grid(dim3 grid, dim3 threads, const std::function<void()>& body, unsigned seed, bool reversed) {
    launch_number = seed;
    grid_size = grid;
    block_size = threads;
    std::uint64_t random = 0x9E3779B97F4A7C15ULL ^ ((std::uint64_t)seed << 1 | 1);
    unsigned count = threads.x * threads.y * threads.z;
    // Blocks run one after another in a scrambled order too: a GPU promises no order between them.
    unsigned long long blocks = (unsigned long long)grid.x * grid.y * grid.z;
    Permutation order(blocks, random);
    for (unsigned long long i = 0; i < blocks; i++) {
        unsigned long long b = order.at(reversed ? blocks - 1 - i : i);
        block_index = dim3{(unsigned)(b % grid.x), (unsigned)(b / grid.x % grid.y), (unsigned)(b / grid.x / grid.y)};
        // Each block's thread order comes from the launch and the block, not from the blocks run
        // before it, so the reversed run reverses the same order.
        std::uint64_t block_random = random ^ ((b + 1) * 0xD1B54A32D192ED03ULL);
        next_random(block_random);
        run_block(body, count, block_random, reversed);
    }
}

}  // namespace strix_emulator
