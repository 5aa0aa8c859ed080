package dev.strix.cuda;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * The argument list of one kernel launch, in the form cuLaunchKernel takes: an array of pointers,
 * one per parameter, each pointing at the parameter's bytes. Both live in native buffers allocated
 * once and reused for every launch (the driver copies the values when the launch is issued).
 *
 * <p>Struct parameters mirror cuda-src/strix_common.cuh byte for byte: {@code StridedShape} is
 * {@code int rank; int dims[8]} (36 bytes), {@code StridedView} is {@code long long offset;
 * long long strides[8]} (72 bytes). Not thread-safe: {@link CudaKernels} serialises launches.
 */
final class KernelParams {
    /** STRIX_MAX_RANK in strix_common.cuh. */
    static final int MAX_RANK = 8;
    static final int SHAPE_BYTES = 4 + 4 * MAX_RANK;
    static final int VIEW_BYTES = 8 + 8 * MAX_RANK;
    private static final int MAX_PARAMS = 64;
    private static final int VALUE_BYTES = 8192;

    private final MemorySegment pointers;
    private final MemorySegment values;
    private int count;
    private long used;

    KernelParams(Arena arena) {
        // Pointers are stored as 64-bit integers (ADDRESS is 8 bytes on every platform CUDA runs on),
        // which spares a MemorySegment per parameter.
        this.pointers = arena.allocate(ValueLayout.JAVA_LONG, MAX_PARAMS);
        this.values = arena.allocate(VALUE_BYTES, 16);
    }

    /** Starts a new argument list. */
    KernelParams reset() {
        count = 0;
        used = 0;
        return this;
    }

    /** The {@code void**} to pass to cuLaunchKernel. */
    MemorySegment pointers() {
        return pointers;
    }

    int count() {
        return count;
    }

    /** Reserves an 8-aligned slot of {@code bytes} and records its address as the next parameter. */
    private long slot(int bytes) {
        if (count == MAX_PARAMS || used + bytes > VALUE_BYTES) {
            throw new IllegalStateException("kernel argument list too long: " + count + " parameters, " + used + " bytes");
        }
        long at = used;
        pointers.setAtIndex(ValueLayout.JAVA_LONG, count++, values.address() + at);
        used = (at + bytes + 7) & ~7L;
        return at;
    }

    /** A device pointer ({@code float*}, {@code const void*}, ...). */
    KernelParams pointer(long address) {
        values.set(ValueLayout.JAVA_LONG, slot(8), address);
        return this;
    }

    KernelParams i32(int value) {
        values.set(ValueLayout.JAVA_INT, slot(4), value);
        return this;
    }

    KernelParams i64(long value) {
        values.set(ValueLayout.JAVA_LONG, slot(8), value);
        return this;
    }

    KernelParams f32(float value) {
        values.set(ValueLayout.JAVA_FLOAT, slot(4), value);
        return this;
    }

    /**
     * A struct of ints by value ({@code struct { int a, b, ...; }}, such as the kernels' geometry
     * structs {@code Correlation}, {@code Im2col} and {@code Pool}): the values one after another.
     */
    KernelParams ints(int... fields) {
        long at = slot(4 * fields.length);
        for (int i = 0; i < fields.length; i++) {
            values.set(ValueLayout.JAVA_INT, at + 4L * i, fields[i]);
        }
        return this;
    }

    /** A struct of long longs by value (the kernels' {@code ChannelTensor}, {@code Rows}, {@code Matrix}). */
    KernelParams longs(long... fields) {
        long at = slot(8 * fields.length);
        for (int i = 0; i < fields.length; i++) {
            values.set(ValueLayout.JAVA_LONG, at + 8L * i, fields[i]);
        }
        return this;
    }

    /** A {@code StridedShape} by value: the first {@code rank} entries of {@code dims}. */
    KernelParams shape(int rank, int[] dims) {
        checkRank(rank);
        long at = slot(SHAPE_BYTES);
        values.set(ValueLayout.JAVA_INT, at, rank);
        for (int a = 0; a < MAX_RANK; a++) {
            values.set(ValueLayout.JAVA_INT, at + 4 + 4L * a, a < rank ? dims[a] : 0);
        }
        return this;
    }

    /** A {@code StridedView} by value: element offset and the first {@code rank} strides. */
    KernelParams view(long offset, int rank, long[] strides) {
        checkRank(rank);
        long at = slot(VIEW_BYTES);
        values.set(ValueLayout.JAVA_LONG, at, offset);
        for (int a = 0; a < MAX_RANK; a++) {
            values.set(ValueLayout.JAVA_LONG, at + 8 + 8L * a, a < rank ? strides[a] : 0);
        }
        return this;
    }

    /** The bytes of parameter {@code index} (tests compare them with the C layout). */
    MemorySegment parameter(int index, int bytes) {
        return MemorySegment.ofAddress(pointers.getAtIndex(ValueLayout.JAVA_LONG, index)).reinterpret(bytes);
    }

    private static void checkRank(int rank) {
        if (rank < 0 || rank > MAX_RANK) {
            throw new IllegalArgumentException("rank " + rank + " exceeds the kernels' limit of " + MAX_RANK + " axes");
        }
    }
}
