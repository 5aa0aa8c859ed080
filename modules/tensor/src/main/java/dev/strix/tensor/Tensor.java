package dev.strix.tensor;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;

/**
 * A typed, strided view over {@link Storage} that belongs to one backend.
 *
 * <p>Element {@code (i0, i1, ..., ik)} lives at element index {@code offset + sum(ij * strides[j])}
 * of the storage. Strides are in elements and may be zero (a repeated dimension, as numpy's
 * {@code as_strided} and broadcasting use) or negative (a reversed axis). Every view is checked
 * when it is made: a view that would reach outside its storage is refused.
 *
 * <p>Ownership: the tensor returned by {@link Backend#allocate} owns its storage and frees it on
 * {@link #close()}. Views ({@link #reshape}, {@link #permute}, {@link #slice}, {@link #asStrided},
 * ...) share the storage and never free it, so closing a view is harmless; using a view after its
 * owner was closed fails.
 */
public final class Tensor implements AutoCloseable {
    private final Storage storage;
    private final DType dtype;
    private final Shape shape;
    private final long[] strides;
    private final long offset;
    private final boolean owner;

    private Tensor(Storage storage, DType dtype, Shape shape, long[] strides, long offset, boolean owner) {
        this.storage = storage;
        this.dtype = dtype;
        this.shape = shape;
        this.strides = strides;
        this.offset = offset;
        this.owner = owner;
    }

    /** A contiguous tensor that owns {@code storage}; for backends. */
    public static Tensor owning(Storage storage, DType dtype, Shape shape) {
        long needed = shape.size() * dtype.byteSize();
        if (storage.byteSize() < needed) {
            throw new IllegalArgumentException(
                    "storage of " + storage.byteSize() + " bytes is too small for " + dtype + shape);
        }
        return new Tensor(storage, dtype, shape, shape.contiguousStrides(), 0, true);
    }

    // ---------------------------------------------------------------- factories

    /** A zero-filled tensor on {@code backend}. */
    public static Tensor zeros(Backend backend, DType dtype, int... dims) {
        return backend.allocate(dtype, Shape.of(dims));
    }

    /** A float32 tensor holding a copy of {@code data} (row-major) with the given dims. */
    public static Tensor of(Backend backend, float[] data, int... dims) {
        Tensor t = backend.allocate(DType.F32, checkLength(data.length, dims));
        t.copyFrom(data);
        return t;
    }

    /** An int32 tensor holding a copy of {@code data} (row-major) with the given dims. */
    public static Tensor ofInts(Backend backend, int[] data, int... dims) {
        Tensor t = backend.allocate(DType.I32, checkLength(data.length, dims));
        t.copyFrom(data);
        return t;
    }

    /** A uint8 tensor holding a copy of {@code data} (row-major) with the given dims. */
    public static Tensor ofBytes(Backend backend, byte[] data, int... dims) {
        Tensor t = backend.allocate(DType.U8, checkLength(data.length, dims));
        t.copyFrom(data);
        return t;
    }

    private static Shape checkLength(int length, int[] dims) {
        Shape shape = Shape.of(dims);
        if (shape.size() != length) {
            throw new IllegalArgumentException(
                    "array of " + length + " elements does not fill shape " + shape + " (" + shape.size() + ")");
        }
        return shape;
    }

    // ---------------------------------------------------------------- accessors

    public Backend backend() {
        return storage.backend();
    }

    public Storage storage() {
        return storage;
    }

    public DType dtype() {
        return dtype;
    }

    public Shape shape() {
        return shape;
    }

    public int rank() {
        return shape.rank();
    }

    /** Size of {@code axis}; negative axes count from the end. */
    public int dim(int axis) {
        return shape.dim(axis);
    }

    public long size() {
        return shape.size();
    }

    public long[] strides() {
        return strides.clone();
    }

    /** Stride of {@code axis} in elements; negative axes count from the end. */
    public long stride(int axis) {
        return strides[shape.normalizeAxis(axis)];
    }

    /** Offset of the first element, in elements from the start of the storage. */
    public long offset() {
        return offset;
    }

    /** Whether closing this tensor frees its storage. */
    public boolean isOwner() {
        return owner;
    }

    /** True when the elements lie row-major without gaps, so the view is one flat run. */
    public boolean isContiguous() {
        long expected = 1;
        int[] dims = shape.dims();
        for (int i = dims.length - 1; i >= 0; i--) {
            if (dims[i] != 1 && strides[i] != expected) {
                return false;
            }
            expected *= dims[i];
        }
        return true;
    }

    // ---------------------------------------------------------------- views

