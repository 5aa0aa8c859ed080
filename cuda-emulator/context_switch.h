// Switching between fibers on x86-64 (System V ABI): save the callee-saved registers and the SSE
// and x87 control words on the current stack, store the stack pointer, load another, restore.
// Nothing else needs saving at a call boundary, and no system call is made.
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
    subq $8, %rsp
    stmxcsr (%rsp)
    fnstcw 4(%rsp)
    movq %rsp, (%rdi)
    movq %rsi, %rsp
    ldmxcsr (%rsp)
    fldcw 4(%rsp)
    addq $8, %rsp
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
// never return. The control words are copied from the caller, as a new thread would inherit them.
inline void* context_prepare(char* stack, std::size_t bytes, void (*entry)()) {
    auto top = reinterpret_cast<std::uintptr_t>(stack + bytes) & ~std::uintptr_t{15};
    auto* sp = reinterpret_cast<std::uint64_t*>(top);
    *--sp = 0;                                           // where entry's return address would be
    *--sp = reinterpret_cast<std::uint64_t>(entry);      // popped by the switch's ret
    for (int i = 0; i < 6; i++) {
        *--sp = 0;                                       // rbp, rbx, r12-r15
    }
    std::uint32_t mxcsr;
    std::uint16_t fpu;
    asm volatile("stmxcsr %0" : "=m"(mxcsr));
    asm volatile("fnstcw %0" : "=m"(fpu));
    *--sp = (std::uint64_t)mxcsr | ((std::uint64_t)fpu << 32);
    return sp;
}

}  // namespace strix_emulator
