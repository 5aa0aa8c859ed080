// Copies and fills between arbitrary strided layouts, with element type conversion.
// Conversions follow the CPU backend: float to int truncates toward zero (NaN gives 0, out of range
// saturates); any type to uint8 clamps to [0, 255] first (NaN gives 0).
#include "strix_common.cuh"

__device__ __forceinline__ double strix_load(const void* base, int dtype, long long at) {
    switch (dtype) {
        case STRIX_F32: return ((const float*)base)[at];
        case STRIX_I32: return ((const int*)base)[at];
        default: return ((const unsigned char*)base)[at];
    }
}

// Java's (int): toward zero, saturating, NaN to 0. Spelt out because a C++ cast of an out-of-range
// value is undefined, even though the GPU's cvt.rzi happens to saturate.
__device__ __forceinline__ int strix_to_int(double v) {
    if (v != v) {
        return 0;
    }
    if (v >= 2147483647.0) {
        return 2147483647;
    }
    if (v <= -2147483648.0) {
        return -2147483647 - 1;
    }
    return (int)v;
}

__device__ __forceinline__ void strix_store(void* base, int dtype, long long at, double v) {
    switch (dtype) {
        case STRIX_F32: ((float*)base)[at] = (float)v; break;
        case STRIX_I32: ((int*)base)[at] = strix_to_int(v); break;
        default: ((unsigned char*)base)[at] = (unsigned char)(v != v ? 0 : (int)fmin(255.0, fmax(0.0, v))); break;
    }
}

// copy_strided: dst[i] = convert(src[i]) for every index i of `shape` (n elements).
//   src: base pointer of type srcType, element at strix_at(vs, i); dst: likewise with dstType and vd.
//   Same types are copied bit for bit. src and dst must not overlap (except identically).
extern "C" __global__ void copy_strided(StridedShape shape, long long n,
                                        const void* src, int srcType, StridedView vs,
                                        void* dst, int dstType, StridedView vd) {
    int coord[STRIX_MAX_RANK] = {};
    STRIX_FOR_EACH(i, n) {
        strix_unravel(shape, i, coord);
        long long s = strix_at(vs, coord, shape.rank);
        long long d = strix_at(vd, coord, shape.rank);
        if (srcType == dstType) {
            switch (srcType) {
                case STRIX_F32: ((float*)dst)[d] = ((const float*)src)[s]; break;
                case STRIX_I32: ((int*)dst)[d] = ((const int*)src)[s]; break;
                default: ((unsigned char*)dst)[d] = ((const unsigned char*)src)[s]; break;
            }
        } else {
            strix_store(dst, dstType, d, strix_load(src, srcType, s));
        }
    }
}

// fill_strided: dst[i] = convert(value) for every index i of `shape` (n elements), dst of type dstType.
extern "C" __global__ void fill_strided(StridedShape shape, long long n, void* dst, int dstType, StridedView vd,
                                        float value) {
    int coord[STRIX_MAX_RANK] = {};
    STRIX_FOR_EACH(i, n) {
        strix_unravel(shape, i, coord);
        strix_store(dst, dstType, strix_at(vd, coord, shape.rank), (double)value);
    }
}
