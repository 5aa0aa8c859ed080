package dev.strix.optim;

import dev.strix.layers.Parameter;
import dev.strix.optim.schedule.LearningRateSchedule;
import dev.strix.tensor.DType;
import dev.strix.tensor.Tensor;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * Updates a fixed list of parameters from their gradients, one {@link #step()} at a time, at the
 * learning rate its {@link LearningRateSchedule} gives for the step count.
 *
 * <p>Per-parameter state (momentum, moment estimates) lives in tensors beside each parameter on
 * its backend: allocated, zero-filled, on the first step and reused by every later one, so steady
 * state allocates nothing. The update itself is one backend op per parameter
 * ({@link dev.strix.tensor.OptimizerSteps}). {@link #state()} and {@link #loadState} expose that
 * state under PyTorch's names so that a checkpoint restores training exactly.
 */
public abstract class Optimizer implements AutoCloseable {
    private final String kind;
    private final List<Parameter> parameters;
    private final String[] slotNames;
    private final Tensor[][] slots;
    private boolean stateAllocated;
    private LearningRateSchedule schedule;
    private long steps;

    /**
     * @param kind the optimizer's name for messages ("SGD", "Adam")
     * @param slotNames the per-parameter state tensors, by PyTorch's names
     */
    protected Optimizer(String kind, List<Parameter> parameters, LearningRateSchedule schedule, String... slotNames) {
        this.kind = kind;
        this.parameters = List.copyOf(parameters);
        this.slotNames = slotNames.clone();
        this.slots = new Tensor[this.parameters.size()][slotNames.length];
        this.schedule = requireSchedule(schedule);
        if (this.parameters.isEmpty()) {
            throw new IllegalArgumentException(kind + " was given no parameters to optimize");
        }
        Set<String> names = new HashSet<>();
        for (Parameter p : this.parameters) {
            if (!names.add(p.name())) {
                throw new IllegalArgumentException(kind + ": parameter name '" + p.name()
                        + "' appears twice; state is saved by name, so names must be unique");
            }
            p.value().requireDType(DType.F32, kind + " parameter '" + p.name() + "'");
        }
    }

    private LearningRateSchedule requireSchedule(LearningRateSchedule s) {
        if (s == null) {
            throw new IllegalArgumentException(kind + " needs a learning-rate schedule, got null");
        }
        return s;
    }

    /**
     * Applies one update to every parameter from its current gradient.
     *
     * @param parameter the parameter to update in place
     * @param state its state tensors, in the order of the slot names given to the constructor
     * @param learningRate the rate for this step
     * @param step this update's number, counting from 1
     * @param freshState whether the state tensors were just allocated (zero) by this step
     */
    protected abstract void update(Parameter parameter, Tensor[] state, float learningRate, long step,
                                   boolean freshState);

    /** Updates every parameter once, at the schedule's rate for the current step count. */
    public final void step() {
        double rate = learningRate();
        if (!(rate >= 0) || Double.isInfinite(rate)) {
            throw new IllegalStateException(kind + ": the learning-rate schedule gave " + rate + " for step " + steps);
        }
        boolean fresh = !stateAllocated;
        if (fresh) {
            allocateState();
        }
        steps++;
        for (int i = 0; i < parameters.size(); i++) {
            update(parameters.get(i), slots[i], (float) rate, steps, fresh);
        }
    }

    /** Sets every parameter's gradient to zero, ready for the next backward pass to accumulate. */
    public void zeroGradients() {
        for (Parameter p : parameters) {
            p.gradient().fill(0f);
        }
    }

    /** The rate the next {@link #step()} will use. */
    public double learningRate() {
        return schedule.learningRate(steps);
    }

    /** Updates taken so far. */
    public long stepCount() {
        return steps;
    }

    public LearningRateSchedule schedule() {
        return schedule;
    }

    /** Replaces the schedule; the step count carries on, so the new schedule starts at its current step. */
    public void setSchedule(LearningRateSchedule schedule) {
        this.schedule = requireSchedule(schedule);
    }

    /** The parameters this optimizer updates, in order. */
    public List<Parameter> parameters() {
        return parameters;
    }

    /** The step count and the live state tensors by name; no tensors before the first step. */
    public OptimizerState state() {
        Map<String, Tensor> named = new LinkedHashMap<>();
        if (stateAllocated) {
            for (int i = 0; i < parameters.size(); i++) {
                for (int s = 0; s < slotNames.length; s++) {
                    named.put(stateName(i, s), slots[i][s]);
                }
            }
        }
        return new OptimizerState(steps, named);
    }

    /**
     * Restores a saved {@link #state()}: copies each tensor's values into this optimizer's own
     * (allocating them if it has not stepped yet) and takes over the step count. The names must be
     * exactly the ones this optimizer uses, and the shapes those of the parameters; tensors may
     * live on another backend. An empty map with step 0 resets to a fresh optimizer.
     */
    public void loadState(OptimizerState state) {
        Map<String, Tensor> given = state.tensors();
        if (given.isEmpty() && (state.step() == 0 || slotNames.length == 0)) {
            freeState();
            steps = state.step();
            return;
        }
        Set<String> expected = new TreeSet<>();
        for (int i = 0; i < parameters.size(); i++) {
            for (int s = 0; s < slotNames.length; s++) {
                expected.add(stateName(i, s));
            }
        }
        if (!expected.equals(new TreeSet<>(given.keySet()))) {
            Set<String> missing = new TreeSet<>(expected);
            missing.removeAll(given.keySet());
            Set<String> unknown = new TreeSet<>(given.keySet());
            unknown.removeAll(expected);
            throw new IllegalArgumentException(kind + " state at step " + state.step() + " does not match: missing "
                    + missing + ", unknown " + unknown);
        }
        for (int i = 0; i < parameters.size(); i++) {
            Tensor value = parameters.get(i).value();
            for (int s = 0; s < slotNames.length; s++) {
                Tensor src = given.get(stateName(i, s));
                src.requireDType(DType.F32, kind + " state '" + stateName(i, s) + "'");
                if (!src.shape().equals(value.shape())) {
                    throw new IllegalArgumentException(kind + " state '" + stateName(i, s) + "' has shape "
                            + src.shape() + " but parameter '" + parameters.get(i).name() + "' has shape "
                            + value.shape());
                }
            }
        }
        if (!stateAllocated) {
            allocateState();
        }
        for (int i = 0; i < parameters.size(); i++) {
            for (int s = 0; s < slotNames.length; s++) {
                copyInto(given.get(stateName(i, s)), slots[i][s]);
            }
        }
        steps = state.step();
    }

    private static void copyInto(Tensor src, Tensor dst) {
        if (src.backend() == dst.backend()) {
            dst.backend().copy(src, dst);
        } else {
            dst.copyFrom(src.toFloatArray());
        }
    }

    private String stateName(int parameter, int slot) {
        return parameters.get(parameter).name() + "." + slotNames[slot];
    }

    private void allocateState() {
        for (int i = 0; i < parameters.size(); i++) {
            Tensor value = parameters.get(i).value();
            for (int s = 0; s < slotNames.length; s++) {
                slots[i][s] = value.backend().allocate(DType.F32, value.shape());
            }
        }
        stateAllocated = true;
    }

    private void freeState() {
        for (Tensor[] row : slots) {
            for (int s = 0; s < row.length; s++) {
                if (row[s] != null) {
                    row[s].close();
                    row[s] = null;
                }
            }
        }
        stateAllocated = false;
    }

    /** Frees the state tensors; the parameters belong to the model and stay open. */
    @Override
    public void close() {
        freeState();
    }

    @Override
    public String toString() {
        return kind + "(" + parameters.size() + " parameters, step " + steps + ", " + schedule + ")";
    }
}
