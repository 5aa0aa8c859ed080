// Batch assembly from a dataset that lives on the device as raw uint8: a shuffled batch is a list of
// sample indices, gathered and scaled into float32 in one pass.
#include "strix_common.cuh"

// gather_u8_scaled: out [B, sampleSize] (float32) = data[indices[b]] * scale + shift, where data is
// [count, sampleSize] uint8 and indices [B] int32 (each in [0, count)). For MNIST normalised to mean
// m and deviation d: scale = 1 / (255 d), shift = -m / d.
extern "C" __global__ void gather_u8_scaled(const unsigned char* data, const int* indices, int B,
                                            long long sampleSize, float scale, float shift, float* out) {
    long long total = (long long)B * sampleSize;
    STRIX_FOR_EACH(i, total) {
        long long b = i / sampleSize;
        long long k = i - b * sampleSize;
        out[i] = (float)data[(long long)indices[b] * sampleSize + k] * scale + shift;
    }
}

// gather_labels_u8: out [B] (int32) = labels[indices[b]] for labels [count] uint8.
extern "C" __global__ void gather_labels_u8(const unsigned char* labels, const int* indices, int B, int* out) {
    STRIX_FOR_EACH(b, B) {
        out[b] = labels[indices[b]];
    }
}
