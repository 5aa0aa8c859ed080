package dev.strix.layers;

import dev.strix.tensor.Backend;
import dev.strix.tensor.Convolution;
import dev.strix.tensor.Shape;
import dev.strix.tensor.Tensor;

/**
 * The strided-view convolution (the seed's method). Forward: pad the input, view every window as a
 * 6-D tensor {@code [N, C, OH, OW, KH, KW]} without copying, contract with the kernels.
 *
 * <p>Backward, from {@code Z[n,o,y,x] = sum Xp[n,c,y*sh+i,x*sw+j] W[o,c,i,j]}:
 * <ul>
 *   <li>dL/dW = correlation of the padded input with dL/dZ: windows over Xp taken at stride
 *       {@code (sh, sw)} with dL/dZ as the kernels;</li>
 *   <li>dL/dXp = dL/dZ dilated by the stride (a stride-1 problem), padded "full" ({@code kh - 1}
 *       rows above, enough below to give back {@code Hp} rows; likewise for columns), correlated
 *       with the kernels rotated by 180 degrees and with in/out channels swapped (a view with
 *       negative strides, no copy); dL/dX = dL/dXp unpadded.</li>
 * </ul>
 */
final class StridedViewConvolution implements ConvolutionPath {
    private final Backend backend;
    private final ReusableTensor padded;
    private final ReusableTensor dilated;
    private final ReusableTensor fullPadded;
    private final ReusableTensor paddedGradient;
    private Tensor paddedInput;

    StridedViewConvolution(Backend backend) {
        this.backend = backend;
        this.padded = new ReusableTensor(backend);
        this.dilated = new ReusableTensor(backend);
        this.fullPadded = new ReusableTensor(backend);
        this.paddedGradient = new ReusableTensor(backend);
    }

    @Override
    public void forward(Tensor x, Tensor weight, Tensor bias, ConvGeometry g, Tensor z) {
        Padding.Amounts p = g.pad();
        Tensor xp = x;
        if (!p.isZero()) {
            xp = padded.get(g.paddedInput());
            backend.convolution().pad(x, p.top(), p.bottom(), p.left(), p.right(), xp);
        }
        paddedInput = xp;
        backend.convolution().correlate(Convolution.slidingWindows(xp, g.kh(), g.kw(), g.sh(), g.sw()), weight, z);
        ConvolutionPath.addBias(backend, bias, z);
    }

    @Override
    public void backward(Tensor x, Tensor weight, Tensor dz, ConvGeometry g, Tensor dWeight, Tensor dBias,
                         Tensor dx) {
        ConvolutionPath.biasGradient(backend, dz, dBias);
        Tensor xp = paddedInput;
        if (dWeight != null) {
            // dW[o, c, i, j] = sum_{n,y,x} Xp[n, c, i + y*sh, j + x*sw] * dZ[n, o, y, x]
            Tensor inputWindows = xp.asStrided(Shape.of(g.c(), g.n(), g.kh(), g.kw(), g.oh(), g.ow()),
                    new long[] {xp.stride(1), xp.stride(0), xp.stride(2), xp.stride(3),
                        xp.stride(2) * g.sh(), xp.stride(3) * g.sw()});
            backend.convolution().correlate(inputWindows, dz.permute(1, 0, 2, 3), dWeight.permute(1, 0, 2, 3));
        }
        if (dx == null) {
            return;
        }

        Tensor spread = dz;
        if (g.sh() > 1 || g.sw() > 1) {
            spread = dilated.get(Shape.of(g.n(), g.o(), (g.oh() - 1) * g.sh() + 1, (g.ow() - 1) * g.sw() + 1));
            backend.convolution().dilate(dz, g.sh(), g.sw(), spread);
        }
        int below = g.paddedH() - spread.dim(2);
        int right = g.paddedW() - spread.dim(3);
        Tensor full = fullPadded.get(Shape.of(g.n(), g.o(), g.paddedH() + g.kh() - 1, g.paddedW() + g.kw() - 1));
        backend.convolution().pad(spread, g.kh() - 1, below, g.kw() - 1, right, full);

        // rotated[c, o, i, j] = W[o, c, kh-1-i, kw-1-j]
        Tensor rotated = weight.asStrided(Shape.of(g.c(), g.o(), g.kh(), g.kw()),
                new long[] {weight.stride(1), weight.stride(0), -weight.stride(2), -weight.stride(3)},
                weight.offset() + (g.kh() - 1) * weight.stride(2) + (g.kw() - 1) * weight.stride(3));
        Padding.Amounts p = g.pad();
        Tensor dxp = p.isZero() ? dx : paddedGradient.get(g.paddedInput());
        backend.convolution().correlate(Convolution.slidingWindows(full, g.kh(), g.kw(), 1, 1), rotated, dxp);
        if (!p.isZero()) {
            backend.convolution().unpad(dxp, p.top(), p.bottom(), p.left(), p.right(), dx);
        }
    }

    @Override
    public void close() {
        padded.close();
        dilated.close();
        fullPadded.close();
        paddedGradient.close();
        paddedInput = null;
    }
}
