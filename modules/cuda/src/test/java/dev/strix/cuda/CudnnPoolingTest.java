package dev.strix.cuda;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.strix.tensor.Backend;
import dev.strix.tensor.Backends;
import dev.strix.tensor.CapturedGraph;
import dev.strix.tensor.DType;
import dev.strix.tensor.DirectPooling;
import dev.strix.tensor.Shape;
import dev.strix.tensor.Tensor;
import org.junit.jupiter.api.Test;

/**
 * cuDNN's max pooling ({@link CudnnPooling}): the geometry it is given is checked on the host (no
 * GPU needed); on the GPU it gives the CPU's argmax pooling results exactly for distinct values
 * (overlapping windows and strided views included), is one cuDNN call per pass, records into a
 * CUDA graph, and refuses an input gradient whose elements share memory. The GPU parts skip, with
 * the reason, where there is no GPU or no cuDNN.
 */
class CudnnPoolingTest {
    private static final String SUITE = "cuDNN pooling tests";

    @Test
    void windowsThatDoNotFitAndOutputsOfTheWrongShapeAreRefused() {
        Backend cpu = Backends.cpu();
        try (Tensor x = cpu.allocate(DType.F32, Shape.of(2, 3, 9, 7)); Tensor out = cpu.allocate(DType.F32, Shape.of(2, 3, 4, 3));
             Tensor flat = cpu.allocate(DType.F32, Shape.of(6, 63))) {
            CudnnPooling.checkGeometry("maxPoolForward", x, 3, 3, 2, 2, out, "output");
            IllegalArgumentException wrong = assertThrows(IllegalArgumentException.class,
                    () -> CudnnPooling.checkGeometry("maxPoolForward", x, 2, 2, 1, 1, out, "output"));
            assertEquals("maxPoolForward: input [2, 3, 9, 7] with window 2x2 and stride 1x1 needs output [2, 3, 8, 6],"
                    + " got [2, 3, 4, 3]", wrong.getMessage());
            for (int[] bad : new int[][] {{10, 3, 1, 1}, {3, 8, 1, 1}, {0, 3, 1, 1}, {3, 3, 0, 1}, {3, 3, 1, -1}}) {
                IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                        () -> CudnnPooling.checkGeometry("maxPoolBackward", x, bad[0], bad[1], bad[2], bad[3], out, "output"));
                assertEquals("maxPoolBackward: window " + bad[0] + "x" + bad[1] + " with stride " + bad[2] + "x" + bad[3]
                        + " does not fit input [2, 3, 9, 7] (needs [N, C, H, W])", e.getMessage());
            }
            assertThrows(IllegalArgumentException.class,
                    () -> CudnnPooling.checkGeometry("maxPoolForward", flat, 2, 2, 2, 2, out, "output"));
        }
    }

    /** {@code out} and {@code dx} of the CPU's argmax pooling: the reference, which distinct values make unique. */
    private static float[][] cpuReference(float[] x, float[] dOut, int n, int c, int h, int w, int kh, int kw, int sh,
                                          int sw) {
        Backend cpu = Backends.cpu();
        int oh = (h - kh) / sh + 1;
        int ow = (w - kw) / sw + 1;
        try (Tensor tx = Tensor.of(cpu, x, n, c, h, w); Tensor out = cpu.allocate(DType.F32, Shape.of(n, c, oh, ow));
             Tensor argmax = cpu.allocate(DType.I32, Shape.of(n, c, oh, ow)); Tensor tdy = Tensor.of(cpu, dOut, n, c, oh, ow);
             Tensor dx = cpu.allocate(DType.F32, Shape.of(n, c, h, w))) {
            cpu.pooling().maxPoolForward(tx, kh, kw, sh, sw, out, argmax);
            cpu.pooling().maxPoolBackward(tdy, argmax, kh, kw, sh, sw, dx);
            return new float[][] {out.toFloatArray(), dx.toFloatArray()};
        }
    }

    @Test
    void cudnnGivesTheCpusResultsForDistinctValues() {
        Backend cuda = CudnnTestSupport.cudnnOrSkip(SUITE);
        DirectPooling pooling = cuda.directPooling().orElseThrow();
        assertSame(pooling, cuda.directPooling().orElseThrow(), "one instance");
        // {h, w, kh, kw, sh, sw}: disjoint 2x2 windows, overlapping 3x3 windows (an element in up to
        // four), a 2x3 window at stride 1x2 over a plane the windows do not tile.
        int[][] cases = {{8, 8, 2, 2, 2, 2}, {9, 7, 3, 3, 2, 2}, {6, 7, 2, 3, 1, 2}};
        int n = 2;
        int c = 3;
        for (int[] g : cases) {
            int h = g[0];
            int w = g[1];
            int oh = (h - g[2]) / g[4] + 1;
            int ow = (w - g[3]) / g[5] + 1;
            String what = "window " + g[2] + "x" + g[3] + " stride " + g[4] + "x" + g[5] + " over " + h + "x" + w;
            float[] x = CudnnTestSupport.distinct(n * c * h * w);
            float[] dOut = new float[n * c * oh * ow];
            for (int i = 0; i < dOut.length; i++) {
                dOut[i] = i % 7 - 3;   // small integers: sums of overlapping windows are exact in any order
            }
            float[][] expected = cpuReference(x, dOut, n, c, h, w, g[2], g[3], g[4], g[5]);
            try (Tensor tx = Tensor.of(cuda, x, n, c, h, w); Tensor out = cuda.allocate(DType.F32, Shape.of(n, c, oh, ow));
                 Tensor tdy = Tensor.of(cuda, dOut, n, c, oh, ow); Tensor dx = cuda.allocate(DType.F32, Shape.of(n, c, h, w));
                 Tensor xNhwc = cuda.allocate(DType.F32, Shape.of(n, h, w, c));
                 Tensor dxNhwc = cuda.allocate(DType.F32, Shape.of(n, h, w, c))) {
                cuda.fill(out, 99f);
                cuda.fill(dx, 99f);   // overwritten, not added to
                pooling.maxPoolForward(tx, g[2], g[3], g[4], g[5], out);
                pooling.maxPoolBackward(tx, out, tdy, g[2], g[3], g[4], g[5], dx);
                assertArrayEquals(expected[0], out.toFloatArray(), what + ": out");
                assertArrayEquals(expected[1], dx.toFloatArray(), what + ": dx");

                // The same input and input gradient as NCHW views of NHWC buffers.
                Tensor xView = xNhwc.permute(0, 3, 1, 2);
                Tensor dxView = dxNhwc.permute(0, 3, 1, 2);
                cuda.copy(tx, xView);
                cuda.fill(out, 99f);
                cuda.fill(dxNhwc, 99f);
                pooling.maxPoolForward(xView, g[2], g[3], g[4], g[5], out);
                pooling.maxPoolBackward(xView, out, tdy, g[2], g[3], g[4], g[5], dxView);
                assertArrayEquals(expected[0], out.toFloatArray(), what + ": out from an NHWC view");
                assertArrayEquals(expected[1], dxView.toFloatArray(), what + ": dx into an NHWC view");
            }
        }
    }

    @Test
    void eachPassIsOneCudnnCallAndBothRecordIntoAGraph() {
        Backend cuda = CudnnTestSupport.cudnnOrSkip(SUITE);
        DirectPooling pooling = cuda.directPooling().orElseThrow();
        float[] data = CudnnTestSupport.distinct(8 * 4 * 12 * 12);
        try (Tensor x = Tensor.of(cuda, data, 8, 4, 12, 12); Tensor out = cuda.allocate(DType.F32, Shape.of(8, 4, 6, 6));
             Tensor dOut = Tensor.of(cuda, CudnnTestSupport.distinct(8 * 4 * 6 * 6), 8, 4, 6, 6);
             Tensor dx = cuda.allocate(DType.F32, Shape.of(8, 4, 12, 12))) {
            Runnable ops = () -> {
                pooling.maxPoolForward(x, 2, 2, 2, 2, out);
                pooling.maxPoolBackward(x, out, dOut, 2, 2, 2, 2, dx);
            };
            ops.run();   // eagerly first: the handle and the descriptors are made outside the graph
            long before = cuda.deviceLaunches();
            pooling.maxPoolForward(x, 2, 2, 2, 2, out);
            assertEquals(1, cuda.deviceLaunches() - before, "maxPoolForward");
            before = cuda.deviceLaunches();
            pooling.maxPoolBackward(x, out, dOut, 2, 2, 2, 2, dx);
            assertEquals(1, cuda.deviceLaunches() - before, "maxPoolBackward (dx overwritten: no memset)");
            float[] eagerOut = out.toFloatArray();
            float[] eagerDx = dx.toFloatArray();

            before = cuda.deviceLaunches();
            try (CapturedGraph graph = cuda.graphCapture().orElseThrow().capture(ops)) {
                assertEquals(0, cuda.deviceLaunches() - before, "recording");
                cuda.fill(out, 0f);
                cuda.fill(dx, 0f);
                before = cuda.deviceLaunches();
                graph.launch();
                assertEquals(1, cuda.deviceLaunches() - before, "one replay");
                assertArrayEquals(eagerOut, out.toFloatArray(), "out, eager and replayed");
                assertArrayEquals(eagerDx, dx.toFloatArray(), "dx, eager and replayed");
                // The replay reads x as it is at launch time.
                float[] negated = data.clone();
                for (int i = 0; i < negated.length; i++) {
                    negated[i] = -negated[i];
                }
                x.copyFrom(negated);
                graph.launch();
                float[][] expected = cpuReference(negated, dOut.toFloatArray(), 8, 4, 12, 12, 2, 2, 2, 2);
                assertArrayEquals(expected[0], out.toFloatArray(), "out of the rewritten input, replayed");
                assertArrayEquals(expected[1], dx.toFloatArray(), "dx of the rewritten input, replayed");
            }
        }
    }

    @Test
    void anInputGradientWhoseElementsShareMemoryIsRefused() {
        Backend cuda = CudnnTestSupport.cudnnOrSkip(SUITE);
        DirectPooling pooling = cuda.directPooling().orElseThrow();
        try (Tensor x = cuda.allocate(DType.F32, Shape.of(2, 3, 4, 4)); Tensor out = cuda.allocate(DType.F32, Shape.of(2, 3, 2, 2));
             Tensor plane = cuda.allocate(DType.F32, Shape.of(4, 4))) {
            Tensor shared = plane.broadcastTo(2, 3, 4, 4);
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> pooling.maxPoolBackward(x, out, out, 2, 2, 2, 2, shared));
            assertTrue(e.getMessage().startsWith("maxPoolBackward input gradient: Tensor(F32[2, 3, 4, 4], strides"
                    + " [0, 0, 4, 1]"), e.getMessage());
            IllegalArgumentException f = assertThrows(IllegalArgumentException.class,
                    () -> pooling.maxPoolForward(x, 2, 2, 2, 2, plane.reshape(1, 1, 4, 4).slice(2, 0, 2)
                            .slice(3, 0, 2).broadcastTo(2, 3, 2, 2)));
            assertTrue(f.getMessage().startsWith("maxPoolForward output: "), f.getMessage());
            // A broadcast input is no overlap problem, but real cuDNN refuses its descriptor (BAD_PARAM).
            IllegalArgumentException g = assertThrows(IllegalArgumentException.class,
                    () -> pooling.maxPoolForward(plane.broadcastTo(2, 3, 4, 4), 2, 2, 2, 2, out));
            assertEquals("maxPoolForward input: stride 0 on an axis of 2 elements (a broadcast), which cuDNN does"
                    + " not take; pass a contiguous copy", g.getMessage());
        }
    }
}
