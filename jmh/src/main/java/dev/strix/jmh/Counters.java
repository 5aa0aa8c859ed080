package dev.strix.jmh;

import org.openjdk.jmh.annotations.AuxCounters;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * Work done by a benchmark, reported per second beside its primary score: {@code images} (so the
 * report reads images/s) and {@code gflop} (billions of floating-point operations, so it reads
 * GFLOP/s). A benchmark adds to the counters it knows after each operation.
 */
@State(Scope.Thread)
@AuxCounters(AuxCounters.Type.OPERATIONS)
public class Counters {
    public double images;
    public double gflop;

    @Setup(Level.Iteration)
    public void reset() {
        images = 0;
        gflop = 0;
    }
}
