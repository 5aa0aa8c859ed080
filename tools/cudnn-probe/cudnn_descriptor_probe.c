// Asks a libcudnn.so.9 the descriptor questions that strix's cuDNN calls depend on, and prints one
// line per answer, so that the answers of a real cuDNN and of the CUDA emulator can be diffed
// (tools/cudnn-probe.sh). Every call here is host-only: no GPU is needed, so a real cuDNN can be
// asked on a machine without one.
//
//   cudnn_descriptor_probe PATH/TO/libcudnn.so.9      (answers on stdout, the version on stderr)
//
// Written against cuDNN 9's C API by hand (no NVIDIA header): each function is looked up with
// dlsym, with the enum values that cudnn_ops.h / cudnn_cnn.h give.
#include <dlfcn.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>

typedef int status;
typedef void* descriptor;

static void* library;

static void* lookup(const char* name) {
    void* p = dlsym(library, name);
    if (p == NULL) {
        printf("missing symbol %s\n", name);
        exit(2);
    }
    return p;
}

#define FUNCTION(ret, name, ...) typedef ret (*name##_type)(__VA_ARGS__); static name##_type name;
FUNCTION(size_t, cudnnGetVersion, void)
FUNCTION(const char*, cudnnGetErrorString, status)
FUNCTION(status, cudnnCreateTensorDescriptor, descriptor*)
FUNCTION(status, cudnnSetTensor4dDescriptorEx, descriptor, int, int, int, int, int, int, int, int, int)
FUNCTION(status, cudnnSetTensor4dDescriptor, descriptor, int, int, int, int, int, int)
FUNCTION(status, cudnnCreateFilterDescriptor, descriptor*)
FUNCTION(status, cudnnSetFilter4dDescriptor, descriptor, int, int, int, int, int, int)
FUNCTION(status, cudnnCreateConvolutionDescriptor, descriptor*)
FUNCTION(status, cudnnSetConvolution2dDescriptor, descriptor, int, int, int, int, int, int, int, int)
FUNCTION(status, cudnnSetConvolutionMathType, descriptor, int)
FUNCTION(status, cudnnGetConvolutionMathType, descriptor, int*)
FUNCTION(status, cudnnGetConvolution2dForwardOutputDim, descriptor, descriptor, descriptor, int*, int*, int*, int*)
FUNCTION(status, cudnnCreatePoolingDescriptor, descriptor*)
FUNCTION(status, cudnnSetPooling2dDescriptor, descriptor, int, int, int, int, int, int, int, int)
FUNCTION(status, cudnnDeriveBNTensorDescriptor, descriptor, descriptor, int)
#define LOOKUP(name) name = (name##_type) lookup(#name)

enum {
    DATA_FLOAT = 0, DATA_HALF = 2,
    FORMAT_NCHW = 0, FORMAT_NHWC = 1,
    CONVOLUTION = 0, CROSS_CORRELATION = 1,
    POOLING_MAX = 0, POOLING_MAX_DETERMINISTIC = 3, NOT_PROPAGATE_NAN = 0,
    BN_PER_ACTIVATION = 0, BN_SPATIAL = 1, BN_SPATIAL_PERSISTENT = 2
};

static descriptor tensor(int n, int c, int h, int w, int sn, int sc, int sh, int sw, const char* what) {
    descriptor d;
    cudnnCreateTensorDescriptor(&d);
    status s = cudnnSetTensor4dDescriptorEx(d, DATA_FLOAT, n, c, h, w, sn, sc, sh, sw);
    printf("tensor %-30s [%d, %d, %d, %d] strides [%d, %d, %d, %d]: %d\n", what, n, c, h, w, sn, sc, sh, sw, s);
    return d;
}

static void convolution(descriptor conv, descriptor x, descriptor filter, int ph, int pw, int sh, int sw, int dh,
                        int dw) {
    status s = cudnnSetConvolution2dDescriptor(conv, ph, pw, sh, sw, dh, dw, CROSS_CORRELATION, DATA_FLOAT);
    int n = 0, c = 0, h = 0, w = 0;
    status o = s == 0 ? cudnnGetConvolution2dForwardOutputDim(conv, x, filter, &n, &c, &h, &w) : -1;
    printf("convolution padding %d,%d stride %d,%d dilation %d,%d: set %d, output %d", ph, pw, sh, sw, dh, dw, s, o);
    if (o == 0) {
        printf(" [%d, %d, %d, %d]", n, c, h, w);   // on failure real cuDNN leaves partial sizes: not compared
    }
    printf("\n");
}