    /**
     * The general view: any shape, strides (zero and negative allowed) and offset over the same
     * storage, as numpy's {@code as_strided}. Refused when any element would fall outside the
     * storage.
     */
    public Tensor asStrided(Shape newShape, long[] newStrides, long newOffset) {
        if (newStrides.length != newShape.rank()) {
            throw new IllegalArgumentException("asStrided: " + newStrides.length + " strides for shape "
                    + newShape + " of rank " + newShape.rank());
        }
        checkBounds(newShape, newStrides, newOffset);
        return new Tensor(storage, dtype, newShape, newStrides.clone(), newOffset, false);
    }

    /** {@link #asStrided(Shape, long[], long)} starting at this view's offset. */
    public Tensor asStrided(Shape newShape, long... newStrides) {
        return asStrided(newShape, newStrides, offset);
    }

    private void checkBounds(Shape s, long[] st, long off) {
        long elements = storage.byteSize() / dtype.byteSize();
        if (s.size() == 0) {
            return;
        }
        long lo = off;
        long hi = off;
        for (int i = 0; i < st.length; i++) {
            long reach = (long) (s.dim(i) - 1) * st[i];
            if (reach < 0) {
                lo += reach;
            } else {
                hi += reach;
            }
        }
        if (lo < 0 || hi >= elements) {
            throw new IndexOutOfBoundsException("view " + dtype + s + " with strides " + Arrays.toString(st)
                    + " and offset " + off + " reaches elements [" + lo + ", " + hi + "] but the storage holds "
                    + elements + " elements [0, " + (elements - 1) + "]");
        }
    }

    /**
     * The same elements with another shape. Needs a contiguous view (call {@link #contiguous()}
     * first otherwise). One dimension may be -1 and is then inferred.
     */
    public Tensor reshape(int... dims) {
        int[] d = dims.clone();
        int infer = -1;
        long known = 1;
        for (int i = 0; i < d.length; i++) {
            if (d[i] == -1) {
                if (infer >= 0) {
                    throw new IllegalArgumentException("reshape " + Arrays.toString(dims) + ": only one -1 allowed");
                }
                infer = i;
            } else {
                known *= d[i];
            }
        }
        if (infer >= 0) {
            if (known == 0 || size() % known != 0) {
                throw new IllegalArgumentException(
                        "reshape " + shape + " to " + Arrays.toString(dims) + ": cannot infer the -1 dimension");
            }
            d[infer] = (int) (size() / known);
        }
        Shape target = Shape.of(d);
        if (target.size() != size()) {
            throw new IllegalArgumentException("reshape " + shape + " (" + size() + " elements) to " + target
                    + " (" + target.size() + " elements)");
        }
        if (!isContiguous()) {
            throw new IllegalStateException("reshape " + shape + " to " + target + ": the view is not contiguous"
                    + " (strides " + Arrays.toString(strides) + "); call contiguous() first");
        }
        return new Tensor(storage, dtype, target, target.contiguousStrides(), offset, false);
    }

    /** Reorders the axes: result axis {@code i} is this tensor's axis {@code order[i]}. */
    public Tensor permute(int... order) {
        if (order.length != rank()) {
            throw new IllegalArgumentException("permute " + Arrays.toString(order) + " for rank " + rank());
        }
        boolean[] seen = new boolean[rank()];
        int[] d = new int[rank()];
        long[] st = new long[rank()];
        for (int i = 0; i < order.length; i++) {
            int a = shape.normalizeAxis(order[i]);
            if (seen[a]) {
                throw new IllegalArgumentException("permute " + Arrays.toString(order) + ": axis " + a + " repeated");
            }
            seen[a] = true;
            d[i] = shape.dim(a);
            st[i] = strides[a];
        }
        return new Tensor(storage, dtype, Shape.of(d), st, offset, false);
    }

    /** Swaps two axes. */
    public Tensor transpose(int axisA, int axisB) {
        int[] order = new int[rank()];
        for (int i = 0; i < order.length; i++) {
            order[i] = i;
        }
        int a = shape.normalizeAxis(axisA);
        int b = shape.normalizeAxis(axisB);
        order[a] = b;
        order[b] = a;
        return permute(order);
    }

    /** Elements {@code start, start+step, ...} (below {@code end}) along {@code axis}. */
    public Tensor slice(int axis, int start, int end, int step) {
        int a = shape.normalizeAxis(axis);
        int n = shape.dim(a);
        if (step <= 0) {
            throw new IllegalArgumentException("slice step must be positive, got " + step);
        }
        if (start < 0 || end > n || start > end) {
            throw new IndexOutOfBoundsException("slice [" + start + ", " + end + ") of axis " + a
                    + " with size " + n + " in shape " + shape);
        }
        int count = (end - start + step - 1) / step;
        long[] st = strides.clone();
        st[a] = strides[a] * step;
        return new Tensor(storage, dtype, shape.with(a, count), st, offset + start * strides[a], false);
    }

