// The element-wise tail of a convolution or dense layer in one pass (dev.strix.tensor.BiasReluEpilogue):
// bias + ReLU, bias + ReLU + 2x2 stride-2 max pooling, and their backward passes with the bias
// gradient. Contiguous float32 [N, C, HW] (HW = 1 for a dense layer's [N, C]); argmax int32. With
// channelsLast the same tensors lie as [N, HW, C] (the NHWC activation layout): only the addresses
// change, each channel's terms are visited in the same order, so the results are the same bits. The
// pooling kernels take the full-size z (dz) in a layout of its own, given by its strides: element
// (n, c, pixel p) at n * zSample + c * zChannel + p * zPixel (NCHW, NHWC, or [C, N, H, W] as one GEMM
// over the whole batch writes a convolution's output). A null bias means none; a null db means no
// bias gradient.
//
// The backward kernels give one block to each (channel, slice): slice s of channel c covers a fixed
// range of that channel's N x HW terms (the Java side picks the number of slices from the size, so
// that a few big channels still fill the GPU). The block writes dz for its terms and, when db is
// asked for, sums its terms' gradients in double precision in a fixed order: per thread, then the
// block tree, then (several slices) channel_partials_sum over the slices in order. So db is the same
// on every run, with no atomics and no allocation in the op.
#include "channel_slices.cuh"

// A flat row-major index i into [n, C, Y, X] and its coordinates, walked with a fixed step: carries
// instead of divisions per step, so a grid- or block-stride loop divides only where it starts (a
// 64-bit division costs dozens of instructions, more than these kernels' memory traffic per element).
struct NchwWalk {
    long long X;
    int Y, C;
    long long i, x, n, step, stepX, stepN;
    int y, c, stepY, stepC;

    __device__ NchwWalk(long long start, long long step_, long long X_, int Y_, int C_)
        : X(X_), Y(Y_), C(C_), i(start), step(step_) {
        split(start, &x, &y, &c, &n);
        split(step, &stepX, &stepY, &stepC, &stepN);
    }

    __device__ void split(long long value, long long* px, int* py, int* pc, long long* pn) const {
        *px = value % X;
        value /= X;
        *py = (int)(value % Y);
        value /= Y;
        *pc = (int)(value % C);
        *pn = value / C;
    }

    // Each digit plus its step (and a carry) stays below twice its radix, so one subtraction wraps it.
    __device__ void next() {
        i += step;
        x += stepX;
        int carry = x >= X;
        x -= carry ? X : 0;
        y += stepY + carry;
        carry = y >= Y;
        y -= carry ? Y : 0;
        c += stepC + carry;
        carry = c >= C;
        c -= carry ? C : 0;
        n += stepN + carry;
    }
};

// This thread's walk of a grid-stride loop (as STRIX_FOR_EACH) over [n, C, Y, X].
__device__ __forceinline__ NchwWalk strix_grid_walk(long long X, int Y, int C) {
    return NchwWalk((long long)blockIdx.x * blockDim.x + threadIdx.x, (long long)blockDim.x * gridDim.x, X, Y, C);
}

// bias_relu: y = max(0, z + bias[c]) over [N, C, HW] (NaN gives 0, as the ReLU does). y may alias z.
extern "C" __global__ void bias_relu(const float* z, const float* bias, float* y, long long total, int C,
                                     long long HW, int channelsLast) {
    // Walked in storage order: the channel is the middle digit of [N, C, HW], the last of [N, HW, C].
    for (NchwWalk at = channelsLast ? strix_grid_walk(C, 1, 1) : strix_grid_walk(HW, 1, C); at.i < total;
         at.next()) {
        long long i = at.i;
        float v = z[i];
        if (bias != nullptr) {
            v += bias[channelsLast ? (int)at.x : at.c];
        }
        y[i] = v > 0.0f ? v : 0.0f;
    }
}

// Ends the block of (channel, slice) b = c * slices + s: sums the threads' shares in the block's
// fixed tree order into db[c] (one slice) or partials[b] (several). Every thread of the block calls it.
__device__ __forceinline__ void strix_store_channel_sum(double acc, double* shared, long long b, int slices,
                                                        float* db, double* partials) {
    double sum = strix_block_sum(acc, shared);
    if (threadIdx.x == 0) {
        if (slices == 1) {
            db[b] = (float)sum;
        } else {
            partials[b] = sum;
        }
    }
}

// bias_relu_backward: dz = y > 0 ? dy : 0 (dz may alias dy); db[c] = sum of dz over n and pixels
// unless db is null. Blocks of STRIX_REDUCE_THREADS, one per (channel, slice), grid-stride. N, HW >= 1.
extern "C" __global__ void bias_relu_backward(const float* y, const float* dy, float* dz, int N, int C, long long HW,
                                              int channelsLast, float* db, double* partials, int slices) {
    __shared__ double shared[STRIX_REDUCE_THREADS];
    long long terms = (long long)N * HW;
    long long blocks = (long long)C * slices;
    for (long long b = blockIdx.x; b < blocks; b += gridDim.x) {
        int c = (int)(b / slices);
        long long begin, end;
        strix_channel_slice(terms, slices, (int)(b % slices), &begin, &end);
        double acc = 0.0;
        for (NchwWalk at(begin + threadIdx.x, blockDim.x, HW, 1, 1); at.i < end; at.next()) {
            long long i = channelsLast ? (at.n * HW + at.x) * C + c : (at.n * C + c) * HW + at.x;
            float g = y[i] > 0.0f ? dy[i] : 0.0f;
            dz[i] = g;
            acc += g;
        }
        if (db != nullptr) {
            strix_store_channel_sum(acc, shared, b, slices, db, partials);
        }
    }
}

