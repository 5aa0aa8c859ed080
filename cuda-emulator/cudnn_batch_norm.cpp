// cuDNN's batch normalisation: forward training, forward inference and backward, in modes
// CUDNN_BATCHNORM_SPATIAL (and SPATIAL_PERSISTENT, the same maths: statistics per channel over
// N, H, W, parameters 1xCx1x1) and CUDNN_BATCHNORM_PER_ACTIVATION (statistics per (c, h, w) over
// N, parameters 1xCxHxW). With M values per group, mean and the biased variance var:
//
//   training   y = gamma * (x - mean) / sqrt(var + eps) + beta      (blended with alpha, beta)
//              running_mean = f * mean + (1 - f) * running_mean
//              running_var  = f * var * M / (M - 1) + (1 - f) * running_var   (unbiased)
//              saveMean = mean, saveInvVariance = 1 / sqrt(var + eps)
//   inference  y = gamma * (x - est_mean) / sqrt(est_var + eps) + beta
//   backward   xhat = (x - mean) * invstd, dgamma = sum dy * xhat, dbeta = sum dy,
//              dx = gamma * invstd * (dy - dbeta / M - xhat * dgamma / M)
//
// The running variance's Bessel correction and saveInvVariance being an inverse standard deviation
// (despite its name) are not spelled out by cuDNN's reference; they are what cuDNN was measured to
// do (apache/mxnet#18751, microsoft/onnxruntime#8172), as CudnnNormalization's Javadoc records.
// A factor f of 1 takes the batch statistics without reading the old running values (cudnn_ops.h
// asks for f = 1 on the first call, when they may be uninitialised). The backward pass uses the
// saved mean and inverse deviation when both are given, else recomputes them from x with epsilon.
#include <cmath>
#include <map>

#include "cudnn_api.h"

using namespace cudnn_emulator;

namespace {

// The layout of one call: x (and y, dy, dx) and the shared parameter descriptor, and which values
// form a group: `per_activation` groups are (c, h, w), otherwise channels.
struct Groups {
    cudnnTensorStruct x;
    cudnnTensorStruct param;
    bool per_activation;

    long long count() const { return per_activation ? 1LL * x.dims[1] * x.dims[2] * x.dims[3] : x.dims[1]; }
    long long members() const { return per_activation ? x.dims[0] : 1LL * x.dims[0] * x.dims[2] * x.dims[3]; }

    // Calls visit(offset in x-layout tensor t) for each member of group g.
    template <typename Visit>
    void each(const cudnnTensorStruct& t, long long g, Visit visit) const {
        if (per_activation) {
            long long c = g / (1LL * x.dims[2] * x.dims[3]);
            long long h = g / x.dims[3] % x.dims[2];
            long long w = g % x.dims[3];
            for (long long n = 0; n < x.dims[0]; n++) {
                visit(offset(t, n, c, h, w));
            }
            return;
        }
        for (long long n = 0; n < x.dims[0]; n++) {
            for (long long h = 0; h < x.dims[2]; h++) {
                for (long long w = 0; w < x.dims[3]; w++) {
                    visit(offset(t, n, g, h, w));
                }
            }
        }
    }

    // The offset of group g's parameter.
    long long param_offset(long long g) const {
        if (!per_activation) {
            return offset(param, 0, g, 0, 0);
        }
        return offset(param, 0, g / (1LL * x.dims[2] * x.dims[3]), g / x.dims[3] % x.dims[2], g % x.dims[3]);
    }

