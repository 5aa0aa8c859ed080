package dev.strix.cuda;

import static dev.strix.cuda.CudaErrors.checkCudnn;

import dev.strix.bindings.cudnn.Cudnn;
import dev.strix.tensor.Tensor;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The 4-D float32 cuDNN tensor descriptors of one op group, one per distinct (sizes, element strides),
 * made on first use and kept until {@link #close}: a call of a known layout only looks its
 * descriptor up, without allocating, so the op can be recorded into a CUDA graph once it has run
 * eagerly (the backend's rule for every captured op: cuDNN's first call of a kind may load code).
 *
 * <p>cuDNN takes element strides from 1 to 2^31 - 1, and 0 only on an axis of one element: real cuDNN
 * (9.5, asked by a probe of its descriptor calls) refuses a broadcast axis with CUDNN_STATUS_BAD_PARAM,
 * so such an operand is refused here first, naming it. Outputs must not overlap either, see
 * {@link #requireNoOverlap}.
 */
final class CudnnTensorDescriptors implements AutoCloseable {
    private record Entry(int[] key, MemorySegment descriptor) {
    }

    private final List<Entry> entries = new ArrayList<>();
    private final int[] key = new int[8];
    private Arena arena;
    private MemorySegment out;

    /**
     * The descriptor of sizes {@code [n, c, h, w]} with element strides {@code sn, sc, sh, sw};
     * {@code what} (op and role) names the tensor when a stride is outside cuDNN's range.
     */
    synchronized MemorySegment of(int n, int c, int h, int w, long sn, long sc, long sh, long sw, String what) {
        key[0] = n;
        key[1] = c;
        key[2] = h;
        key[3] = w;
        key[4] = stride(sn, n, what);
        key[5] = stride(sc, c, what);
        key[6] = stride(sh, h, what);
        key[7] = stride(sw, w, what);
        for (int i = 0; i < entries.size(); i++) {
            Entry e = entries.get(i);
            if (Arrays.equals(e.key, key)) {
                return e.descriptor;
            }
        }
        if (arena == null) {
            arena = Arena.ofShared();
            out = arena.allocate(ValueLayout.ADDRESS);
        }
        checkCudnn(Cudnn.cudnnCreateTensorDescriptor(out), "cudnnCreateTensorDescriptor");
        MemorySegment d = out.get(ValueLayout.ADDRESS, 0);
        entries.add(new Entry(key.clone(), d));
        checkCudnn(Cudnn.cudnnSetTensor4dDescriptorEx(d, Cudnn.CUDNN_DATA_FLOAT(), n, c, h, w, key[4], key[5], key[6],
                key[7]), "cudnnSetTensor4dDescriptorEx (" + what + " [" + n + ", " + c + ", " + h + ", " + w
                + "] with strides [" + sn + ", " + sc + ", " + sh + ", " + sw + "])");
        return d;
    }

    /** How many descriptors have been made so far. */
    synchronized int size() {
        return entries.size();
    }

    /** The stride of an axis of {@code size} elements as cuDNN's int, or a refusal naming the tensor. */
    static int stride(long s, long size, String what) {
        if (s < 0 || s > Integer.MAX_VALUE) {
            throw new IllegalArgumentException(what + ": stride " + s + " is outside what cuDNN takes (0 .. 2^31-1);"
                    + " pass a contiguous copy");
        }
        if (s == 0 && size > 1) {
            throw new IllegalArgumentException(what + ": stride 0 on an axis of " + size + " elements (a broadcast),"
                    + " which cuDNN does not take; pass a contiguous copy");
        }
        return (int) s;
    }

    /**
     * Refuses an output {@code t} whose elements overlap (two indices at one address, e.g. a stride
     * 0 on an axis longer than 1), which cuDNN does not write. Each axis of more than one element
     * must step past the farthest element reachable through the axes of smaller stride (ties broken
     * by axis order), which makes every index its own address. No allocation.
     */
    static void requireNoOverlap(Tensor t, String what) {
        for (int i = 0; i < t.rank(); i++) {
            if (t.dim(i) <= 1) {
                continue;
            }
            long below = 0;
            for (int j = 0; j < t.rank(); j++) {
                boolean smaller = t.stride(j) < t.stride(i) || (t.stride(j) == t.stride(i) && j < i);
                if (j != i && t.dim(j) > 1 && smaller) {
                    below += t.stride(j) * (t.dim(j) - 1);
                }
            }
            if (t.stride(i) <= below) {
                throw new IllegalArgumentException(what + ": " + t + " has elements that share memory, and cuDNN"
                        + " cannot write such an output; pass a tensor of its own");
            }
        }
    }

    @Override
    public synchronized void close() {
        for (Entry e : entries) {
            checkCudnn(Cudnn.cudnnDestroyTensorDescriptor(e.descriptor), "cudnnDestroyTensorDescriptor");
        }
        entries.clear();
        if (arena != null) {
            arena.close();
            arena = null;
        }
    }
}