// channel_partials_sum: db[c] = partials[c, 0] + ... + partials[c, slices - 1], in that order.
extern "C" __global__ void channel_partials_sum(const double* partials, int C, int slices, float* db) {
    STRIX_FOR_EACH(c, C) {
        double sum = 0.0;
        for (int s = 0; s < slices; s++) {
            sum += partials[c * slices + s];
        }
        db[c] = (float)sum;
    }
}

// bias_relu_max_pool: one thread per pooled element [n, c, y, x]: the window z[n, c, 2y + i, 2x + j]
// + bias[c], i, j in {0, 1}; pooled = max(0, its maximum), argmax = (2y + i) * W + (2x + j) of the
// first maximum in row-major order (strict >, as Pooling; the bias is added before comparing, as the
// separate add and pool would). An odd trailing row or column is in no window.
extern "C" __global__ void bias_relu_max_pool(const float* z, const float* bias, float* pooled, int* argmax, int N,
                                              int C, int H, int W, int channelsLast, long long zSample,
                                              long long zChannel, long long zPixel) {
    int OH = H / 2;
    int OW = W / 2;
    long long total = (long long)N * C * OH * OW;
    // One thread per pooled element in storage order: [n, c, oy, ox], or [n, oy, ox, c] channels-last.
    for (NchwWalk at = channelsLast ? strix_grid_walk(C, OW, OH) : strix_grid_walk(OW, OH, C); at.i < total;
         at.next()) {
        long long idx = at.i;
        int c = channelsLast ? (int)at.x : at.c;
        int ox = channelsLast ? at.y : (int)at.x;
        int oy = channelsLast ? at.c : at.y;
        // Pixel p of the plane lies at plane[p * step].
        const float* plane = z + at.n * zSample + c * zChannel;
        long long step = zPixel;
        float b = bias != nullptr ? bias[c] : 0.0f;
        int bestAt = 2 * oy * W + 2 * ox;
        float best = plane[bestAt * step] + b;
        int candidates[3] = {bestAt + 1, bestAt + W, bestAt + W + 1};
        for (int k = 0; k < 3; k++) {
            float v = plane[candidates[k] * step] + b;
            if (v > best) {
                best = v;
                bestAt = candidates[k];
            }
        }
        pooled[idx] = best > 0.0f ? best : 0.0f;
        argmax[idx] = bestAt;
    }
}

// bias_relu_max_pool_backward: writes every element of dz [N, C, H, W]: each pooled element's thread
// writes its 2x2 window, g = (pooled > 0 ? dPooled : 0) at the window's argmax and 0 elsewhere, and
// the threads of the last pooled row / column also zero the odd trailing row / column. db[c] = sum of
// g over n and pooled pixels (= sum of dz) unless db is null. argmax comes from bias_relu_max_pool and
// is trusted to lie in its window: one that does not matches no position of the window, so its
// gradient is dropped from dz (still counted in db), and nothing is written outside the window.
// Blocks of STRIX_REDUCE_THREADS, one per (channel, slice) of the N x OH x OW pooled terms.
extern "C" __global__ void bias_relu_max_pool_backward(const float* dPooled, const float* pooled, const int* argmax,
                                                       float* dz, int N, int C, int H, int W, int channelsLast,
                                                       long long dzSample, long long dzChannel, long long dzPixel,
                                                       float* db, double* partials, int slices) {
    __shared__ double shared[STRIX_REDUCE_THREADS];
    int OH = H / 2;
    int OW = W / 2;
    long long OHW = (long long)OH * OW;
    long long terms = (long long)N * OHW;
    long long blocks = (long long)C * slices;
    for (long long b = blockIdx.x; b < blocks; b += gridDim.x) {
        int c = (int)(b / slices);
        long long begin, end;
        strix_channel_slice(terms, slices, (int)(b % slices), &begin, &end);
        double acc = 0.0;
        for (NchwWalk at(begin + threadIdx.x, blockDim.x, OW, OH, 1); at.i < end; at.next()) {
            long long nc = at.n * C + c;
            int oy = at.y;
            int ox = (int)at.x;
            long long i = channelsLast ? (at.n * OHW + (long long)oy * OW + ox) * C + c : nc * OHW + (long long)oy * OW + ox;
            float g = pooled[i] > 0.0f ? dPooled[i] : 0.0f;
            int target = argmax[i];
            acc += g;
            int rows = oy == OH - 1 ? H - 2 * oy : 2;  // 3 on the last pooled row of an odd H
            int cols = ox == OW - 1 ? W - 2 * ox : 2;
            // Pixel p of the plane lies at plane[p * step].
            float* plane = dz + at.n * dzSample + c * dzChannel;
            long long step = dzPixel;
            for (int r = 0; r < rows; r++) {
                for (int s = 0; s < cols; s++) {
                    int position = (2 * oy + r) * W + 2 * ox + s;
                    plane[position * step] = r < 2 && s < 2 && position == target ? g : 0.0f;
                }
            }
        }
        if (db != nullptr) {
            strix_store_channel_sum(acc, shared, b, slices, db, partials);
        }
    }
}
