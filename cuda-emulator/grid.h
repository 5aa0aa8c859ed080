// Running one kernel launch on the host; see grid.cpp.
#pragma once

#include <functional>

#include "device.h"

namespace strix_emulator {

// Runs `body` (one CUDA thread's work, reading threadIdx and friends) for every thread of every block
// of the grid. `seed` fixes the order in which blocks run and a block's threads start; `reversed`
// runs the same launch in exactly the reverse order. Throws std::runtime_error when a block deadlocks.
void run_grid(dim3 grid, dim3 threads, const std::function<void()>& body, unsigned seed, bool reversed = false);

}  // namespace strix_emulator
