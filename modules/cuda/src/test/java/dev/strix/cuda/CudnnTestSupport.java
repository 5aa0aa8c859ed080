package dev.strix.cuda;

import dev.strix.bindings.CudaLibraries;
import dev.strix.bindings.NativeLibrary;
import dev.strix.tensor.Backend;
import org.junit.jupiter.api.Assumptions;

/** The gate of tests of cuDNN ops: {@link CudaTestSupport#cudaOrSkip}, then a skip with the reason where libcudnn is missing. */
final class CudnnTestSupport {
    private CudnnTestSupport() {
    }

    static Backend cudnnOrSkip(String suite) {
        Backend cuda = CudaTestSupport.cudaOrSkip(suite);
        requireCudnn();
        return cuda;
    }

    /** A skip with the loader's reason where libcudnn is missing (for suites already past the CUDA gate). */
    static void requireCudnn() {
        CudaLibraries.Result r = CudaLibraries.load(NativeLibrary.CUDNN);
        Assumptions.assumeTrue(r.loaded(), "cuDNN: " + r.message());
    }

    /** {@code size} distinct values: a permutation of 0 .. size - 1 (37 is prime to size), centred and scaled. */
    static float[] distinct(int size) {
        if (size % 37 == 0) {
            throw new IllegalArgumentException("distinct: " + size + " is a multiple of 37");
        }
        float[] a = new float[size];
        for (int i = 0; i < size; i++) {
            a[i] = ((i * 37L) % size - size / 2) / 8f;
        }
        return a;
    }
}
