// What the emulator's self-tests (selftest_*.cpp, run by build.sh) share: CHECK, which counts a failed
// condition and prints its line, and the last line and exit status every self-test ends with.
#pragma once

#include <cstdio>

static int failures = 0;

#define CHECK(c)                                                  \
    do {                                                          \
        if (!(c)) {                                               \
            std::printf("FAIL line %d: %s\n", __LINE__, #c);      \
            failures++;                                           \
        }                                                         \
    } while (0)

// Prints "OK (0 failures)" or "FAILED (n failures)"; main returns what this returns.
inline int selftest_result() {
    std::printf("%s (%d failures)\n", failures ? "FAILED" : "OK", failures);
    return failures != 0;
}
