// Types and helpers shared by every kernel file of strix.
//
// Layout contract with the Java side (dev.strix.cuda.KernelParams): kernels receive tensor views as
// a base pointer plus a StridedShape (the logical shape, row-major order) and one StridedView per
// operand (element offset of the first element and element strides, outermost axis first). Strides
// may be zero (broadcast) or negative (reversed axis). Java writes these structs byte for byte into
// the kernel parameter buffer, so their sizes and alignments are fixed here and checked at compile time.
#ifndef STRIX_COMMON_CUH
#define STRIX_COMMON_CUH

#define STRIX_MAX_RANK 8

// Full unrolling of a loop over the STRIX_MAX_RANK axes (g++ spells it differently; the CUDA emulator
// compiles these files for the host).
#ifdef __CUDACC__
#define STRIX_UNROLL _Pragma("unroll")
#else
#define STRIX_UNROLL _Pragma("GCC unroll 8")
#endif

struct StridedShape {
    int rank;                    // number of axes in use, 0..STRIX_MAX_RANK
    int dims[STRIX_MAX_RANK];    // sizes, outermost first
};

struct StridedView {
    long long offset;                  // element index of element (0, ..., 0)
    long long strides[STRIX_MAX_RANK]; // element strides, outermost first
};

static_assert(sizeof(StridedShape) == 36 && alignof(StridedShape) == 4, "StridedShape must match KernelParams");
static_assert(sizeof(StridedView) == 72 && alignof(StridedView) == 8, "StridedView must match KernelParams");

// Element type codes; must match dev.strix.cuda.KernelCodes.
#define STRIX_F32 0
#define STRIX_U8 1
#define STRIX_I32 2

// Grid-stride loop over [0, n): any grid size covers any n.
#define STRIX_FOR_EACH(i, n) \
    for (long long i = (long long)blockIdx.x * blockDim.x + threadIdx.x; i < (n); \
         i += (long long)blockDim.x * gridDim.x)

// Index arithmetic in 32 bits where it fits. A 64-bit integer division is a software routine of
// dozens of instructions on a GPU, a 32-bit one a handful: the kernels that split a flat index into
// coordinates for every element (im2col, col2im, pooling, batch-norm inference, batch gather and
// augmentation) run their grid-stride loop with an unsigned 32-bit index when the element count
// plus the loop's step stays below 2^32 (always at MNIST sizes: the largest, conv 2's columns at
// batch 1024, hold 36M), and with a 64-bit one else.
__device__ __forceinline__ bool strix_fits_32(long long total) {
    unsigned long long step = (unsigned long long)blockDim.x * gridDim.x;
    return total >= 0 && (unsigned long long)total + step <= 0xffffffffULL;
}

// a / b into a, and returns a % b: one division (the remainder by a multiply), in the index type I.
template <typename I>
__device__ __forceinline__ I strix_divmod(I& a, I b) {
    I q = a / b;
    I r = a - q * b;
    a = q;
    return r;
}

// Grid-stride loop over [0, n) with an index of type I (see strix_fits_32).
#define STRIX_FOR_EACH_AS(I, i, n) \
    for (I i = (I)blockIdx.x * blockDim.x + threadIdx.x; i < (n); i += (I)blockDim.x * gridDim.x)

// The coordinates of flat index i of a row-major [N, C, Y, X]: three divisions in I.
template <typename I>
__device__ __forceinline__ void strix_split_nchw(I i, int C, int Y, int X, long long* n, int* c, int* y, int* x) {
    *x = (int)strix_divmod(i, (I)X);
    *y = (int)strix_divmod(i, (I)Y);
    *c = (int)strix_divmod(i, (I)C);
    *n = (long long)i;
}

