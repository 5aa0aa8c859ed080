package dev.strix.tensor.cpu;

import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.ForkJoinTask;
import java.util.concurrent.ForkJoinWorkerThread;

/**
 * One worker per core. Work is split into at most {@link #THREADS} contiguous ranges; the calling
 * thread runs the first range itself so a two-core machine keeps both cores busy.
 */
public final class CpuParallel {
    /** Worker count: the number of cores, or {@code -Dstrix.cpu.threads=N}. */
    public static final int THREADS = Integer.getInteger("strix.cpu.threads",
            Runtime.getRuntime().availableProcessors());

    private static final ForkJoinPool POOL = new ForkJoinPool(Math.max(1, THREADS), pool -> {
        ForkJoinWorkerThread t = ForkJoinPool.defaultForkJoinWorkerThreadFactory.newThread(pool);
        t.setDaemon(true);
        t.setName("strix-cpu-" + t.getPoolIndex());
        return t;
    }, null, false);

    private CpuParallel() {
    }

    /** A body that handles indices {@code [from, to)}. */
    @FunctionalInterface
    public interface RangeBody {
        void run(long from, long to);
    }

    /**
     * Runs {@code body} over {@code [0, total)} in up to THREADS pieces of at least
     * {@code minPerTask} indices each.
     */
    public static void forRange(long total, long minPerTask, RangeBody body) {
        if (total <= 0) {
            return;
        }
        long tasks = Math.min(THREADS, Math.max(1, total / Math.max(1, minPerTask)));
        if (tasks <= 1 || ForkJoinTask.inForkJoinPool()) {
            body.run(0, total);
            return;
        }
        int n = (int) tasks;
        ForkJoinTask<?>[] forked = new ForkJoinTask<?>[n - 1];
        for (int i = 1; i < n; i++) {
            long from = total * i / n;
            long to = total * (i + 1) / n;
            forked[i - 1] = POOL.submit(() -> body.run(from, to));
        }
        body.run(0, total / n);
        for (ForkJoinTask<?> f : forked) {
            f.join();
        }
    }

    /** Runs {@code body} for every index in {@code [0, count)}, each index a task on its own. */
    public static void forEach(int count, java.util.function.IntConsumer body) {
        forRange(count, 1, (from, to) -> {
            for (long i = from; i < to; i++) {
                body.accept((int) i);
            }
        });
    }
}
