// A self-test of the emulated cuDNN for what the Java suite does not reach: CUDNN_CONVOLUTION
// (flipped) mode, dilation, strides and padding together, KRSC filters and NHWC data, checked by
// the adjoint identities <dy, conv(x, w)> = <backwardData(dy), x> = <backwardFilter(x, dy), w> and
// one element against a direct sum; beta blending, workspace and in-place refusals; the algorithm
// search; pooling's tie and NaN rules; batch norm (both modes) against central differences and its
// recompute path; cudnnAddTensor and the bias gradient. build.sh runs it after building the
// libraries (the refusals it provokes print "[strix emulator]" lines; it ends with "OK (0 failures)").
// It reads device memory directly, so it asks the emulator to run work as it is issued.
#include <cstdio>
#include <cstdlib>
#include <cmath>
#include <vector>
#include <random>
#include <cstring>

#include "cudnn_api.h"
#include "selftest.h"
extern "C" {
int cuInit(unsigned); int cuDevicePrimaryCtxRetain(void**, int); int cuCtxSetCurrent(void*); int cuMemAlloc_v2(unsigned long long*, size_t);
int cudnnCreate(cudnnHandle_t*); int cudnnDestroy(cudnnHandle_t);
int cudnnCreateTensorDescriptor(cudnnTensorDescriptor_t*); int cudnnSetTensor4dDescriptorEx(cudnnTensorDescriptor_t,int,int,int,int,int,int,int,int,int);
int cudnnSetTensor4dDescriptor(cudnnTensorDescriptor_t,int,int,int,int,int,int);
int cudnnCreateFilterDescriptor(cudnnFilterDescriptor_t*); int cudnnSetFilter4dDescriptor(cudnnFilterDescriptor_t,int,int,int,int,int,int);
int cudnnCreateConvolutionDescriptor(cudnnConvolutionDescriptor_t*); int cudnnSetConvolution2dDescriptor(cudnnConvolutionDescriptor_t,int,int,int,int,int,int,int,int);
int cudnnSetConvolutionMathType(cudnnConvolutionDescriptor_t,int);
int cudnnConvolutionForward(cudnnHandle_t,const void*,cudnnTensorDescriptor_t,const void*,cudnnFilterDescriptor_t,const void*,cudnnConvolutionDescriptor_t,int,void*,size_t,const void*,cudnnTensorDescriptor_t,void*);
int cudnnConvolutionBackwardData(cudnnHandle_t,const void*,cudnnFilterDescriptor_t,const void*,cudnnTensorDescriptor_t,const void*,cudnnConvolutionDescriptor_t,int,void*,size_t,const void*,cudnnTensorDescriptor_t,void*);
int cudnnConvolutionBackwardFilter(cudnnHandle_t,const void*,cudnnTensorDescriptor_t,const void*,cudnnTensorDescriptor_t,const void*,cudnnConvolutionDescriptor_t,int,void*,size_t,const void*,cudnnFilterDescriptor_t,void*);
int cudnnFindConvolutionForwardAlgorithmEx(cudnnHandle_t,cudnnTensorDescriptor_t,const void*,cudnnFilterDescriptor_t,const void*,cudnnConvolutionDescriptor_t,cudnnTensorDescriptor_t,void*,int,int*,cudnnConvolutionAlgoPerf_t*,void*,size_t);
int cudnnFindConvolutionBackwardFilterAlgorithmEx(cudnnHandle_t,cudnnTensorDescriptor_t,const void*,cudnnTensorDescriptor_t,const void*,cudnnConvolutionDescriptor_t,cudnnFilterDescriptor_t,void*,int,int*,cudnnConvolutionAlgoPerf_t*,void*,size_t);
int cudnnCreatePoolingDescriptor(cudnnPoolingDescriptor_t*); int cudnnSetPooling2dDescriptor(cudnnPoolingDescriptor_t,int,int,int,int,int,int,int,int);
int cudnnPoolingForward(cudnnHandle_t,cudnnPoolingDescriptor_t,const void*,cudnnTensorDescriptor_t,const void*,const void*,cudnnTensorDescriptor_t,void*);
int cudnnPoolingBackward(cudnnHandle_t,cudnnPoolingDescriptor_t,const void*,cudnnTensorDescriptor_t,const void*,cudnnTensorDescriptor_t,const void*,cudnnTensorDescriptor_t,const void*,const void*,cudnnTensorDescriptor_t,void*);
int cudnnBatchNormalizationForwardTraining(cudnnHandle_t,int,const void*,const void*,cudnnTensorDescriptor_t,const void*,cudnnTensorDescriptor_t,void*,cudnnTensorDescriptor_t,const void*,const void*,double,void*,void*,double,void*,void*);
int cudnnBatchNormalizationBackward(cudnnHandle_t,int,const void*,const void*,const void*,const void*,cudnnTensorDescriptor_t,const void*,cudnnTensorDescriptor_t,const void*,cudnnTensorDescriptor_t,void*,cudnnTensorDescriptor_t,const void*,void*,void*,double,const void*,const void*);
int cudnnDeriveBNTensorDescriptor(cudnnTensorDescriptor_t,cudnnTensorDescriptor_t,int);
int cudnnAddTensor(cudnnHandle_t,const void*,cudnnTensorDescriptor_t,const void*,const void*,cudnnTensorDescriptor_t,void*);
int cudnnConvolutionBackwardBias(cudnnHandle_t,const void*,cudnnTensorDescriptor_t,const void*,const void*,cudnnTensorDescriptor_t,void*);
}
static float* dev(size_t n) { unsigned long long p = 0; if (cuMemAlloc_v2(&p, n * 4) != 0) std::abort(); return reinterpret_cast<float*>(p); }
static std::mt19937 rng(7);
static void fill(float* p, size_t n) { std::uniform_real_distribution<float> d(-1, 1); for (size_t i = 0; i < n; i++) p[i] = d(rng); }
static double dot(const float* a, const float* b, size_t n) { double s = 0; for (size_t i = 0; i < n; i++) s += (double)a[i] * b[i]; return s; }
static cudnnTensorDescriptor_t tdesc(int n, int c, int h, int w, bool nhwc) {
  cudnnTensorDescriptor_t d; cudnnCreateTensorDescriptor(&d);
  int r = nhwc ? cudnnSetTensor4dDescriptorEx(d, 0, n, c, h, w, h*w*c, 1, w*c, c) : cudnnSetTensor4dDescriptorEx(d, 0, n, c, h, w, c*h*w, h*w, w, 1);
  CHECK(r == 0); return d;
}
int main() {
  setenv("STRIX_EMULATOR_SYNCHRONOUS", "1", 1);
  void* context = nullptr;
  CHECK(cuInit(0) == 0 && cuDevicePrimaryCtxRetain(&context, 0) == 0 && cuCtxSetCurrent(context) == 0);
  cudnnHandle_t h; CHECK(cudnnCreate(&h) == 0);
  float one = 1, zero = 0;
  // adjoint identities over many configurations
  int cfgs[][10] = { // n c h w k r s pad stride dil
    {2,3,7,6,4,3,3,1,1,1},{1,2,9,8,3,3,2,2,2,1},{2,1,8,8,2,2,3,0,1,2},{1,4,5,5,3,1,1,0,2,1},{2,3,6,7,5,3,3,1,2,2}};
  for (auto& g : cfgs) for (int mode = 0; mode < 2; mode++) for (int fmt = 0; fmt < 2; fmt++) for (int nhwc = 0; nhwc < 2; nhwc++) {
    int N=g[0],C=g[1],H=g[2],W=g[3],K=g[4],R=g[5],S=g[6],P=g[7],U=g[8],D=g[9];
    int OH = 1 + (H + 2*P - ((R-1)*D+1))/U, OW = 1 + (W + 2*P - ((S-1)*D+1))/U;
    auto xd = tdesc(N,C,H,W,nhwc), yd = tdesc(N,K,OH,OW,nhwc);
    cudnnFilterDescriptor_t wd; cudnnCreateFilterDescriptor(&wd); CHECK(cudnnSetFilter4dDescriptor(wd,0,fmt,K,C,R,S)==0);
    cudnnConvolutionDescriptor_t cd; cudnnCreateConvolutionDescriptor(&cd); CHECK(cudnnSetConvolution2dDescriptor(cd,P,P,U,U,D,D,mode,0)==0);
    size_t nx=N*C*H*W, ny=N*K*OH*OW, nw=K*C*R*S;
    float *x=dev(nx),*y=dev(ny),*w=dev(nw),*dy=dev(ny),*dx=dev(nx),*dw=dev(nw); fill(x,nx); fill(w,nw); fill(dy,ny);
    size_t wsn = 1<<20; float* ws = dev(wsn/4);
    for (size_t i=0;i<ny;i++) y[i]=NAN; for (size_t i=0;i<nx;i++) dx[i]=NAN; for (size_t i=0;i<nw;i++) dw[i]=NAN;
    CHECK(cudnnConvolutionForward(h,&one,xd,x,wd,w,cd,1,ws,wsn,&zero,yd,y)==0);
    CHECK(cudnnConvolutionBackwardData(h,&one,wd,w,yd,dy,cd,1,ws,wsn,&zero,xd,dx)==0);
    CHECK(cudnnConvolutionBackwardFilter(h,&one,xd,x,yd,dy,cd,1,ws,wsn,&zero,wd,dw)==0);
    double a = dot(dy,y,ny), b = dot(dx,x,nx), c = dot(dw,w,nw);
    if (std::fabs(a-b) > 1e-4*(1+std::fabs(a)) || std::fabs(a-c) > 1e-4*(1+std::fabs(a))) { std::printf("adjoint mismatch cfg %d %d %d %d: %f %f %f\n", g[0]+0, mode, fmt, nhwc, a, b, c); failures++; }
    // naive check of forward at one element, cross-correlation vs convolution
    if (!nhwc && !fmt) {
      int n=N-1,k=K-1,i=OH-1,j=0; double s=0;
      for(int cc=0;cc<C;cc++)for(int r=0;r<R;r++)for(int q=0;q<S;q++){int aa=i*U-P+r*D,bb=j*U-P+q*D; if(aa<0||aa>=H||bb<0||bb>=W)continue;
        int rr = mode==0? R-1-r : r, qq = mode==0? S-1-q : q;
        s += (double)x[((n*C+cc)*H+aa)*W+bb]*w[((k*C+cc)*R+rr)*S+qq];}
      CHECK(std::fabs(s - y[((n*K+k)*OH+i)*OW+j]) < 1e-5);
    }
    // blending: beta 1 adds
    std::vector<float> y0(y, y+ny);
    CHECK(cudnnConvolutionForward(h,&one,xd,x,wd,w,cd,0,nullptr,0,&one,yd,y)==0);
    for (size_t i=0;i<ny;i++) if (std::fabs(y[i]-2*y0[i])>1e-5) { failures++; std::printf("blend\n"); break; }
    // too-small workspace
    CHECK(cudnnConvolutionForward(h,&one,xd,x,wd,w,cd,1,ws,4,&zero,yd,y)==2000);
    CHECK(cudnnConvolutionForward(h,&one,xd,x,wd,w,cd,1,ws,wsn*2,&zero,yd,y)==2000);  // past the allocation
    CHECK(cudnnConvolutionForward(h,&one,xd,y,wd,w,cd,0,nullptr,0,&zero,yd,y)==2000 || nx > ny); // in place
  }
  // Find
  {
    auto xd = tdesc(2,3,8,8,false), yd = tdesc(2,4,6,6,false);
    cudnnFilterDescriptor_t wd; cudnnCreateFilterDescriptor(&wd); cudnnSetFilter4dDescriptor(wd,0,0,4,3,3,3);
    cudnnConvolutionDescriptor_t cd; cudnnCreateConvolutionDescriptor(&cd); cudnnSetConvolution2dDescriptor(cd,0,0,1,1,1,1,1,0); cudnnSetConvolutionMathType(cd,3);
    float *x=dev(384),*y=dev(288),*w=dev(108),*ws=dev(1<<18); fill(x,384); fill(w,108);
    cudnnConvolutionAlgoPerf_t perf[8]; int n=0;
    CHECK(cudnnFindConvolutionForwardAlgorithmEx(h,xd,x,wd,w,cd,yd,y,8,&n,perf,ws,1<<20)==0);
    CHECK(n==8);
    for (int i=0;i<n;i++) std::printf("fwd algo %d status %d time %.4f mem %zu det %d math %d\n", perf[i].algo, perf[i].status, perf[i].time, perf[i].memory, perf[i].determinism, perf[i].mathType);
    cudnnTensorDescriptor_t dyd = yd; float* dw = dev(108);
    CHECK(cudnnFindConvolutionBackwardFilterAlgorithmEx(h,xd,x,dyd,y,cd,wd,dw,7,&n,perf,ws,64)==0);
    for (int i=0;i<n;i++) std::printf("bwf algo %d status %d time %.4f mem %zu det %d\n", perf[i].algo, perf[i].status, perf[i].time, perf[i].memory, perf[i].determinism);
    // Tensor-op maths: algorithm + math type pairs; with 3 input channels the FMA ones are faster.
    cudnnSetConvolutionMathType(cd,1);
    CHECK(cudnnFindConvolutionForwardAlgorithmEx(h,xd,x,wd,w,cd,yd,y,8,&n,perf,ws,1<<20)==0);
    CHECK(n==8 && perf[0].mathType==3 && perf[0].status==0);
    int tensorOps=0; for (int i=0;i<n;i++) { tensorOps += perf[i].mathType==1; CHECK(perf[i].mathType==1 || perf[i].mathType==3); }
    CHECK(tensorOps>0);
    // What runs follows the descriptor: algorithm 1 under tensor-op maths reads TF32, under FMA float32.
    float xv=1.0f+0x1p-12f; for (int i=0;i<384;i++) x[i]=xv; for (int i=0;i<108;i++) w[i]=1.0f;
    CHECK(cudnnConvolutionForward(h,&one,xd,x,wd,w,cd,1,ws,1<<18,&zero,yd,y)==0);
    CHECK(y[0]==27.0f);
    cudnnSetConvolutionMathType(cd,3);
    CHECK(cudnnConvolutionForward(h,&one,xd,x,wd,w,cd,1,ws,1<<18,&zero,yd,y)==0);
    CHECK(y[0]==27.0f*xv);
    cudnnSetConvolutionMathType(cd,1);
    CHECK(cudnnConvolutionForward(h,&one,xd,x,wd,w,cd,6,ws,1<<18,&zero,yd,y)==0);   // Winograd: no tensor-op variant
    CHECK(y[0]==27.0f*xv);
  }
  // pooling with ties
  {
    auto xd = tdesc(1,1,3,3,false), yd = tdesc(1,1,2,2,false);
    cudnnPoolingDescriptor_t pd; cudnnCreatePoolingDescriptor(&pd); CHECK(cudnnSetPooling2dDescriptor(pd,3,0,2,2,0,0,1,1)==0);
    float* x = dev(9); float xv[9] = {1,5,5, 5,2,0, NAN,3,4}; std::memcpy(x,xv,36);
    float* y = dev(4); float* dy = dev(4); float* dx = dev(9); float dyv[4]={1,10,100,1000}; std::memcpy(dy,dyv,16);
    CHECK(cudnnPoolingForward(h,pd,&one,xd,x,&zero,yd,y)==0);
    std::printf("pool y %g %g %g %g\n", y[0],y[1],y[2],y[3]);
    CHECK(y[0]==5&&y[1]==5&&y[2]==5&&y[3]==4);
    for(int i=0;i<9;i++)dx[i]=NAN;
    CHECK(cudnnPoolingBackward(h,pd,&one,yd,y,yd,dy,xd,x,&zero,xd,dx)==0);
    float ex[9]={0,11,0, 100,0,0, 0,0,1000};
    for(int i=0;i<9;i++) if(dx[i]!=ex[i]){std::printf("pool dx[%d]=%g expected %g\n",i,dx[i],ex[i]);failures++;}
  }
  // batch norm gradient check, spatial, NHWC view
  for (int mode = 0; mode < 2; mode++) {
    int N=3,C=2,H=2,W=3; size_t nx=N*C*H*W;
    auto xd = tdesc(N,C,H,W,true);
    cudnnTensorDescriptor_t bd; cudnnCreateTensorDescriptor(&bd); CHECK(cudnnDeriveBNTensorDescriptor(bd,xd,mode)==0);
    size_t np = mode==1? C : C*H*W;
    float *x=dev(nx),*y=dev(nx),*g=dev(np),*b=dev(np),*rm=dev(np),*rv=dev(np),*sm=dev(np),*si=dev(np),*r=dev(nx),*dx=dev(nx),*dg=dev(np),*db=dev(np);
    fill(x,nx); fill(g,np); fill(b,np); fill(r,nx); for(size_t i=0;i<np;i++){rm[i]=NAN;rv[i]=NAN;}
    double eps=1e-3;
    CHECK(cudnnBatchNormalizationForwardTraining(h,mode,&one,&zero,xd,x,xd,y,bd,g,b,1.0,rm,rv,eps,sm,si)==0);
    CHECK(!std::isnan(rm[0]) && !std::isnan(rv[0]));
    CHECK(cudnnBatchNormalizationBackward(h,mode,&one,&zero,&one,&zero,xd,x,xd,r,xd,dx,bd,g,dg,db,eps,sm,si)==0);
    auto loss=[&](){ cudnnBatchNormalizationForwardTraining(h,mode,&one,&zero,xd,x,xd,y,bd,g,b,0.5,rm,rv,eps,nullptr,nullptr); return dot(y,r,nx); };
    double worst=0;
    for(size_t i=0;i<nx;i++){float o=x[i]; x[i]=o+1e-2f; double lp=loss(); x[i]=o-1e-2f; double lm=loss(); x[i]=o; double num=(lp-lm)/(2e-2); worst=std::max(worst,std::fabs(num-dx[i]));}
    for(size_t i=0;i<np;i++){float o=g[i]; g[i]=o+1e-2f; double lp=loss(); g[i]=o-1e-2f; double lm=loss(); g[i]=o; worst=std::max(worst,std::fabs((lp-lm)/2e-2-dg[i]));}
    std::printf("bn mode %d worst grad error %g\n", mode, worst);
    CHECK(worst < 2e-3);
    // recompute path equals saved path
    float* dx2=dev(nx);
    CHECK(cudnnBatchNormalizationBackward(h,mode,&one,&zero,&one,&zero,xd,x,xd,r,xd,dx2,bd,g,dg,db,eps,nullptr,nullptr)==0);
    for(size_t i=0;i<nx;i++) if(std::fabs(dx2[i]-dx[i])>1e-5){failures++;std::printf("bn recompute\n");break;}
  }
  // add tensor and bias grad
  {
    auto cd = tdesc(2,3,2,2,false); cudnnTensorDescriptor_t ad; cudnnCreateTensorDescriptor(&ad); cudnnSetTensor4dDescriptor(ad,0,0,1,3,1,1);
    float* c=dev(24); float* a=dev(3); for(int i=0;i<24;i++)c[i]=i; a[0]=100;a[1]=200;a[2]=300;
    CHECK(cudnnAddTensor(h,&one,ad,a,&one,cd,c)==0); CHECK(c[0]==100 && c[4]==204 && c[23]==323);
    CHECK(cudnnConvolutionBackwardBias(h,&one,cd,c,&zero,ad,a)==0);
    std::printf("bias grad %g %g %g\n",a[0],a[1],a[2]);
    CHECK(a[0] == 100 * 8 + (0 + 1 + 2 + 3 + 12 + 13 + 14 + 15));
  }
  // bad parameters
  { cudnnTensorDescriptor_t d; cudnnCreateTensorDescriptor(&d); CHECK(cudnnSetTensor4dDescriptorEx(d,0,1,2,3,4,-1,1,1,1)==2000); CHECK(cudnnSetTensor4dDescriptorEx(d,99,1,2,3,4,1,1,1,1)==2000);
    // As real cuDNN 9.5 answers: a stride 0 only on an axis of one element.
    CHECK(cudnnSetTensor4dDescriptorEx(d,0,2,3,4,5,0,20,5,1)==2000); CHECK(cudnnSetTensor4dDescriptorEx(d,0,2,3,4,5,60,20,5,0)==2000);
    CHECK(cudnnSetTensor4dDescriptorEx(d,0,1,3,4,5,0,20,5,1)==0); CHECK(cudnnSetTensor4dDescriptorEx(d,0,2,1,4,5,20,0,5,1)==0); }
  CHECK(cudnnDestroy(h)==0); CHECK(cudnnDestroy(h)==2000);
  return selftest_result();
}
