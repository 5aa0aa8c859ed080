package dev.strix.layers;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import dev.strix.tensor.Backend;
import dev.strix.tensor.Backends;
import dev.strix.tensor.Shape;
import dev.strix.tensor.Tensor;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * {@link ConvAlgorithm#CUDNN} through the backend's direct convolution (on the CPU: its reference
 * loops), on every case of {@link Conv2DTest} whose padding is symmetric: the seven-loop reference
 * forward and backward, and the numeric gradient check.
 */
class DirectConvolutionPathTest {
    private static final Backend CPU = Backends.cpu();

    private static List<Conv2DTest.Case> symmetricCases() {
        return Conv2DTest.CASES.stream().filter(k -> {
            Padding.Amounts p = k.padding().resolve(k.h(), k.w(), k.kh(), k.kw(), k.sh(), k.sw());
            return p.top() == p.bottom() && p.left() == p.right();
        }).toList();
    }

    private static float[] random(SplittableRandom random, int size) {
        float[] a = new float[size];
        for (int i = 0; i < size; i++) {
            a[i] = (float) (random.nextDouble() * 2 - 1);
        }
        return a;
    }

    private static void assertClose(String what, double[] expected, float[] actual) {
        assertEquals(expected.length, actual.length, what + " size");
        for (int i = 0; i < expected.length; i++) {
            if (!(Math.abs(expected[i] - actual[i]) <= 1e-5 * Math.max(1, Math.abs(expected[i])))) {
                fail(what + ": element " + i + " is " + actual[i] + ", the naive loops give " + expected[i]);
            }
        }
    }

    @Test
    void mostCasesHaveSymmetricPadding() {
        assertEquals(Conv2DTest.CASES.size() - 1, symmetricCases().size(), "only the even-kernel SAME case is left out");
    }

    @Test
    void matchesTheSevenLoopReferenceForwardAndBackward() {
        for (Conv2DTest.Case k : symmetricCases()) {
            SplittableRandom random = new SplittableRandom(11);
            float[] input = random(random, k.n() * k.c() * k.h() * k.w());
            NaiveConvolution ref = k.reference();
            float[] dz = random(random, k.n() * k.o() * ref.oh * ref.ow);
            String what = "CUDNN " + k;
            try (Conv2D conv = k.build(ConvAlgorithm.CUDNN, new SplittableRandom(3));
                 Tensor x = Tensor.of(CPU, input, k.n(), k.c(), k.h(), k.w());
                 Tensor g = Tensor.of(CPU, dz, k.n(), k.o(), ref.oh, ref.ow)) {
                float[] weight = conv.weight().value().toFloatArray();
                float[] bias = k.bias() ? conv.bias().value().toFloatArray() : null;
                Tensor z = conv.forward(x, Mode.TRAINING);
                assertEquals(Shape.of(k.n(), k.o(), ref.oh, ref.ow), z.shape(), what + " output shape");
                assertClose(what + " forward", ref.forward(input, weight, bias), z.toFloatArray());
                double[][] grads = ref.backward(input, weight, dz);
                assertClose(what + " dX", grads[0], conv.backward(g).toFloatArray());
                assertClose(what + " dW", grads[1], conv.weight().gradient().toFloatArray());
                if (k.bias()) {
                    assertClose(what + " db", grads[2], conv.bias().gradient().toFloatArray());
                }
            }
        }
    }

    @Test
    void passesTheNumericGradientCheck() {
        for (Conv2DTest.Case k : symmetricCases()) {
            SplittableRandom random = new SplittableRandom(7);
            try (Conv2D conv = k.build(ConvAlgorithm.CUDNN, random);
                 Tensor x = Tensor.of(CPU, random(random, k.n() * k.c() * k.h() * k.w()), k.n(), k.c(), k.h(), k.w())) {
                GradientCheck.check(conv, x, Mode.TRAINING, random);
            }
        }
    }
}