static void pooling(descriptor p, int mode, int kh, int kw, int ph, int pw, int sh, int sw) {
    printf("pooling mode %d window %dx%d padding %d,%d stride %d,%d: %d\n", mode, kh, kw, ph, pw, sh, sw,
           cudnnSetPooling2dDescriptor(p, mode, NOT_PROPAGATE_NAN, kh, kw, ph, pw, sh, sw));
}

int main(int argc, char** argv) {
    if (argc != 2) {
        fprintf(stderr, "usage: %s PATH/TO/libcudnn.so.9\n", argv[0]);
        return 2;
    }
    library = dlopen(argv[1], RTLD_NOW | RTLD_GLOBAL);
    if (library == NULL) {
        printf("dlopen failed: %s\n", dlerror());
        return 1;
    }
    LOOKUP(cudnnGetVersion); LOOKUP(cudnnGetErrorString); LOOKUP(cudnnCreateTensorDescriptor);
    LOOKUP(cudnnSetTensor4dDescriptorEx); LOOKUP(cudnnSetTensor4dDescriptor); LOOKUP(cudnnCreateFilterDescriptor);
    LOOKUP(cudnnSetFilter4dDescriptor); LOOKUP(cudnnCreateConvolutionDescriptor);
    LOOKUP(cudnnSetConvolution2dDescriptor); LOOKUP(cudnnSetConvolutionMathType);
    LOOKUP(cudnnGetConvolutionMathType); LOOKUP(cudnnGetConvolution2dForwardOutputDim);
    LOOKUP(cudnnCreatePoolingDescriptor); LOOKUP(cudnnSetPooling2dDescriptor); LOOKUP(cudnnDeriveBNTensorDescriptor);
    fprintf(stderr, "cuDNN version %zu\n", cudnnGetVersion());

    // The names strix's exceptions carry (CudaErrors): every status code cuDNN 9 defines, and gaps.
    static const int bases[] = {0, 1000, 2000, 3000, 4000};
    for (int b = 0; b < 5; b++) {
        for (int i = bases[b]; i <= bases[b] + 10; i++) {
            printf("status %d: %s\n", i, cudnnGetErrorString(i));
        }
    }

    // Tensor strides: what CudnnTensorDescriptors and CudnnPlan pass, and what they refuse first.
    descriptor x = tensor(2, 3, 4, 5, 60, 20, 5, 1, "contiguous");
    descriptor nhwc = tensor(2, 3, 4, 5, 60, 1, 15, 3, "channels-last");
    tensor(2, 3, 4, 5, 100, 25, 6, 1, "padded rows and planes");
    tensor(2, 3, 4, 5, 1, 2, 6, 24, "batch fastest");
    tensor(2, 3, 4, 5, 60, 20, 5, 2, "every other column");
    tensor(2, 3, 4, 5, 60, 20, 1, 1, "overlapping rows");
    tensor(2, 3, 4, 5, 0, 20, 5, 1, "broadcast batch");
    tensor(2, 3, 4, 5, 60, 0, 5, 1, "broadcast channels");
    tensor(2, 3, 4, 5, 60, 20, 5, 0, "broadcast columns");
    tensor(2, 3, 4, 5, 0, 0, 0, 0, "broadcast everything");
    tensor(1, 3, 4, 5, 0, 20, 5, 1, "batch of 1, stride 0");
    tensor(2, 1, 4, 5, 20, 0, 5, 1, "1 channel, stride 0");
    tensor(2, 3, 1, 5, 15, 5, 0, 1, "1 row, stride 0");
    tensor(2, 3, 4, 1, 12, 4, 1, 0, "1 column, stride 0");
    tensor(1, 1, 1, 1, 0, 0, 0, 0, "one element, strides 0");
    tensor(0, 3, 4, 5, 60, 20, 5, 1, "empty batch");
    tensor(2, 3, 4, 5, 1 << 30, 20, 5, 1, "batch stride 2^30");
    tensor(65536, 32, 26, 26, 32 * 676, 676, 26, 1, "2^29 elements");
    tensor(4096, 32, 128, 128, 32 * 16384, 16384, 128, 1, "2^31 elements");
    descriptor t;
    cudnnCreateTensorDescriptor(&t);
    printf("tensor4d NCHW [1, 32, 1, 1]: %d\n", cudnnSetTensor4dDescriptor(t, FORMAT_NCHW, DATA_FLOAT, 1, 32, 1, 1));
    printf("tensor4d NHWC [2, 3, 4, 5]: %d\n", cudnnSetTensor4dDescriptor(t, FORMAT_NHWC, DATA_FLOAT, 2, 3, 4, 5));

    // Filters in both of FilterLayout's formats.
    descriptor f;
    cudnnCreateFilterDescriptor(&f);
    printf("filter NHWC [32, 1, 3, 3]: %d\n", cudnnSetFilter4dDescriptor(f, DATA_FLOAT, FORMAT_NHWC, 32, 1, 3, 3));
    printf("filter NCHW [32, 1, 3, 3]: %d\n", cudnnSetFilter4dDescriptor(f, DATA_FLOAT, FORMAT_NCHW, 32, 1, 3, 3));
    printf("filter NCHW [0, 1, 3, 3]: %d\n", cudnnSetFilter4dDescriptor(f, DATA_FLOAT, FORMAT_NCHW, 0, 1, 3, 3));
    cudnnSetFilter4dDescriptor(f, DATA_FLOAT, FORMAT_NCHW, 4, 3, 3, 3);

    // Convolution geometry and the output size cuDNN derives (CudnnPlan checks it against ours).
    descriptor conv;
    cudnnCreateConvolutionDescriptor(&conv);
    convolution(conv, x, f, 0, 0, 1, 1, 1, 1);
    convolution(conv, x, f, 1, 1, 1, 1, 1, 1);
    convolution(conv, x, f, 1, 2, 2, 1, 1, 1);
    convolution(conv, x, f, 0, 0, 2, 2, 1, 1);
    convolution(conv, x, f, 3, 3, 1, 1, 1, 1);
    convolution(conv, x, f, -1, 0, 1, 1, 1, 1);
    convolution(conv, x, f, 0, 0, 0, 1, 1, 1);
    convolution(conv, x, f, 0, 0, 1, 1, 2, 2);
    descriptor fn;
    cudnnCreateFilterDescriptor(&fn);
    cudnnSetFilter4dDescriptor(fn, DATA_FLOAT, FORMAT_NHWC, 4, 3, 3, 3);
    convolution(conv, nhwc, fn, 1, 1, 1, 1, 1, 1);
    cudnnSetConvolution2dDescriptor(conv, 0, 0, 1, 1, 1, 1, CROSS_CORRELATION, DATA_FLOAT);
    for (int m = 0; m <= 4; m++) {
        int got = -1;
        status s = cudnnSetConvolutionMathType(conv, m);
        cudnnGetConvolutionMathType(conv, &got);
        printf("math type %d: set %d, then reads %d\n", m, s, got);
    }
    printf("convolution with half compute: %d\n",
           cudnnSetConvolution2dDescriptor(conv, 0, 0, 1, 1, 1, 1, CROSS_CORRELATION, DATA_HALF));
    printf("convolution mode CONVOLUTION: %d\n",
           cudnnSetConvolution2dDescriptor(conv, 0, 0, 1, 1, 1, 1, CONVOLUTION, DATA_FLOAT));

    // Pooling windows (CudnnPooling: MAX_DETERMINISTIC, no padding).
    descriptor p;
    cudnnCreatePoolingDescriptor(&p);
    pooling(p, POOLING_MAX_DETERMINISTIC, 2, 2, 0, 0, 2, 2);
    pooling(p, POOLING_MAX_DETERMINISTIC, 3, 3, 0, 0, 2, 2);
    pooling(p, POOLING_MAX_DETERMINISTIC, 2, 2, 1, 1, 2, 2);
    pooling(p, POOLING_MAX_DETERMINISTIC, 2, 2, 2, 2, 2, 2);
    pooling(p, POOLING_MAX_DETERMINISTIC, 2, 2, 0, 0, 1, 1);
    pooling(p, POOLING_MAX_DETERMINISTIC, 0, 2, 0, 0, 2, 2);
    pooling(p, POOLING_MAX_DETERMINISTIC, 2, 2, 0, 0, 0, 2);
    pooling(p, POOLING_MAX, 2, 2, 0, 0, 2, 2);

    // Batch norm's derived parameter descriptor (CudnnNormalization).
    descriptor bn;
    cudnnCreateTensorDescriptor(&bn);
    printf("batch norm spatial, from NCHW: %d\n", cudnnDeriveBNTensorDescriptor(bn, x, BN_SPATIAL));
    printf("batch norm spatial, from NHWC: %d\n", cudnnDeriveBNTensorDescriptor(bn, nhwc, BN_SPATIAL));
    printf("batch norm per activation: %d\n", cudnnDeriveBNTensorDescriptor(bn, x, BN_PER_ACTIVATION));
    printf("batch norm spatial persistent: %d\n", cudnnDeriveBNTensorDescriptor(bn, x, BN_SPATIAL_PERSISTENT));
    return 0;
}
