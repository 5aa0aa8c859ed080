// Checks the CUDA emulator's cuBLAS SGEMM (cublasSgemm_v2 and cublasSgemmStridedBatched) against an
// independent implementation of the same contract, the reference BLAS's sgemm_ (column-major,
// op(A) m x k, op(B) k x n, leading dimensions, C = alpha op(A) op(B) + beta C), over 3000 random
// cases: both transposes, padded leading dimensions, alpha 0, beta 0 over a C full of NaN (which
// must not be read), batches with a shared (stride 0) operand, and the gaps between batch entries
// and below each column's m rows (which must be left alone). strix maps its row-major tensors onto
// this contract (dev.strix.cuda.GemmPlan); the emulator is what the CUDA tests run against without a
// GPU, so a misreading of cuBLAS shared by both would pass those tests: this check rules that out.
//
//   cublas_gemm_probe LIBCUDA LIBCUBLAS LIBBLAS      (the emulator's two, and e.g. Debian's libblas.so.3)
//
// Exit status 0 when every case agrees (within 1e-4 relative: the sums run in another order).
#include <dlfcn.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
typedef unsigned long long dptr;
static void* need(void* lib, const char* n) { void* p = dlsym(lib, n); if (!p) { printf("no %s\n", n); exit(2); } return p; }
int main(int argc, char** argv) {
  if (argc != 4) { fprintf(stderr, "usage: %s LIBCUDA LIBCUBLAS LIBBLAS\n", argv[0]); return 2; }
  void* cu = dlopen(argv[1], RTLD_NOW | RTLD_GLOBAL); void* cb = dlopen(argv[2], RTLD_NOW | RTLD_GLOBAL); void* bl = dlopen(argv[3], RTLD_NOW);
  if (!cu || !cb || !bl) { printf("dlopen: %s\n", dlerror()); return 2; }
  int (*cuInit)(unsigned) = need(cu, "cuInit");
  int (*retain)(void**, int) = need(cu, "cuDevicePrimaryCtxRetain");
  int (*setCurrent)(void*) = need(cu, "cuCtxSetCurrent");
  int (*streamCreate)(void**, unsigned) = need(cu, "cuStreamCreate");
  int (*sync)(void*) = need(cu, "cuStreamSynchronize");
  int (*alloc)(dptr*, size_t) = need(cu, "cuMemAlloc_v2");
  int (*h2d)(dptr, const void*, size_t, void*) = need(cu, "cuMemcpyHtoDAsync_v2");
  int (*d2h)(void*, dptr, size_t, void*) = need(cu, "cuMemcpyDtoHAsync_v2");
  int (*create)(void**) = need(cb, "cublasCreate_v2");
  int (*setStream)(void*, void*) = need(cb, "cublasSetStream_v2");
  int (*sgemm)(void*, int, int, int, int, int, const float*, const float*, int, const float*, int, const float*, float*, int) = need(cb, "cublasSgemm_v2");
  int (*batched)(void*, int, int, int, int, int, const float*, const float*, int, long long, const float*, int, long long, const float*, float*, int, long long, int) = need(cb, "cublasSgemmStridedBatched");
  void (*ref)(const char*, const char*, const int*, const int*, const int*, const float*, const float*, const int*, const float*, const int*, const float*, float*, const int*) = need(bl, "sgemm_");
  void* ctx; void* stream; void* handle;
  if (cuInit(0) || retain(&ctx, 0) || setCurrent(ctx) || streamCreate(&stream, 1) || create(&handle) || setStream(handle, stream)) { printf("setup failed\n"); return 2; }
  srand(12345);
  enum { CAP = 1 << 16 };
  static float A[CAP], B[CAP], C[CAP], R[CAP], OUT[CAP];
  dptr dA, dB, dC; alloc(&dA, sizeof A); alloc(&dB, sizeof B); alloc(&dC, sizeof C);
  int trials = 3000, worst_trial = -1; double worst = 0; int failures = 0;
  const float alphas[] = {1.0f, 0.5f, -2.0f, 0.0f}, betas[] = {0.0f, 1.0f, 0.25f};
  for (int t = 0; t < trials; t++) {
    int opA = rand() % 2, opB = rand() % 2;
    int big = rand() % 5 == 0;
    int m = rand() % (big ? 40 : 7), n = rand() % (big ? 40 : 7), k = rand() % (big ? 40 : 7);
    int rowsA = opA ? k : m, colsA = opA ? m : k, rowsB = opB ? n : k, colsB = opB ? k : n;
    int lda = (rowsA > 0 ? rowsA : 1) + rand() % 3, ldb = (rowsB > 0 ? rowsB : 1) + rand() % 3, ldc = (m > 0 ? m : 1) + rand() % 3;
    int batch = 1 + rand() % 3, plain = rand() % 3 == 0;
    if (plain) batch = 1;
    long long sizeA = (long long)lda * colsA, sizeB = (long long)ldb * colsB, sizeC = (long long)ldc * n;
    long long strideA = rand() % 3 == 0 ? 0 : sizeA + rand() % 4, strideB = rand() % 3 == 0 ? 0 : sizeB + rand() % 4;
    long long strideC = sizeC + rand() % 4;
    float alpha = alphas[rand() % 4], beta = betas[rand() % 3];
    long long needA = strideA * (batch - 1) + sizeA, needB = strideB * (batch - 1) + sizeB, needC = strideC * (batch - 1) + sizeC;
    if (needA > CAP || needB > CAP || needC > CAP) { t--; continue; }
    for (long long i = 0; i < needA; i++) A[i] = (float)(rand() % 2001 - 1000) / 250.0f;
    for (long long i = 0; i < needB; i++) B[i] = (float)(rand() % 2001 - 1000) / 250.0f;
    for (long long i = 0; i < needC; i++) C[i] = beta == 0.0f ? NAN : (float)(rand() % 2001 - 1000) / 250.0f;
    memcpy(R, C, sizeof(float) * (needC > 0 ? needC : 1));
    for (long long i = 0; i < needC; i++) if (beta == 0.0f) R[i] = NAN;
    h2d(dA, A, sizeof(float) * (needA > 0 ? needA : 1), stream); h2d(dB, B, sizeof(float) * (needB > 0 ? needB : 1), stream);
    h2d(dC, C, sizeof(float) * (needC > 0 ? needC : 1), stream);
    int s = plain ? sgemm(handle, opA, opB, m, n, k, &alpha, (float*)dA, lda, (float*)dB, ldb, &beta, (float*)dC, ldc)
                  : batched(handle, opA, opB, m, n, k, &alpha, (float*)dA, lda, strideA, (float*)dB, ldb, strideB, &beta, (float*)dC, ldc, strideC, batch);
    d2h(OUT, dC, sizeof(float) * (needC > 0 ? needC : 1), stream); sync(stream);
    if (s != 0) { printf("trial %d: status %d\n", t, s); failures++; continue; }
    char ta = opA ? 'T' : 'N', tb = opB ? 'T' : 'N';
    for (int b = 0; b < batch; b++) {
      // Reference BLAS with beta 0 ignores C: start its copy from zeros so NaN cannot leak in.
      if (beta == 0.0f) for (int j = 0; j < n; j++) for (int i = 0; i < m; i++) R[b * strideC + (long long)j * ldc + i] = 0.0f;
      if (m > 0 && n > 0) ref(&ta, &tb, &m, &n, &k, &alpha, A + b * strideA, &lda, B + b * strideB, &ldb, &beta, R + b * strideC, &ldc);
    }
    for (long long i = 0; i < needC; i++) {
      int inside = 0;
      for (int b = 0; b < batch && !inside; b++) {
        long long off = i - b * strideC;
        if (off >= 0 && off < sizeC && off % ldc < m) inside = 1;
      }
      float want = R[i], got = OUT[i];
      if (!inside) { want = C[i]; }   // padding and gaps must be left as they were (NaN stays NaN)
      int same = (isnan(want) && isnan(got)) || fabsf(want - got) <= 1e-4f * (1.0f + fabsf(want));
      double err = isnan(want) != isnan(got) ? INFINITY : fabs((double)want - got);
      if (err > worst) { worst = err; worst_trial = t; }
      if (!same) {
        if (failures < 10) printf("trial %d (%s%c%c m %d n %d k %d lda %d ldb %d ldc %d batch %d strides %lld %lld %lld alpha %g beta %g): C[%lld] = %g, reference %g%s\n",
                                  t, plain ? "sgemm " : "batched ", ta, tb, m, n, k, lda, ldb, ldc, batch, strideA, strideB, strideC, alpha, beta, i, got, want, inside ? "" : " (outside C: must be untouched)");
        failures++; break;
      }
    }
  }
  printf("%d trials, %d failed; largest difference %g (trial %d)\n", trials, failures, worst, worst_trial);
  return failures != 0;
}
