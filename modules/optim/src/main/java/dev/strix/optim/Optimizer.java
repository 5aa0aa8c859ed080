package dev.strix.optim;

import dev.strix.layers.Parameter;
import dev.strix.optim.schedule.LearningRateSchedule;
import dev.strix.tensor.Backend;
import dev.strix.tensor.DType;
import dev.strix.tensor.ParameterGroup;
import dev.strix.tensor.Shape;
import dev.strix.tensor.Tensor;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
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
 * state allocates nothing. The update is one backend op for all the parameters together
 * ({@link dev.strix.tensor.OptimizerSteps#adamAll}, {@link dev.strix.tensor.OptimizerSteps#sgdAll}
 * over a {@link ParameterGroup} made with the state: one kernel launch on a GPU), or, when some
 * parameter is not contiguous, one op per parameter. {@link #state()} and {@link #loadState} expose that
 * state under PyTorch's names so that a checkpoint restores training exactly.
 *
 * <p>A step has a host part and a device part. {@link #prepareStep()} advances the step count and
 * writes what changes from step to step (the rate, Adam's bias corrections) into a small tensor of
 * step scalars on the parameters' backend; {@link #applyStep()} launches the updates, which read
 * those scalars when they run. The device part allocates nothing, copies nothing from the host and
 * never waits, and its op calls are the same every step, so a CUDA graph may capture it once and
 * replay it after each {@link #prepareStep()}. {@link #step()} does both.
 */
public abstract class Optimizer implements AutoCloseable {
    private final String kind;
    private final List<Parameter> parameters;
    private final String[] slotNames;
    private final Tensor[][] slots;
    private final float[] hostScalars;
    private final MemorySegment hostScalarsSegment;
    private final Backend backend;
    private Tensor stepScalars;
    /** Parameters, gradients and state as one group for the multi-tensor update; null: one op per parameter. */
    private ParameterGroup group;
    private boolean stateAllocated;
    private boolean freshState;
    private LearningRateSchedule schedule;
    private long steps;

    /**
     * @param kind the optimizer's name for messages ("SGD", "Adam")
     * @param scalarCount how many step scalars {@link #writeStepScalars} writes
     * @param slotNames the per-parameter state tensors, by PyTorch's names
     */
    protected Optimizer(String kind, List<Parameter> parameters, LearningRateSchedule schedule, int scalarCount,
                        String... slotNames) {
        this.kind = kind;
        this.parameters = List.copyOf(parameters);
        this.slotNames = slotNames.clone();
        this.slots = new Tensor[this.parameters.size()][slotNames.length];
        this.hostScalars = new float[scalarCount];
        this.hostScalarsSegment = MemorySegment.ofArray(hostScalars);
        this.schedule = requireSchedule(schedule);
        if (this.parameters.isEmpty()) {
            throw new IllegalArgumentException(kind + " was given no parameters to optimize");
        }
        this.backend = this.parameters.get(0).value().backend();
        Set<String> names = new HashSet<>();
        for (Parameter p : this.parameters) {
            if (p.value().backend() != backend) {
                throw new IllegalArgumentException(kind + ": parameter '" + p.name() + "' lives on backend '"
                        + p.value().backend().name() + "' but '" + this.parameters.get(0).name() + "' on '"
                        + backend.name() + "'; one optimizer updates the parameters of one backend");
            }
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
     * Writes the step scalars of one update into {@code out} (as many as the constructor was told),
     * e.g. with {@link dev.strix.tensor.OptimizerSteps#adamScalars}.
     *
     * @param learningRate the rate for this step
     * @param step this update's number, counting from 1
     */
    protected abstract void writeStepScalars(float learningRate, long step, float[] out);

    /**
     * Launches one update of {@code parameter} from its current gradient, reading the step's rate
     * (and whatever else changes per step) from {@code stepScalars} only, so that the same call
     * serves every step.
     *
     * @param state its state tensors, in the order of the slot names given to the constructor
     * @param stepScalars what {@link #writeStepScalars} wrote for this step, on the parameter's backend
     * @param freshState whether the state tensors were just allocated (zero) for this step
     */
    protected abstract void update(Parameter parameter, Tensor[] state, Tensor stepScalars, boolean freshState);

    /**
     * Launches one update of every parameter of {@code group} at once (its state slots are in the
     * order of the slot names given to the constructor): the same arithmetic as {@link #update} on
     * each parameter, as one backend op.
     *
     * @param stepScalars what {@link #writeStepScalars} wrote for this step, on the parameters' backend
     * @param freshState whether the state tensors were just allocated (zero) for this step
     */
    protected abstract void updateAll(ParameterGroup group, Tensor stepScalars, boolean freshState);

    /** Updates every parameter once, at the schedule's rate for the current step count. */
    public final void step() {
        prepareStep();
        applyStep();
    }

    /**
     * The host part of a step: checks the schedule's rate, allocates the state on the first step,
     * advances the step count and copies this step's scalars to the backend (a small host-to-device
     * copy, issued in order before whatever follows on the backend).
     */
    public final void prepareStep() {
        double rate = learningRate();
        if (!(rate >= 0) || Double.isInfinite(rate)) {
            throw new IllegalStateException(kind + ": the learning-rate schedule gave " + rate + " for step " + steps);
        }
        if (!stateAllocated) {
            allocateState();
            freshState = true;
        }
        if (stepScalars == null) {
            stepScalars = backend.allocate(DType.F32, Shape.of(hostScalars.length));
        }
        steps++;
        writeStepScalars((float) rate, steps, hostScalars);
        backend.copyFromHost(hostScalarsSegment, stepScalars);
    }

    /**
     * The device part of a step: one update op for all parameters (one per parameter when some is
     * not contiguous), reading the step scalars that the
     * last {@link #prepareStep()} wrote. Only ops on the backend: no allocation, host copy or wait
     * (so a CUDA graph may capture it), except that the step that allocated the state tells SGD to
     * initialise its momentum, which a graph must therefore not capture.
     */
    public final void applyStep() {
        if (stepScalars == null) {
            throw new IllegalStateException(kind + ": applyStep() needs a prepareStep() first");
        }
        boolean fresh = freshState;
        freshState = false;
        if (group != null) {
            updateAll(group, stepScalars, fresh);
            return;
        }
        for (int i = 0; i < parameters.size(); i++) {
            update(parameters.get(i), slots[i], stepScalars, fresh);
        }
    }

    /** Whether {@link #applyStep()} updates every parameter in one op (set when the state is allocated). */
    boolean updatesAsOneGroup() {
        return group != null;
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
        group = makeGroup();
    }

    /**
     * The parameters, gradients and state tensors as one group, made once with the state (the
     * tensors never move until the state is freed), or null when some parameter or gradient is not
     * contiguous: then each parameter's own op reports it.
     */
    private ParameterGroup makeGroup() {
        List<Tensor> values = new ArrayList<>();
        List<Tensor> gradients = new ArrayList<>();
        for (Parameter p : parameters) {
            if (!p.value().isContiguous() || !p.gradient().isContiguous()
                    || !p.gradient().shape().equals(p.value().shape())) {
                return null;
            }
            values.add(p.value());
            gradients.add(p.gradient());
        }
        List<List<Tensor>> states = new ArrayList<>();
        for (int s = 0; s < slotNames.length; s++) {
            List<Tensor> column = new ArrayList<>();
            for (Tensor[] row : slots) {
                column.add(row[s]);
            }
            states.add(column);
        }
        return backend.optimizerSteps().group(values, gradients, states);
    }

    private void freeState() {
        freshState = false;
        if (group != null) {
            group.close();
            group = null;
        }
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

    /** Frees the state tensors and the step scalars; the parameters belong to the model and stay open. */
    @Override
    public void close() {
        freeState();
        if (stepScalars != null) {
            stepScalars.close();
            stepScalars = null;
        }
    }

    @Override
    public String toString() {
        return kind + "(" + parameters.size() + " parameters, step " + steps + ", " + schedule + ")";
    }
}