    /** Elements {@code start} (inclusive) to {@code end} (exclusive) along {@code axis}. */
    public Tensor slice(int axis, int start, int end) {
        return slice(axis, start, end, 1);
    }

    /** The sub-tensor at {@code index} along {@code axis}; the axis is removed. */
    public Tensor select(int axis, int index) {
        int a = shape.normalizeAxis(axis);
        if (index < 0 || index >= shape.dim(a)) {
            throw new IndexOutOfBoundsException("index " + index + " of axis " + a + " in shape " + shape);
        }
        int[] d = new int[rank() - 1];
        long[] st = new long[rank() - 1];
        for (int i = 0, j = 0; i < rank(); i++) {
            if (i != a) {
                d[j] = shape.dim(i);
                st[j++] = strides[i];
            }
        }
        return new Tensor(storage, dtype, Shape.of(d), st, offset + index * strides[a], false);
    }

    /** Inserts an axis of size 1 at {@code axis} (0..rank). */
    public Tensor unsqueeze(int axis) {
        if (axis < 0 || axis > rank()) {
            throw new IllegalArgumentException("unsqueeze axis " + axis + " for rank " + rank());
        }
        int[] d = new int[rank() + 1];
        long[] st = new long[rank() + 1];
        for (int i = 0, j = 0; i < d.length; i++) {
            if (i == axis) {
                d[i] = 1;
                st[i] = 0;
            } else {
                d[i] = shape.dim(j);
                st[i] = strides[j++];
            }
        }
        return new Tensor(storage, dtype, Shape.of(d), st, offset, false);
    }

    /**
     * Broadcasts to {@code dims} (numpy rules: align right, size-1 axes repeat with stride 0, new
     * leading axes are added with stride 0). No copy.
     */
    public Tensor broadcastTo(int... dims) {
        if (dims.length < rank()) {
            throw new IllegalArgumentException("cannot broadcast " + shape + " to " + Arrays.toString(dims));
        }
        long[] st = new long[dims.length];
        int shift = dims.length - rank();
        for (int i = 0; i < dims.length; i++) {
            if (i < shift) {
                st[i] = 0;
                continue;
            }
            int own = shape.dim(i - shift);
            if (own == dims[i]) {
                st[i] = strides[i - shift];
            } else if (own == 1) {
                st[i] = 0;
            } else {
                throw new IllegalArgumentException("cannot broadcast " + shape + " to " + Arrays.toString(dims));
            }
        }
        return new Tensor(storage, dtype, Shape.of(dims), st, offset, false);
    }

    /**
     * A contiguous tensor with the same elements: a view of this storage when this view is already
     * contiguous, otherwise a new owning copy. Closing the result is always correct.
     */
    public Tensor contiguous() {
        if (isContiguous()) {
            return new Tensor(storage, dtype, shape, shape.contiguousStrides(), offset, false);
        }
        return copy();
    }

    /** A new owning, contiguous copy on the same backend. */
    public Tensor copy() {
        Tensor out = backend().allocate(dtype, shape);
        backend().copy(this, out);
        return out;
    }

    /** A new owning, contiguous copy on {@code target} (the same data on another backend). */
    public Tensor to(Backend target) {
        if (target == backend()) {
            return copy();
        }
        try (Tensor src = contiguous(); Arena arena = Arena.ofConfined()) {
            MemorySegment host = arena.allocate(size() * dtype.byteSize(), 64);
            src.backend().copyToHost(src, host);
            Tensor out = target.allocate(dtype, shape);
            target.copyFromHost(host, out);
            return out;
        }
    }

    // ---------------------------------------------------------------- data in and out

    /** Sets every element to {@code value} (converted to this dtype). */
    public Tensor fill(float value) {
        backend().fill(this, value);
        return this;
    }

