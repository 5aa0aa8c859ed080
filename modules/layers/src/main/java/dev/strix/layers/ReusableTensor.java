package dev.strix.layers;

import dev.strix.tensor.Backend;
import dev.strix.tensor.DType;
import dev.strix.tensor.Shape;
import dev.strix.tensor.Tensor;

/**
 * A layer's output or gradient buffer: allocated for the first batch and reused afterwards. A
 * smaller batch (the last, partial one) gets a view of the front of the same storage, so
 * alternating batch sizes never reallocate; only a larger batch does. An activation buffer with
 * {@link ActivationLayout#NHWC} hands out {@code [N, C, H, W]} shapes as channels-last views; any
 * buffer hands them out channel-major (views of {@code [C, N, H, W]}) when asked.
 */
final class ReusableTensor implements AutoCloseable {
    private final Backend backend;
    private final DType dtype;
    private final ActivationLayout layout;
    private Tensor storage;
    private Tensor view;
    private boolean viewChannelMajor;

    ReusableTensor(Backend backend, DType dtype, ActivationLayout layout) {
        this.backend = backend;
        this.dtype = dtype;
        this.layout = layout;
    }

    ReusableTensor(Backend backend, DType dtype) {
        this(backend, dtype, ActivationLayout.NCHW);
    }

    ReusableTensor(Backend backend) {
        this(backend, DType.F32);
    }

    /** A float32 buffer for activations or their gradients, in {@code layout}. */
    static ReusableTensor activations(Backend backend, ActivationLayout layout) {
        return new ReusableTensor(backend, DType.F32, layout);
    }

    /**
     * A tensor of {@code shape}, contiguous (or, for four axes in NHWC, the channels-last view); its
     * contents are whatever was last written there.
     */
    Tensor get(Shape shape) {
        return get(shape, false);
    }

    /**
     * A tensor of {@code reference}'s shape, channel-major when {@code reference} is (and not also
     * contiguous), else as {@link #get(Shape)} gives it: the input gradient of a layer whose input a
     * convolution wrote channel-major goes back in that layout, the one the convolution's backward
     * pass runs fastest in.
     */
    Tensor like(Tensor reference) {
        return get(reference.shape(), !reference.isContiguous() && Im2colConvolution.isChannelMajor(reference));
    }

    /**
     * As {@link #get(Shape)}, or with {@code channelMajor} a four-axis shape as the
     * {@code permute(1, 0, 2, 3)} view of a contiguous {@code [C, N, H, W]} tensor (a convolution
     * output that one GEMM writes for the whole batch, see {@link ConvolutionPath#channelMajorOutput}).
     */
    Tensor get(Shape shape, boolean channelMajor) {
        boolean wantChannelMajor = channelMajor && shape.rank() == 4;
        if (view != null && view.shape().equals(shape) && viewChannelMajor == wantChannelMajor) {
            return view;
        }
        long size = shape.size();
        if (storage == null || storage.size() < size) {
            close();
            storage = backend.allocate(dtype, Shape.of(Math.toIntExact(Math.max(1, size))));
        }
        Tensor front = storage.slice(0, 0, (int) size);
        viewChannelMajor = wantChannelMajor;
        if (wantChannelMajor) {
            view = front.reshape(shape.dim(1), shape.dim(0), shape.dim(2), shape.dim(3)).permute(1, 0, 2, 3);
        } else if (layout == ActivationLayout.NHWC && shape.rank() == 4) {
            view = front.reshape(shape.dim(0), shape.dim(2), shape.dim(3), shape.dim(1)).permute(0, 3, 1, 2);
        } else {
            view = front.reshape(shape.dims());
        }
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
