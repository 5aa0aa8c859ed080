package dev.strix.cuda;

import dev.strix.tensor.Tensor;
import java.util.Arrays;

/**
 * The memory order of convolution weights {@code [o, c, kh, kw]}, as cuDNN's filter descriptor
 * names it. Unlike a tensor descriptor, a filter descriptor takes a format, not strides, so only
 * two orders can be described:
 * <ul>
 *   <li>{@link #NCHW} ("KCRS"): contiguous {@code [o, c, kh, kw]}, strides {@code (c*kh*kw, kh*kw, kw, 1)};</li>
 *   <li>{@link #NHWC} ("KRSC"): the {@code [o, c, kh, kw]} view ({@code permute(0, 3, 1, 2)}) of a
 *       contiguous {@code [o, kh, kw, c]} tensor, strides {@code (kh*kw*c, 1, kw*c, c)}.</li>
 * </ul>
 * Axes of size 1 may have any stride (they are never stepped through), so when {@code c == 1} (or
 * the kernel is 1x1) both orders are the same memory; such weights take the order of the call's
 * data, NHWC when a data tensor is channels-last, as PyTorch does, so that cuDNN sees one layout
 * (the first convolution of an NHWC network has one input channel). Any other strides are refused
 * rather than copied: a copy would need a scratch buffer per call, and for a weight gradient a copy
 * back.
 */
enum FilterLayout {
    /** {@code CUDNN_TENSOR_NCHW}: output channel, input channel, row, column. */
    NCHW(0),
    /** {@code CUDNN_TENSOR_NHWC}: output channel, row, column, input channel. */
    NHWC(1);

    /**
     * The {@code cudnnTensorFormat_t} value (cudnn_graph.h); written here because the generated
     * bindings hold only the NCHW constant.
     */
    final int cudnnFormat;

    FilterLayout(int cudnnFormat) {
        this.cudnnFormat = cudnnFormat;
    }

    /**
     * The layout of the weights {@code w [o, c, kh, kw]} of a call on the data tensors {@code a} and
     * {@code b} (which decide only when both orders fit), or a message naming {@code what}.
     */
    static FilterLayout of(Tensor w, Tensor a, Tensor b, String what) {
        if (w.rank() != 4) {
            throw new IllegalArgumentException(what + ": weights must be [O, C, KH, KW], got " + w.shape());
        }
        boolean nchw = w.isContiguous();
        boolean nhwc = w.permute(0, 2, 3, 1).isContiguous();
        if (nchw && nhwc) {
            return channelsLast(a) || channelsLast(b) ? NHWC : NCHW;
        }
        if (nchw) {
            return NCHW;
        }
        if (nhwc) {
            return NHWC;
        }
        throw new IllegalArgumentException(what + ": cuDNN takes weights [O, C, KH, KW] either contiguous or as the"
                + " permute(0, 3, 1, 2) view of a contiguous [O, KH, KW, C] tensor (the NHWC filter layout), got "
                + w.shape() + " with strides " + Arrays.toString(w.strides()) + "; pass a contiguous copy");
    }

    /**
     * Whether {@code [n, c, h, w]} data has more than one channel and its channel axis the smallest
     * stride of its axes of size above 1 (NHWC and its views).
     */
    static boolean channelsLast(Tensor t) {
        if (t.rank() != 4 || t.dim(1) < 2) {
            return false;
        }
        for (int axis = 0; axis < 4; axis++) {
            if (axis != 1 && t.dim(axis) > 1 && t.stride(axis) <= t.stride(1)) {
                return false;
            }
        }
        return true;
    }
}
