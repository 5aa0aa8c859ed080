package dev.strix.layers;

import dev.strix.tensor.Backend;
import dev.strix.tensor.DType;
import dev.strix.tensor.Shape;
import dev.strix.tensor.Tensor;

/**
 * A layer's output or gradient buffer: allocated for the first batch and reused afterwards. A
 * smaller batch (the last, partial one) gets a view of the front of the same storage, so
 * alternating batch sizes never reallocate; only a larger batch does.
 */
final class ReusableTensor implements AutoCloseable {
    private final Backend backend;
    private final DType dtype;
    private Tensor storage;
    private Tensor view;

    ReusableTensor(Backend backend, DType dtype) {
        this.backend = backend;
        this.dtype = dtype;
    }

    ReusableTensor(Backend backend) {
        this(backend, DType.F32);
    }

    /** A contiguous tensor of {@code shape}; its contents are whatever was last written there. */
    Tensor get(Shape shape) {
        if (view != null && view.shape().equals(shape)) {
            return view;
        }
        long size = shape.size();
        if (storage == null || storage.size() < size) {
            close();
            storage = backend.allocate(dtype, Shape.of(Math.toIntExact(Math.max(1, size))));
        }
        view = storage.slice(0, 0, (int) size).reshape(shape.dims());
        return view;
    }

    @Override
    public void close() {
        if (storage != null) {
            storage.close();
            storage = null;
            view = null;
        }
    }
}
