// The one translation unit nvcc compiles into strix_kernels.fatbin (SASS for sm_80 and sm_90, PTX
// for newer GPUs), which dev.strix.cuda embeds as a resource and loads with cuModuleLoadData.
// One file per op family; every kernel is extern "C" so Java finds it by its plain name.
#include "copy.cu"
#include "elementwise.cu"
#include "reduce.cu"
#include "conv_strided.cu"
#include "im2col.cu"
#include "pooling.cu"
#include "gather.cu"
#include "augment.cu"
#include "fused.cu"
#include "normalization.cu"
#include "activation.cu"
#include "losses.cu"
#include "optim.cu"