    /** The elements in row-major order as floats (converted from any dtype). */
    public float[] toFloatArray() {
        float[] out = new float[Math.toIntExact(size())];
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment host = hostCopy(arena);
            for (int i = 0; i < out.length; i++) {
                out[i] = switch (dtype) {
                    case F32 -> host.getAtIndex(ValueLayout.JAVA_FLOAT, i);
                    case I32 -> host.getAtIndex(ValueLayout.JAVA_INT, i);
                    case U8 -> Byte.toUnsignedInt(host.get(ValueLayout.JAVA_BYTE, i));
                };
            }
        }
        return out;
    }

    /** The elements in row-major order as ints (float elements are truncated toward zero). */
    public int[] toIntArray() {
        int[] out = new int[Math.toIntExact(size())];
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment host = hostCopy(arena);
            for (int i = 0; i < out.length; i++) {
                out[i] = switch (dtype) {
                    case F32 -> (int) host.getAtIndex(ValueLayout.JAVA_FLOAT, i);
                    case I32 -> host.getAtIndex(ValueLayout.JAVA_INT, i);
                    case U8 -> Byte.toUnsignedInt(host.get(ValueLayout.JAVA_BYTE, i));
                };
            }
        }
        return out;
    }

    /** The raw bytes of a uint8 tensor in row-major order. */
    public byte[] toByteArray() {
        requireDType(DType.U8, "toByteArray");
        try (Arena arena = Arena.ofConfined()) {
            return hostCopy(arena).toArray(ValueLayout.JAVA_BYTE);
        }
    }

    private MemorySegment hostCopy(Arena arena) {
        MemorySegment host = arena.allocate(Math.max(1, size() * dtype.byteSize()), 64);
        if (size() == 0) {
            return host;
        }
        try (Tensor src = contiguous()) {
            backend().copyToHost(src, host);
        }
        return host;
    }

    /** Writes {@code data} (row-major) into this float32 tensor, whatever its strides. */
    public Tensor copyFrom(float[] data) {
        requireDType(DType.F32, "copyFrom(float[])");
        return copyFromHost(MemorySegment.ofArray(data), data.length);
    }

    /** Writes {@code data} (row-major) into this int32 tensor, whatever its strides. */
    public Tensor copyFrom(int[] data) {
        requireDType(DType.I32, "copyFrom(int[])");
        return copyFromHost(MemorySegment.ofArray(data), data.length);
    }

    /** Writes {@code data} (row-major) into this uint8 tensor, whatever its strides. */
    public Tensor copyFrom(byte[] data) {
        requireDType(DType.U8, "copyFrom(byte[])");
        return copyFromHost(MemorySegment.ofArray(data), data.length);
    }

    private Tensor copyFromHost(MemorySegment heap, int length) {
        if (length != size()) {
            throw new IllegalArgumentException(
                    "array of " + length + " elements for tensor " + dtype + shape + " of " + size() + " elements");
        }
        if (isContiguous()) {
            backend().copyFromHost(heap, this);
            return this;
        }
        try (Tensor tmp = backend().allocate(dtype, shape)) {
            backend().copyFromHost(heap, tmp);
            backend().copy(tmp, this);
        }
        return this;
    }

    /** One element as a float (host or device; slow, for tests and inspection). */
    public float get(int... index) {
        long at = elementIndex(index);
        if (storage.isHost()) {
            MemorySegment s = storage.segment();
            return switch (dtype) {
                case F32 -> s.getAtIndex(ValueLayout.JAVA_FLOAT, at);
                case I32 -> s.getAtIndex(ValueLayout.JAVA_INT, at);
                case U8 -> Byte.toUnsignedInt(s.get(ValueLayout.JAVA_BYTE, at));
            };
        }
        try (Tensor one = asStrided(Shape.of(), new long[0], at)) {
            return one.toFloatArray()[0];
        }
    }

    /** Sets one element (converted to this dtype); host or device; slow, for tests. */
    public void set(float value, int... index) {
        long at = elementIndex(index);
        try (Tensor one = asStrided(Shape.of(), new long[0], at)) {
            backend().fill(one, value);
        }
    }

    private long elementIndex(int[] index) {
        if (index.length != rank()) {
            throw new IllegalArgumentException(
                    "index " + Arrays.toString(index) + " has rank " + index.length + ", tensor has " + shape);
        }
        long at = offset;
        for (int i = 0; i < index.length; i++) {
            if (index[i] < 0 || index[i] >= shape.dim(i)) {
                throw new IndexOutOfBoundsException("index " + Arrays.toString(index) + " outside shape " + shape);
            }
            at += index[i] * strides[i];
        }
        return at;
    }

    /** Fails with a message naming {@code what} unless this tensor has {@code expected} dtype. */
    public void requireDType(DType expected, String what) {
        if (dtype != expected) {
            throw new IllegalArgumentException(what + " needs " + expected + ", got " + dtype + shape);
        }
    }

    /** Fails with a message naming {@code what} unless this tensor has shape {@code expected}. */
    public void requireShape(Shape expected, String what) {
        if (!shape.equals(expected)) {
            throw new IllegalArgumentException(what + ": expected shape " + expected + ", got " + shape);
        }
    }

    /** Frees the storage when this tensor owns it; does nothing for views. */
    @Override
    public void close() {
        if (owner) {
            storage.free();
        }
    }

    @Override
    public String toString() {
        return "Tensor(" + dtype + shape + ", strides " + Arrays.toString(strides) + ", offset " + offset + ", "
                + backend().name() + (isContiguous() ? "" : ", non-contiguous") + ")";
    }
}
