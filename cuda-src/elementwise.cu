// Element-wise float32 arithmetic over strided views with broadcasting. The Java side broadcasts each
// input to the output's shape (stride 0 on repeated axes) and merges axes that every operand walks
// as one, so contiguous tensors arrive as rank 1. The output may alias an input exactly: each element
// is read and written by the same thread.
#include "strix_common.cuh"

// Op codes; must match dev.strix.cuda.KernelCodes (UnaryOp and BinaryOp).
#define STRIX_NEGATE 0
#define STRIX_ABS 1
#define STRIX_EXP 2
#define STRIX_LOG 3
#define STRIX_SQRT 4
#define STRIX_SQUARE 5
#define STRIX_RECIPROCAL 6
#define STRIX_RELU 7

#define STRIX_ADD 0
#define STRIX_SUBTRACT 1
#define STRIX_MULTIPLY 2
#define STRIX_DIVIDE 3
#define STRIX_MAXIMUM 4
#define STRIX_MINIMUM 5

__device__ __forceinline__ float strix_unary(int op, float x) {
    switch (op) {
        case STRIX_NEGATE: return -x;
        case STRIX_ABS: return fabsf(x);
        case STRIX_EXP: return expf(x);
        case STRIX_LOG: return logf(x);
        case STRIX_SQRT: return sqrtf(x);
        case STRIX_SQUARE: return x * x;
        case STRIX_RECIPROCAL: return 1.0f / x;
        default: return x > 0.0f ? x : 0.0f;  // RELU; NaN -> 0 as on the CPU
    }
}

// Java's Math.max / Math.min: NaN in, NaN out (fmaxf would drop it).
__device__ __forceinline__ float strix_binary(int op, float a, float b) {
    switch (op) {
        case STRIX_ADD: return a + b;
        case STRIX_SUBTRACT: return a - b;
        case STRIX_MULTIPLY: return a * b;
        case STRIX_DIVIDE: return a / b;
        case STRIX_MAXIMUM: return (a != a || b != b) ? a + b : fmaxf(a, b);
        default: return (a != a || b != b) ? a + b : fminf(a, b);
    }
}

// unary_f32: out[i] = op(x[i]) over `shape` (n elements); x and out are float32 views.
extern "C" __global__ void unary_f32(int op, StridedShape shape, long long n,
                                     const float* x, StridedView vx, float* out, StridedView vo) {
    int coord[STRIX_MAX_RANK] = {};
    STRIX_FOR_EACH(i, n) {
        strix_unravel(shape, i, coord);
        out[strix_at(vo, coord, shape.rank)] = strix_unary(op, x[strix_at(vx, coord, shape.rank)]);
    }
}

// binary_f32: out[i] = op(a[i], b[i]) over `shape` (n elements).
extern "C" __global__ void binary_f32(int op, StridedShape shape, long long n,
                                      const float* a, StridedView va, const float* b, StridedView vb,
                                      float* out, StridedView vo) {
    int coord[STRIX_MAX_RANK] = {};
    STRIX_FOR_EACH(i, n) {
        strix_unravel(shape, i, coord);
        float x = a[strix_at(va, coord, shape.rank)];
        float y = b[strix_at(vb, coord, shape.rank)];
        out[strix_at(vo, coord, shape.rank)] = strix_binary(op, x, y);
    }
}

// scalar_f32: out[i] = op(a[i], s) over `shape` (n elements).
extern "C" __global__ void scalar_f32(int op, StridedShape shape, long long n,
                                      const float* a, StridedView va, float s, float* out, StridedView vo) {
    int coord[STRIX_MAX_RANK] = {};
    STRIX_FOR_EACH(i, n) {
        strix_unravel(shape, i, coord);
        out[strix_at(vo, coord, shape.rank)] = strix_binary(op, a[strix_at(va, coord, shape.rank)], s);
    }
}

// axpby_f32: y[i] = alpha * x[i] + beta * y[i] over `shape` (n elements); with beta == 0, y is not
// read (it may hold NaN).
extern "C" __global__ void axpby_f32(float alpha, StridedShape shape, long long n,
                                     const float* x, StridedView vx, float beta, float* y, StridedView vy) {
    int coord[STRIX_MAX_RANK] = {};
    STRIX_FOR_EACH(i, n) {
        strix_unravel(shape, i, coord);
        long long at = strix_at(vy, coord, shape.rank);
        float kept = beta == 0.0f ? 0.0f : beta * y[at];
        y[at] = alpha * x[strix_at(vx, coord, shape.rank)] + kept;
    }
}
