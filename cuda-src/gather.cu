// Batch assembly from a dataset that lives on the device as raw uint8 (dev.strix.tensor.DataOps):
// a batch is a list of image indices, gathered and normalised into float32 in one pass.
#include "strix_common.cuh"

// The pixel conversion of dev.strix.data.Normalization, (p / 255 - mean) / std, each operation rounded
// on its own (the _rn intrinsics are never contracted into fused multiply-adds), so the floats equal
// the CPU backend's bit for bit.
__device__ __forceinline__ float strix_normalise(float p, float mean, float std) {
    return __fdiv_rn(__fsub_rn(__fdiv_rn(p, 255.0f), mean), std);
}

// gather_images_u8's loop, with the flat index (and its division) in I (see strix_fits_32).
template <typename I>
__device__ __forceinline__ void gather_images_elements(const unsigned char* data, int count, int size,
                                                       const int* indices, float mean, float std, float* out,
                                                       unsigned long long* status, I total) {
    STRIX_FOR_EACH_AS(I, e, total) {
        I i = e;
        int k = (int)strix_divmod(i, (I)size);
        int at = indices[i];
        if (at < 0 || at >= count) {
            if (k == 0) {
                strix_report_bad(status, (long long)i, at);
            }
            out[e] = __int_as_float(0x7fc00000);
            continue;
        }
        out[e] = strix_normalise((float)data[(long long)at * size + k], mean, std);
    }
}

// gather_images_u8: out [n, size] = normalise(data[indices[i], :]) for data [count, size] uint8. An
// index outside [0, count) is reported (position i, value the index) and its image left as NaN.
extern "C" __global__ void gather_images_u8(const unsigned char* data, int count, int size, const int* indices,
                                            int n, float mean, float std, float* out,
                                            unsigned long long* status) {
    long long total = (long long)n * size;
    if (strix_fits_32(total)) {
        gather_images_elements<unsigned>(data, count, size, indices, mean, std, out, status, (unsigned)total);
    } else {
        gather_images_elements<long long>(data, count, size, indices, mean, std, out, status, total);
    }
}

// gather_labels_u8: out [n] (int32) = labels[indices[i]] for labels [count] uint8; a bad index is
// reported and gives -1.
extern "C" __global__ void gather_labels_u8(const unsigned char* labels, int count, const int* indices, int n,
                                            int* out, unsigned long long* status) {
    STRIX_FOR_EACH(i, n) {
        int at = indices[i];
        if (at < 0 || at >= count) {
            strix_report_bad(status, i, at);
            out[i] = -1;
            continue;
        }
        out[i] = labels[at];
    }
}
