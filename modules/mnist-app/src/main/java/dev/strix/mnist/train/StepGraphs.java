package dev.strix.mnist.train;

import dev.strix.tensor.CapturedGraph;
import dev.strix.tensor.GraphCapture;
import java.io.PrintWriter;
import java.util.Arrays;
import java.util.Optional;

/**
 * Runs the device part of a training step (batch gather and augmentation, forward, loss, backward,
 * optimizer update) either as it is called or as a replayed CUDA graph: one graph per batch size,
 * recorded at the second step of that size and launched for every step after. The first step of
 * each size runs eagerly, so that every buffer is sized and cuDNN has measured its algorithms
 * before anything is recorded.
 *
 * <p>The host part of a step (staging the batch's indices, the optimizer's step scalars) stays
 * outside and is done by the caller before each {@link #run}. Where the backend cannot record
 * graphs (the CPU), or graphs are switched off, every step runs eagerly. When recording fails, the
 * reason is printed once and the steps go on eagerly, for this size and every other.
 *
 * <p>A graph keeps the addresses of every buffer it touched: after anything that may have
 * reallocated model buffers (an evaluation at another batch size) call {@link #invalidate}.
 */
public final class StepGraphs implements AutoCloseable {
    private final Optional<GraphCapture> capture;
    private final Runnable deviceStep;
    private final PrintWriter out;
    private boolean enabled;
    private boolean announced;
    private int[] sizes = new int[0];
    private boolean[] warmed = new boolean[0];
    private CapturedGraph[] graphs = new CapturedGraph[0];
    private long replays;

    /**
     * @param capture the backend's graph recording ({@code Backend#graphCapture()}); empty: always eager
     * @param enabled false to run every step eagerly although graphs are available
     * @param deviceStep the device part of one step, which must read everything that changes between
     *     steps from device memory that the host part rewrites
     * @param out where the one line about graphs goes (the first capture, or why capture failed)
     */
    public StepGraphs(Optional<GraphCapture> capture, boolean enabled, Runnable deviceStep, PrintWriter out) {
        this.capture = capture;
        this.enabled = enabled && capture.isPresent();
        this.deviceStep = deviceStep;
        this.out = out;
    }

    /** Runs the device part of one step of {@code batchSize} images: eagerly, by recording, or by replay. */
    public void run(int batchSize) {
        if (!enabled) {
            deviceStep.run();
            return;
        }
        int slot = slot(batchSize);
        CapturedGraph graph = graphs[slot];
        if (graph == null) {
            if (!warmed[slot]) {
                warmed[slot] = true;
                deviceStep.run();
                return;
            }
            try {
                graph = capture.orElseThrow().capture(deviceStep);
            } catch (IllegalStateException e) {
                enabled = false;
                close();
                out.println("cuda graph: off, running eager steps (" + e.getMessage() + ")");
                out.flush();
                deviceStep.run();
                return;
            }
            graphs[slot] = graph;
            if (!announced) {
                announced = true;
                out.println("cuda graph: the training step of batch " + batchSize + " is captured and replayed");
                out.flush();
            }
        }
        graph.launch();
        replays++;
    }

    /** Whether steps are still recorded and replayed (false after a failure, or when never possible). */
    public boolean enabled() {
        return enabled;
    }

    /** Steps run as graph launches so far. */
    public long replays() {
        return replays;
    }

    /**
     * Drops every graph: the next step of each size runs eagerly and the one after records anew.
     * Call it when buffers the graphs use may have moved.
     */
    public void invalidate() {
        close();
        Arrays.fill(warmed, false);
    }

    private int slot(int batchSize) {
        for (int i = 0; i < sizes.length; i++) {
            if (sizes[i] == batchSize) {
                return i;
            }
        }
        int n = sizes.length;
        sizes = Arrays.copyOf(sizes, n + 1);
        warmed = Arrays.copyOf(warmed, n + 1);
        graphs = Arrays.copyOf(graphs, n + 1);
        sizes[n] = batchSize;
        return n;
    }

    /** Releases the graphs. */
    @Override
    public void close() {
        for (int i = 0; i < graphs.length; i++) {
            if (graphs[i] != null) {
                graphs[i].close();
                graphs[i] = null;
            }
        }
    }
}