// Splits the row-major linear index i of shape s into per-axis coordinates. A rank-1 walk (what
// contiguous operands merge into) needs no division, and indices below 2^31 use 32-bit division,
// several times cheaper on a GPU than 64-bit. The loops run over all STRIX_MAX_RANK axes, unrolled,
// with the unused ones skipped: every coord[a] then has a constant index and lives in a register.
// (A loop bounded by s.rank indexes coord by a run-time value, which puts coord, and the shape and
// view structs it is read with, in local memory: a 144-320 byte stack frame per thread.)
__device__ __forceinline__ void strix_unravel(const StridedShape& s, long long i, int* coord) {
    if (s.rank == 1) {
        coord[0] = (int)i;
        return;
    }
    if (i <= 0x7fffffffLL) {
        unsigned u = (unsigned)i;
        STRIX_UNROLL
        for (int a = STRIX_MAX_RANK - 1; a >= 0; a--) {
            if (a < s.rank) {
                unsigned d = (unsigned)s.dims[a];
                coord[a] = (int)(u % d);
                u /= d;
            }
        }
        return;
    }
    STRIX_UNROLL
    for (int a = STRIX_MAX_RANK - 1; a >= 0; a--) {
        if (a < s.rank) {
            int d = s.dims[a];
            coord[a] = (int)(i % d);
            i /= d;
        }
    }
}

// Element index of the element at coord in view v (unrolled as strix_unravel, for the same reason).
__device__ __forceinline__ long long strix_at(const StridedView& v, const int* coord, int rank) {
    long long at = v.offset;
    STRIX_UNROLL
    for (int a = 0; a < STRIX_MAX_RANK; a++) {
        if (a < rank) {
            at += (long long)coord[a] * v.strides[a];
        }
    }
    return at;
}

// coord[axis] for a run-time axis, without indexing coord by it (see strix_unravel).
__device__ __forceinline__ int strix_coord(const int* coord, int axis) {
    int value = 0;
    STRIX_UNROLL
    for (int a = 0; a < STRIX_MAX_RANK; a++) {
        if (a == axis) {
            value = coord[a];
        }
    }
    return value;
}

// coord[axis] = value for a run-time axis, without indexing coord by it (see strix_unravel).
__device__ __forceinline__ void strix_set_coord(int* coord, int axis, int value) {
    STRIX_UNROLL
    for (int a = 0; a < STRIX_MAX_RANK; a++) {
        if (a == axis) {
            coord[a] = value;
        }
    }
}

// Block-wide sum of one value per thread, for blocks of STRIX_REDUCE_THREADS threads; every thread
// gets the result. Fixed tree order, so results are deterministic. Ends with a barrier, so `shared`
// may be reused by the next call at once (otherwise a fast thread could overwrite shared[0] before
// a slow one has read it). Every thread of the block must call it.
#define STRIX_REDUCE_THREADS 256

template <typename T>
__device__ __forceinline__ T strix_block_sum(T value, T* shared) {
    shared[threadIdx.x] = value;
    __syncthreads();
    for (int half = STRIX_REDUCE_THREADS / 2; half > 0; half /= 2) {
        if (threadIdx.x < half) {
            shared[threadIdx.x] += shared[threadIdx.x + half];
        }
        __syncthreads();
    }
    T sum = shared[0];
    __syncthreads();
    return sum;
}

// Sum over the 32 lanes of a warp by butterfly shuffles; every lane gets the result, in an order
// fixed by the lane numbers, so results are deterministic.
__device__ __forceinline__ double strix_warp_sum(double value) {
    for (int lane = 16; lane > 0; lane /= 2) {
        value += __shfl_xor_sync(0xffffffffu, value, lane);
    }
    return value;
}

// Maximum over the 32 lanes of a warp; NaN wins (as Java's Math.max), so a NaN row stays NaN.
__device__ __forceinline__ double strix_warp_max(double value) {
    for (int lane = 16; lane > 0; lane /= 2) {
        double other = __shfl_xor_sync(0xffffffffu, value, lane);
        value = (other > value || other != other) ? other : value;
    }
    return value;
}

// Content checks (labels, argmax indices) the host cannot make without reading device memory: a
// kernel that finds a bad value records (position, value) here; the smallest position wins, so the
// report is the same on every run. The word starts (and is reset to) all ones; see
// dev.strix.cuda.DeviceChecks.
__device__ __forceinline__ void strix_report_bad(unsigned long long* status, long long position, int value) {
    unsigned long long p = position < 0 || position > 0x7fffffffLL ? 0x7fffffffULL : (unsigned long long)position;
    atomicMin(status, (p << 32) | (unsigned int)value);
}

#endif
