// TF32, the format tensor cores read float32 operands in: float32's 8 exponent bits with 10 of its
// 23 mantissa bits. Shared by the emulated cuBLAS (CUBLAS_TF32_TENSOR_OP_MATH) and cuDNN
// (tensor-op convolution algorithms under CUDNN_TENSOR_OP_MATH).
#pragma once

#include <cmath>
#include <cstring>

namespace strix_emulator {

// x rounded to TF32, to nearest even; infinities and NaN unchanged.
inline float to_tf32(float x) {
    if (!std::isfinite(x)) {
        return x;
    }
    unsigned bits;
    std::memcpy(&bits, &x, 4);
    unsigned dropped = 13;
    unsigned half = 1u << (dropped - 1);
    unsigned keep_odd = (bits >> dropped) & 1u;
    bits += half - 1 + keep_odd;
    bits &= ~((1u << dropped) - 1);
    float r;
    std::memcpy(&r, &bits, 4);
    return r;
}

}  // namespace strix_emulator