    // Mean and biased variance of group g of `data` (two passes, double).
    void statistics(const float* data, long long g, double* mean, double* var) const {
        double sum = 0.0;
        each(x, g, [&](long long o) { sum += data[o]; });
        double m = sum / static_cast<double>(members());
        double squares = 0.0;
        each(x, g, [&](long long o) {
            double d = data[o] - m;
            squares += d * d;
        });
        *mean = m;
        *var = squares / static_cast<double>(members());
    }
};

bool same_dims(const cudnnTensorStruct& a, const cudnnTensorStruct& b) {
    return a.dims[0] == b.dims[0] && a.dims[1] == b.dims[1] && a.dims[2] == b.dims[2] && a.dims[3] == b.dims[3];
}

// Checks mode, the data descriptors (same dims, float32, outputs without shared elements), the
// parameter descriptor's dims for the mode and epsilon; fills `groups`.
int check(const char* f, int mode, cudnnTensorDescriptor_t x, const std::vector<cudnnTensorDescriptor_t>& same,
          const std::vector<cudnnTensorDescriptor_t>& outputs, cudnnTensorDescriptor_t param, double epsilon,
          Groups* groups) {
    if (mode < BATCHNORM_PER_ACTIVATION || mode > BATCHNORM_SPATIAL_PERSISTENT) {
        return fail(STATUS_BAD_PARAM, f, "invalid batch norm mode " + std::to_string(mode));
    }
    if (int s = need_tensor(f, "xDesc", x)) {
        return s;
    }
    for (cudnnTensorDescriptor_t d : same) {
        if (int s = need_tensor(f, "a data descriptor", d)) {
            return s;
        }
        if (!same_dims(*d, *x) || d->dataType != x->dataType) {
            return fail(STATUS_BAD_PARAM, f, "data tensors differ: x " + describe(*x) + ", another " + describe(*d));
        }
    }
    if (int s = need_float(f, "xDesc", x->dataType)) {
        return s;
    }
    for (cudnnTensorDescriptor_t d : outputs) {
        if (overlaps(*d)) {
            return fail(STATUS_BAD_PARAM, f, "the output " + describe(*d) + " has elements that share memory");
        }
    }
    if (int s = need_tensor(f, "bnScaleBiasMeanVarDesc", param)) {
        return s;
    }
    if (int s = need_float(f, "bnScaleBiasMeanVarDesc", param->dataType)) {
        return s;
    }
    bool perActivation = mode == BATCHNORM_PER_ACTIVATION;
    int expected[4] = {1, x->dims[1], perActivation ? x->dims[2] : 1, perActivation ? x->dims[3] : 1};
    for (int i = 0; i < 4; i++) {
        if (param->dims[i] != expected[i]) {
            return fail(STATUS_BAD_PARAM, f, "the parameter descriptor must be " + describe_dims(expected, 4)
                    + " for this mode and input " + describe(*x) + ", got " + describe(*param));
        }
    }
    if (!(epsilon >= BN_MIN_EPSILON)) {
        return fail(STATUS_BAD_PARAM, f, "epsilon " + std::to_string(epsilon) + " is below CUDNN_BN_MIN_EPSILON");
    }
    *groups = Groups{*x, *param, perActivation};
    return STATUS_SUCCESS;
}

// A pair of optional pointers must be both null or both given.
int need_pair(const char* f, const char* a, const void* pa, const char* b, const void* pb) {
    if ((pa == nullptr) != (pb == nullptr)) {
        return fail(STATUS_BAD_PARAM, f, std::string(a) + " and " + b + " must be both null or both given");
    }
    return STATUS_SUCCESS;
}

int scalars(const char* f, const void* alpha, const void* beta, float* a, float* b) {
    if (int s = need_scalar(f, "alpha", alpha, a)) {
        return s;
    }
    return need_scalar(f, "beta", beta, b);
}

}  // namespace

// The epsilon each forward training call was given, by its resultSaveInvVariance address: cudnn_ops.h
// says the backward pass takes the "same epsilon as forward pass", so a different one is refused here.
static std::map<const void*, double> forward_epsilons;

