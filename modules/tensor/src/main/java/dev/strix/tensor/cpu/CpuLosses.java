package dev.strix.tensor.cpu;

import dev.strix.tensor.DType;
import dev.strix.tensor.Losses;
import dev.strix.tensor.Tensor;
import dev.strix.tensor.spi.LossShapes;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * Cross-entropy losses on the CPU. A batch is a few thousand numbers, so one thread walks it and
 * sums in double precision in row order (the same result on every run).
 */
final class CpuLosses implements Losses {
    private static final ValueLayout.OfFloat FLOAT = ValueLayout.JAVA_FLOAT;
    private static final ValueLayout.OfInt INT = ValueLayout.JAVA_INT;

    @Override
    public void softmaxCrossEntropy(Tensor logits, Tensor labels, Tensor probabilities, Tensor loss, Tensor tally) {
        checkRows("softmaxCrossEntropy", logits, probabilities);
        checkLabels("softmaxCrossEntropy", logits, labels);
        checkScalar("softmaxCrossEntropy", loss);
        if (tally != null) {
            checkTally("softmaxCrossEntropy", tally);
        }
        MemorySegment zs = logits.storage().segment();
        MemorySegment ps = probabilities.storage().segment();
        int n = logits.dim(0);
        int k = logits.dim(1);
        double total = 0;
        int correct = 0;
        for (int r = 0; r < n; r++) {
            long zr = logits.offset() + r * logits.stride(0);
            long pr = probabilities.offset() + r * probabilities.stride(0);
            double max = Double.NEGATIVE_INFINITY;
            int best = 0;
            float bestValue = zs.getAtIndex(FLOAT, zr);
            for (int j = 0; j < k; j++) {
                float v = zs.getAtIndex(FLOAT, zr + j * logits.stride(1));
                max = Math.max(max, v);
                if (v > bestValue) {
                    best = j;
                    bestValue = v;
                }
            }
            double sum = 0;
            for (int j = 0; j < k; j++) {
                sum += Math.exp(zs.getAtIndex(FLOAT, zr + j * logits.stride(1)) - max);
            }
            double logSum = Math.log(sum);
            for (int j = 0; j < k; j++) {
                double shifted = zs.getAtIndex(FLOAT, zr + j * logits.stride(1)) - max;
                ps.setAtIndex(FLOAT, pr + j * probabilities.stride(1), (float) (Math.exp(shifted) / sum));
            }
            int t = label(labels, r, k);
            total -= zs.getAtIndex(FLOAT, zr + t * logits.stride(1)) - max - logSum;
            correct += best == t ? 1 : 0;
        }
        setScalar(loss, total / n);
        if (tally != null) {
            MemorySegment ts = tally.storage().segment();
            long at = tally.offset();
            long next = at + tally.stride(0);
            ts.setAtIndex(FLOAT, at, (float) (ts.getAtIndex(FLOAT, at) + total));
            ts.setAtIndex(FLOAT, next, (float) ((double) ts.getAtIndex(FLOAT, next) + correct));
        }
    }

    @Override
    public void softmaxCrossEntropyBackward(Tensor probabilities, Tensor labels, Tensor dLogits) {
        checkRows("softmaxCrossEntropyBackward", probabilities, dLogits);
        checkLabels("softmaxCrossEntropyBackward", probabilities, labels);
        MemorySegment ps = probabilities.storage().segment();
        MemorySegment ds = dLogits.storage().segment();
        int n = probabilities.dim(0);
        int k = probabilities.dim(1);
        for (int r = 0; r < n; r++) {
            int t = label(labels, r, k);
            long pr = probabilities.offset() + r * probabilities.stride(0);
            long dr = dLogits.offset() + r * dLogits.stride(0);
            for (int j = 0; j < k; j++) {
                double p = ps.getAtIndex(FLOAT, pr + j * probabilities.stride(1));
                ds.setAtIndex(FLOAT, dr + j * dLogits.stride(1), (float) ((p - (j == t ? 1 : 0)) / n));
            }
        }
    }

