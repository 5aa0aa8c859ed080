// Kernels that break CUDA's rules on purpose, for selftest_order.cpp (the order check and the
// poisoned shared memory must catch them), and one that keeps the rules (which must pass). They are
// in the emulator's kernel table beside cuda-src's, under names no strix code asks for.

// Each thread reads its neighbour's shared value without a barrier after the writes: a race.
extern "C" __global__ void emulator_selftest_shared_without_barrier(float* out) {
    __shared__ float values[1024];
    values[threadIdx.x] = (float)threadIdx.x;
    out[blockIdx.x * blockDim.x + threadIdx.x] = values[(threadIdx.x + 1) % blockDim.x];
}

// The same with the barrier: correct in any order.
extern "C" __global__ void emulator_selftest_shared_with_barrier(float* out) {
    __shared__ float values[1024];
    values[threadIdx.x] = (float)threadIdx.x;
    __syncthreads();
    out[blockIdx.x * blockDim.x + threadIdx.x] = values[(threadIdx.x + 1) % blockDim.x];
}

// Thread 0 of each block reads shared memory that no thread of its block wrote.
extern "C" __global__ void emulator_selftest_shared_unwritten(float* out) {
    __shared__ float values[32];
    if (threadIdx.x == 0) {
        out[blockIdx.x] = values[5];
    }
}

// Every block writes the same element: which value stays depends on the block order.
extern "C" __global__ void emulator_selftest_blocks_write_one_element(float* out) {
    if (threadIdx.x == 0) {
        out[0] = (float)blockIdx.x;
    }
}

// Each block reads the element its neighbour block writes in the same launch.
extern "C" __global__ void emulator_selftest_block_reads_neighbour(float* data, float* out) {
    if (threadIdx.x == 0) {
        data[blockIdx.x] = (float)blockIdx.x + 1.0f;
        out[blockIdx.x] = data[(blockIdx.x + 1) % gridDim.x];
    }
}
