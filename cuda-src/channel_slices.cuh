// Walks over the values of one channel of a float32 tensor [N, C, S] (the axes after the channel
// merged into one strided run), cut into slices, one block of STRIX_REDUCE_THREADS per (channel,
// slice): the indexing the per-channel kernels of normalization.cu share.
#ifndef STRIX_CHANNEL_SLICES_CUH
#define STRIX_CHANNEL_SLICES_CUH

#include "strix_common.cuh"

// A float32 tensor [N, C, S] given by the address of element (0, 0, 0) and three element strides.
struct ChannelTensor {
    long long strideN, strideC, strideS;
};

// A channel vector [C] given by the address of element 0 and its element stride.
#define STRIX_AT_CHANNEL(v, stride, c) ((v)[(long long)(c) * (stride)])

// This thread's share of a block's walk over the values [begin, end) of a channel: e = begin +
// threadIdx.x, then steps of blockDim.x, with (n, s) = (e / S, e % S) kept by a carry, so the walk
// divides only where it starts (a 64-bit division costs more than a value's memory traffic here).
struct ChannelWalk {
    long long e, end, n, stepN;
    int s, stepS, S, step;

    // S = 0 (channels of no values, never walked) divides by 1 instead.
    __device__ ChannelWalk(long long begin, long long end_, int S_)
        : e(begin + threadIdx.x), end(end_), S(S_ > 0 ? S_ : 1) {
        step = blockDim.x;
        n = e / S;
        s = (int)(e - n * S);
        stepN = step / S;
        stepS = step % S;
    }

    __device__ bool more() const {
        return e < end;
    }

    // s + stepS stays below 2S, so one subtraction wraps it.
    __device__ void next() {
        e += step;
        s += stepS;
        int carry = s >= S;
        s -= carry ? S : 0;
        n += stepN + carry;
    }

    __device__ long long at(const ChannelTensor& t, int c) const {
        return n * t.strideN + c * t.strideC + s * t.strideS;
    }
};

// The values [begin, end) of slice `slice` of a channel's `m` values cut into `slices` equal ranges.
__device__ __forceinline__ void strix_channel_slice(long long m, int slices, int slice, long long* begin,
                                                    long long* end) {
    long long chunk = (m + slices - 1) / slices;
    *begin = min(m, (long long)slice * chunk);
    *end = min(m, *begin + chunk);
}

// A channel's total from its per-slice partials[c * slices + k], k < slices, always added in the
// same order (each thread a strided run of k, then the block tree): every block of the channel gets
// the same bits. Every thread of the block calls it and gets the total.
__device__ __forceinline__ double strix_channel_total(const double* partials, int c, int slices, double* shared) {
    double sum = 0.0;
    for (int k = threadIdx.x; k < slices; k += blockDim.x) {
        sum += partials[(long long)c * slices + k];
    }
    return strix_block_sum(sum, shared);
}

#endif
