package dev.strix.cuda;

import static dev.strix.cuda.CudaErrors.check;

import dev.strix.bindings.cuda.CudaDriver;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.HashMap;
import java.util.Map;

/**
 * Our kernel library: the fatbin that the build compiled from cuda-src (resource
 * {@code dev/strix/cuda/strix_kernels.fatbin}), loaded into the context with cuModuleLoadData, and
 * the launches of its kernels on the backend's stream.
 *
 * <p>Every launch goes through one {@link KernelParams} buffer, so callers hold this object's
 * monitor from {@link #params()} to {@link #launch}.
 */
final class CudaKernels implements AutoCloseable {
    /** Resource name, beside this class. */
    static final String FATBIN = "strix_kernels.fatbin";
    /** Threads per block for element-wise kernels, and the fixed block size of the block reductions. */
    static final int THREADS = 256;
    /** Grid-stride loops cover any size, so grids are capped. */
    private static final long MAX_BLOCKS = 1L << 16;

    private final CudaContext context;
    private final Arena arena = Arena.ofShared();
    private final MemorySegment module;
    private final Map<String, MemorySegment> functions = new HashMap<>();
    private final KernelParams params = new KernelParams(arena);

    CudaKernels(CudaContext context) {
        this.context = context;
        byte[] image = readImage();
        if (image == null) {
            throw new IllegalStateException("kernels not built: " + FATBIN + " is missing from dev.strix.cuda");
        }
        context.makeCurrent();
        try (Arena temp = Arena.ofConfined()) {
            MemorySegment data = temp.allocate(image.length, 16);
            MemorySegment.copy(image, 0, data, ValueLayout.JAVA_BYTE, 0, image.length);
            MemorySegment out = temp.allocate(ValueLayout.ADDRESS);
            check(CudaDriver.cuModuleLoadData(out, data), "cuModuleLoadData");
            this.module = out.get(ValueLayout.ADDRESS, 0);
        }
    }

    /** The embedded fatbin, or null when the build had no nvcc. */
    static byte[] readImage() {
        try (InputStream in = CudaKernels.class.getResourceAsStream(FATBIN)) {
            return in == null ? null : in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException("reading " + FATBIN, e);
        }
    }

    /** Whether the build embedded the kernels. */
    static boolean built() {
        return CudaKernels.class.getResource(FATBIN) != null;
    }

    /** The kernel called {@code name} (its extern "C" name), looked up once. */
    synchronized MemorySegment function(String name) {
        MemorySegment f = functions.get(name);
        if (f == null) {
            try (Arena temp = Arena.ofConfined()) {
                MemorySegment out = temp.allocate(ValueLayout.ADDRESS);
                check(CudaDriver.cuModuleGetFunction(out, module, temp.allocateFrom(name)),
                        "cuModuleGetFunction(" + name + ")");
                f = out.get(ValueLayout.ADDRESS, 0);
            }
            functions.put(name, f);
        }
        return f;
    }

    /** The reused argument list, emptied; call with this object's monitor held. */
    KernelParams params() {
        return params.reset();
    }

    /** Launches {@code f} with enough blocks of {@link #THREADS} to give one thread per element. */
    void launch(MemorySegment f, long elements, String name) {
        long blocks = Math.min(MAX_BLOCKS, Math.max(1, (elements + THREADS - 1) / THREADS));
        launchBlocks(f, (int) blocks, THREADS, name);
    }

    /** Launches {@code f} as {@code blocks} blocks of {@code threads}, with the current {@link #params()}. */
    void launchBlocks(MemorySegment f, int blocks, int threads, String name) {
        context.makeCurrent();
        int r = CudaDriver.cuLaunchKernel(f, blocks, 1, 1, threads, 1, 1, 0, context.stream(), params.pointers(),
                MemorySegment.NULL);
        if (r != 0) {
            check(r, "cuLaunchKernel(" + name + ")");
        }
        context.queued();
    }

    /** Blocks for kernels that give one block per output, capped like {@link #launch}. */
    static int blocksFor(long outputs) {
        return (int) Math.min(MAX_BLOCKS, Math.max(1, outputs));
    }

    @Override
    public void close() {
        context.makeCurrent();
        check(CudaDriver.cuModuleUnload(module), "cuModuleUnload");
        arena.close();
    }
}
