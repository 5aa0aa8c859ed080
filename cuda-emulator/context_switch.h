// Switching between fibers on x86-64 (System V ABI): save the callee-saved registers on the current
// stack, store the stack pointer, load another, restore. Nothing else needs saving at a call
// boundary, and no system call is made. The SSE and x87 control words are not switched: every
// fiber of a thread shares them, and no kernel changes them (restoring them costs more than the
// rest of the switch).
#pragma once

#include <cstddef>
#include <cstdint>

#if !defined(__x86_64__)
#error "the CUDA emulator's fiber switch is written for x86-64"
#endif

extern "C" void strix_context_switch(void** save_sp, void* load_sp);

asm(R"(
    .text
    .p2align 4
    .hidden strix_context_switch
    .type strix_context_switch, @function
strix_context_switch:
    pushq %rbp
    pushq %rbx
    pushq %r12
    pushq %r13
    pushq %r14
    pushq %r15
    movq %rsp, (%rdi)
    movq %rsi, %rsp
    popq %r15
    popq %r14
    popq %r13
    popq %r12
    popq %rbx
    popq %rbp
    ret
    .size strix_context_switch, .-strix_context_switch
)");

namespace strix_emulator {

// Saves the running context's stack pointer in *save_sp and resumes the one saved in load_sp.
inline void context_switch(void** save_sp, void* load_sp) { strix_context_switch(save_sp, load_sp); }

// Lays out a new stack so that switching to the returned stack pointer calls entry(), which must
// never return.
inline void* context_prepare(char* stack, std::size_t bytes, void (*entry)()) {
    auto top = reinterpret_cast<std::uintptr_t>(stack + bytes) & ~std::uintptr_t{15};
    auto* sp = reinterpret_cast<std::uint64_t*>(top);
    *--sp = 0;                                           // where entry's return address would be
    *--sp = reinterpret_cast<std::uint64_t>(entry);      // popped by the switch's ret
    for (int i = 0; i < 6; i++) {
        *--sp = 0;                                       // rbp, rbx, r12-r15
    }
    return sp;
}

}  // namespace strix_emulator