    @Override
    public void crossEntropy(Tensor probabilities, Tensor targets, Tensor loss) {
        checkRows("crossEntropy", probabilities, probabilities);
        checkScalar("crossEntropy", loss);
        MemorySegment ps = probabilities.storage().segment();
        int n = probabilities.dim(0);
        int k = probabilities.dim(1);
        double total = 0;
        if (targets.dtype() == DType.I32) {
            checkLabels("crossEntropy", probabilities, targets);
            for (int r = 0; r < n; r++) {
                int t = label(targets, r, k);
                total -= Math.log(ps.getAtIndex(FLOAT, probabilities.offset() + r * probabilities.stride(0)
                        + t * probabilities.stride(1)));
            }
        } else {
            checkRows("crossEntropy", probabilities, targets);
            MemorySegment ts = targets.storage().segment();
            for (int r = 0; r < n; r++) {
                for (int j = 0; j < k; j++) {
                    double t = ts.getAtIndex(FLOAT, targets.offset() + r * targets.stride(0) + j * targets.stride(1));
                    if (t != 0) {
                        double p = ps.getAtIndex(FLOAT, probabilities.offset() + r * probabilities.stride(0)
                                + j * probabilities.stride(1));
                        total -= t * Math.log(p);
                    }
                }
            }
        }
        setScalar(loss, total / n);
    }

    @Override
    public void crossEntropyBackward(Tensor probabilities, Tensor targets, Tensor dProbabilities) {
        checkRows("crossEntropyBackward", probabilities, dProbabilities);
        MemorySegment ps = probabilities.storage().segment();
        MemorySegment ds = dProbabilities.storage().segment();
        int n = probabilities.dim(0);
        int k = probabilities.dim(1);
        boolean labels = targets.dtype() == DType.I32;
        if (labels) {
            checkLabels("crossEntropyBackward", probabilities, targets);
        } else {
            checkRows("crossEntropyBackward", probabilities, targets);
        }
        MemorySegment ts = targets.storage().segment();
        for (int r = 0; r < n; r++) {
            int label = labels ? label(targets, r, k) : -1;
            for (int j = 0; j < k; j++) {
                double t = labels ? (j == label ? 1 : 0)
                        : ts.getAtIndex(FLOAT, targets.offset() + r * targets.stride(0) + j * targets.stride(1));
                double p = ps.getAtIndex(FLOAT, probabilities.offset() + r * probabilities.stride(0)
                        + j * probabilities.stride(1));
                ds.setAtIndex(FLOAT, dProbabilities.offset() + r * dProbabilities.stride(0)
                        + j * dProbabilities.stride(1), (float) (t == 0 ? 0 : -t / p / n));
            }
        }
    }

    private static int label(Tensor labels, int row, int classes) {
        int t = labels.storage().segment().getAtIndex(INT, labels.offset() + row * labels.stride(0));
        if (t < 0 || t >= classes) {
            throw new IllegalArgumentException(LossShapes.badLabel(row, t, classes));
        }
        return t;
    }

    private static void checkRows(String op, Tensor a, Tensor b) {
        CpuElementwise.check(a, op + " predictions");
        CpuElementwise.check(b, op + " second operand");
        LossShapes.rows(op, a, b);
    }

    private static void checkLabels(String op, Tensor predictions, Tensor labels) {
        labels.requireDType(DType.I32, op + " labels");
        if (!labels.storage().isHost()) {
            throw new IllegalArgumentException(op + ": labels live on backend '" + labels.backend().name() + "', not cpu");
        }
        LossShapes.labels(op, predictions, labels);
    }

    private static void checkScalar(String op, Tensor loss) {
        CpuElementwise.check(loss, op + " loss");
        LossShapes.scalar(op, loss);
    }

    private static void checkTally(String op, Tensor tally) {
        CpuElementwise.check(tally, op + " tally");
        LossShapes.tally(op, tally);
    }

    private static void setScalar(Tensor loss, double value) {
        loss.storage().segment().setAtIndex(FLOAT, loss.offset(), (float) value);
    }
}
