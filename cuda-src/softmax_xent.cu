// Softmax + cross-entropy over class scores, forward and backward in one pass (the classic fused
// output layer). float32, contiguous.
#include "strix_common.cuh"

// softmax_cross_entropy: for each row b of logits [B, K] with true class labels[b] (int32 in [0, K)):
//   losses[b] = log(sum_k exp(logits[b, k])) - logits[b, labels[b]]     (computed with the row max
//               subtracted, so large scores do not overflow)
//   dlogits[b, k] = gradScale * (softmax(logits[b])[k] - (k == labels[b]))   when dlogits != NULL
// gradScale is usually 1/B, making dlogits the gradient of the mean loss. One thread per row.
// dlogits may alias logits.
extern "C" __global__ void softmax_cross_entropy(const float* logits, const int* labels, int B, int K,
                                                 float* losses, float* dlogits, float gradScale) {
    STRIX_FOR_EACH(b, B) {
        const float* row = logits + b * K;
        float maxValue = row[0];
        for (int k = 1; k < K; k++) {
            maxValue = fmaxf(maxValue, row[k]);
        }
        double sum = 0.0;
        for (int k = 0; k < K; k++) {
            sum += exp((double)(row[k] - maxValue));
        }
        int label = labels[b];
        double logSum = log(sum);
        losses[b] = (float)(logSum - (double)(row[label] - maxValue));
        if (dlogits != nullptr) {
            float* grad = dlogits + b * K;
            for (int k = 0; k < K; k++) {
                double p = exp((double)(row[k] - maxValue) - logSum);
                grad[k] = (float)(gradScale * (p - (k == label ? 1.0 : 0.0)));
            }
        }
    }
}
