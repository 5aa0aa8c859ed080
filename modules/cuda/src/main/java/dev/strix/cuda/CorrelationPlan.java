package dev.strix.cuda;

import dev.strix.tensor.Tensor;
import dev.strix.tensor.spi.ConvolutionShapes;

/**
 * The checked geometry of one window contraction {@code out[a, b, y, x] = sum over c, i, j of
 * windows[a, c, y, x, i, j] * kernels[b, c, i, j]} and the kernel that runs it.
 *
 * <p>A thread per output suits the forward pass and the input gradient: many outputs, each a sum
 * of {@code C * KH * KW} terms. The weight gradient is the opposite: few outputs ({@code O * C * KH
 * * KW}), each a sum over the batch and every output position, so a thread per output would leave
 * most of the GPU idle while each thread walks tens of thousands of terms; there a block of 256
 * threads shares each sum. The block kernel is chosen when a sum is long and the outputs are too few
 * to fill the GPU.
 *
 * @param geometry the kernels' {@code Correlation} struct: A, B, C, Y, X, I, J
 * @param outputs {@code A * B * Y * X}
 * @param terms {@code C * I * J}, the length of each sum
 * @param blockPerOutput whether {@code correlate_blocks} runs it (else {@code correlate_threads})
 */
record CorrelationPlan(int[] geometry, long outputs, long terms, boolean blockPerOutput) {
    /** Sums at least this long are worth a block's 256 threads... */
    static final long LONG_SUM = 256;
    /** ...when there are fewer outputs than this (a thread each would not fill an H100/H200's 132 SMs). */
    static final long FEW_OUTPUTS = 1 << 16;

    /** The plan for these operands, or {@link ConvolutionShapes}'s message when their shapes do not fit. */
    static CorrelationPlan of(Tensor windows, Tensor kernels, Tensor out) {
        ConvolutionShapes.correlation(windows, kernels, out);
        int[] g = {windows.dim(0), kernels.dim(0), windows.dim(1), windows.dim(2), windows.dim(3), windows.dim(4),
            windows.dim(5)};
        long outputs = (long) g[0] * g[1] * g[3] * g[4];
        long terms = (long) g[2] * g[5] * g[6];
        return new CorrelationPlan(g, outputs, terms, terms >= LONG_SUM && outputs < FEW_OUTPUTS);
    }
}