extern "C" {

STRIX_EXPORT cudnnStatus_t cudnnBatchNormalizationForwardTraining(
        cudnnHandle_t handle, int mode, const void* alpha, const void* beta, cudnnTensorDescriptor_t xDesc,
        const void* x, cudnnTensorDescriptor_t yDesc, void* y, cudnnTensorDescriptor_t bnDesc, const void* bnScale,
        const void* bnBias, double exponentialAverageFactor, void* runningMean, void* runningVariance, double epsilon,
        void* saveMean, void* saveInvVariance) {
    CUDNN_ENTRY;
    const char* f = "cudnnBatchNormalizationForwardTraining";
    Groups g;
    float al;
    float be;
    if (int s = need_handle(f, handle)) {
        return s;
    }
    if (int s = check(f, mode, xDesc, {yDesc}, {yDesc}, bnDesc, epsilon, &g)) {
        return s;
    }
    if (int s = scalars(f, alpha, beta, &al, &be)) {
        return s;
    }
    if (int s = need_pair(f, "resultRunningMean", runningMean, "resultRunningVariance", runningVariance)) {
        return s;
    }
    if (int s = need_pair(f, "resultSaveMean", saveMean, "resultSaveInvVariance", saveInvVariance)) {
        return s;
    }
    if (saveInvVariance != nullptr) {
        forward_epsilons[saveInvVariance] = epsilon;
    }
    const std::size_t pb = tensor_bytes(*bnDesc);
    std::vector<Range> ranges{{"x", x, tensor_bytes(*xDesc)}, {"y", y, tensor_bytes(*yDesc)}, {"bnScale", bnScale, pb},
                              {"bnBias", bnBias, pb}};
    if (runningMean != nullptr) {
        ranges.push_back({"resultRunningMean", runningMean, pb});
        ranges.push_back({"resultRunningVariance", runningVariance, pb});
    }
    if (saveMean != nullptr) {
        ranges.push_back({"resultSaveMean", saveMean, pb});
        ranges.push_back({"resultSaveInvVariance", saveInvVariance, pb});
    }
    if (int s = check_ranges(f, ranges)) {
        return s;
    }
    cudnnTensorStruct yd = *yDesc;
    const double factor = exponentialAverageFactor;
    submit(handle, [=]() {
        if (!ranges_still_live(f, ranges)) {
            return;
        }
        const float* px = static_cast<const float*>(x);
        float* py = static_cast<float*>(y);
        const float* gamma = static_cast<const float*>(bnScale);
        const float* shift = static_cast<const float*>(bnBias);
        const double m = static_cast<double>(g.members());
        for (long long k = 0; k < g.count(); k++) {
            double mean;
            double var;
            g.statistics(px, k, &mean, &var);
            const long long po = g.param_offset(k);
            const double invstd = 1.0 / std::sqrt(var + epsilon);
            const double scale = gamma[po];
            const double bias = shift[po];
            // y's offsets, member by member, in x's order: gather x first, so y may alias x.
            std::vector<long long> xo;
            std::vector<long long> yo;
            g.each(g.x, k, [&](long long o) { xo.push_back(o); });
            g.each(yd, k, [&](long long o) { yo.push_back(o); });
            for (std::size_t i = 0; i < xo.size(); i++) {
                blend(&py[yo[i]], scale * (px[xo[i]] - mean) * invstd + bias, al, be);
            }
            if (runningMean != nullptr) {
                float* rm = static_cast<float*>(runningMean);
                float* rv = static_cast<float*>(runningVariance);
                // cuDNN does not say what M = 1 gives; the unbiased variance is then taken as 0.
                const double unbiased = m > 1 ? var * m / (m - 1) : 0.0;
                rm[po] = static_cast<float>(factor == 1.0 ? mean : factor * mean + (1.0 - factor) * rm[po]);
                rv[po] = static_cast<float>(factor == 1.0 ? unbiased : factor * unbiased + (1.0 - factor) * rv[po]);
            }
            if (saveMean != nullptr) {
                static_cast<float*>(saveMean)[po] = static_cast<float>(mean);
                static_cast<float*>(saveInvVariance)[po] = static_cast<float>(invstd);
            }
        }
    });
    return STATUS_SUCCESS;
}

STRIX_EXPORT cudnnStatus_t cudnnBatchNormalizationForwardInference(cudnnHandle_t handle, int mode, const void* alpha,
                                                      const void* beta, cudnnTensorDescriptor_t xDesc, const void* x,
                                                      cudnnTensorDescriptor_t yDesc, void* y,
                                                      cudnnTensorDescriptor_t bnDesc, const void* bnScale,
                                                      const void* bnBias, const void* estimatedMean,
                                                      const void* estimatedVariance, double epsilon) {
    CUDNN_ENTRY;
    const char* f = "cudnnBatchNormalizationForwardInference";
    Groups g;
    float al;
    float be;
    if (int s = need_handle(f, handle)) {
        return s;
    }
    if (int s = check(f, mode, xDesc, {yDesc}, {yDesc}, bnDesc, epsilon, &g)) {
        return s;
    }
    if (int s = scalars(f, alpha, beta, &al, &be)) {
        return s;
    }
    const std::size_t pb = tensor_bytes(*bnDesc);
    std::vector<Range> ranges{{"x", x, tensor_bytes(*xDesc)}, {"y", y, tensor_bytes(*yDesc)},
                              {"bnScale", bnScale, pb}, {"bnBias", bnBias, pb}, {"estimatedMean", estimatedMean, pb},
                              {"estimatedVariance", estimatedVariance, pb}};
    if (int s = check_ranges(f, ranges)) {
        return s;
    }
    cudnnTensorStruct yd = *yDesc;
    submit(handle, [=]() {
        if (!ranges_still_live(f, ranges)) {
            return;
        }
        const float* px = static_cast<const float*>(x);
        float* py = static_cast<float*>(y);
        for (long long k = 0; k < g.count(); k++) {
            const long long po = g.param_offset(k);
            const double mean = static_cast<const float*>(estimatedMean)[po];
            const double invstd = 1.0 / std::sqrt(static_cast<const float*>(estimatedVariance)[po] + epsilon);
            const double scale = static_cast<const float*>(bnScale)[po];
            const double bias = static_cast<const float*>(bnBias)[po];
            std::vector<long long> xo;
            std::vector<long long> yo;
            g.each(g.x, k, [&](long long o) { xo.push_back(o); });
            g.each(yd, k, [&](long long o) { yo.push_back(o); });
            for (std::size_t i = 0; i < xo.size(); i++) {
                blend(&py[yo[i]], scale * (px[xo[i]] - mean) * invstd + bias, al, be);
            }
        }
    });
    return STATUS_SUCCESS;
}

STRIX_EXPORT cudnnStatus_t cudnnBatchNormalizationBackward(
        cudnnHandle_t handle, int mode, const void* alphaDataDiff, const void* betaDataDiff,
        const void* alphaParamDiff, const void* betaParamDiff, cudnnTensorDescriptor_t xDesc, const void* x,
        cudnnTensorDescriptor_t dyDesc, const void* dy, cudnnTensorDescriptor_t dxDesc, void* dx,
        cudnnTensorDescriptor_t dBnDesc, const void* bnScale, void* dBnScaleResult, void* dBnBiasResult,
        double epsilon, const void* savedMean, const void* savedInvVariance) {
    CUDNN_ENTRY;
    const char* f = "cudnnBatchNormalizationBackward";
    Groups g;
    float ad;
    float bd;
    float ap;
    float bp;
    if (int s = need_handle(f, handle)) {
        return s;
    }
    if (int s = check(f, mode, xDesc, {dyDesc, dxDesc}, {dxDesc}, dBnDesc, epsilon, &g)) {
        return s;
    }
    if (int s = scalars(f, alphaDataDiff, betaDataDiff, &ad, &bd)) {
        return s;
    }
    if (int s = scalars(f, alphaParamDiff, betaParamDiff, &ap, &bp)) {
        return s;
    }
    if (int s = need_pair(f, "savedMean", savedMean, "savedInvVariance", savedInvVariance)) {
        return s;
    }
    if (savedInvVariance != nullptr) {
        auto known = forward_epsilons.find(savedInvVariance);
        if (known != forward_epsilons.end() && known->second != epsilon) {
            return fail(STATUS_BAD_PARAM, f, "epsilon " + std::to_string(epsilon) + " differs from the forward pass's " +
                                                 std::to_string(known->second) + " (cudnn_ops.h: same epsilon as forward pass)");
        }
    }
    const std::size_t pb = tensor_bytes(*dBnDesc);
    std::vector<Range> ranges{{"x", x, tensor_bytes(*xDesc)}, {"dy", dy, tensor_bytes(*dyDesc)},
                              {"dx", dx, tensor_bytes(*dxDesc)}, {"bnScale", bnScale, pb},
                              {"dBnScaleResult", dBnScaleResult, pb}, {"dBnBiasResult", dBnBiasResult, pb}};
    if (savedMean != nullptr) {
        ranges.push_back({"savedMean", savedMean, pb});
        ranges.push_back({"savedInvVariance", savedInvVariance, pb});
    }
    if (int s = check_ranges(f, ranges)) {
        return s;
    }
    cudnnTensorStruct dyd = *dyDesc;
    cudnnTensorStruct dxd = *dxDesc;
    submit(handle, [=]() {
        if (!ranges_still_live(f, ranges)) {
            return;
        }
        const float* px = static_cast<const float*>(x);
        const float* pdy = static_cast<const float*>(dy);
        float* pdx = static_cast<float*>(dx);
        const double m = static_cast<double>(g.members());
        for (long long k = 0; k < g.count(); k++) {
            const long long po = g.param_offset(k);
            double mean;
            double invstd;
            if (savedMean != nullptr) {
                mean = static_cast<const float*>(savedMean)[po];
                invstd = static_cast<const float*>(savedInvVariance)[po];
            } else {
                double var;
                g.statistics(px, k, &mean, &var);
                invstd = 1.0 / std::sqrt(var + epsilon);
            }
            std::vector<long long> xo;
            std::vector<long long> go;
            std::vector<long long> dxo;
            g.each(g.x, k, [&](long long o) { xo.push_back(o); });
            g.each(dyd, k, [&](long long o) { go.push_back(o); });
            g.each(dxd, k, [&](long long o) { dxo.push_back(o); });
            double sumDy = 0.0;
            double sumDyXhat = 0.0;
            for (std::size_t i = 0; i < xo.size(); i++) {
                sumDy += pdy[go[i]];
                sumDyXhat += pdy[go[i]] * (px[xo[i]] - mean) * invstd;
            }
            const double scale = static_cast<const float*>(bnScale)[po];
            for (std::size_t i = 0; i < xo.size(); i++) {
                double xhat = (px[xo[i]] - mean) * invstd;
                blend(&pdx[dxo[i]], scale * invstd * (pdy[go[i]] - sumDy / m - xhat * sumDyXhat / m), ad, bd);
            }
            blend(&static_cast<float*>(dBnScaleResult)[po], sumDyXhat, ap, bp);
            blend(&static_cast<float*>(dBnBiasResult)[po], sumDy, ap, bp);
        }
    });
    return STATUS_SUCCESS;
}

}  // extern "C"
