package dev.strix.tensor;

import java.util.List;

/**
 * A fixed list of parameters that one optimizer op updates together ({@link OptimizerSteps#sgdAll},
 * {@link OptimizerSteps#adamAll}): for each parameter {@code i} the parameter tensor, its gradient
 * and its state tensors (none; SGD's momentum buffer; Adam's {@code exp_avg} and {@code exp_avg_sq}),
 * all float32, contiguous, of the parameter's shape, on one backend.
 *
 * <p>Made once by {@link OptimizerSteps#group}, which checks all of that, and reused by every
 * step. A device backend keeps a table of the tensors' device addresses beside the group (so that
 * one kernel launch can update them all): the tensors must stay open, and not be replaced, while the
 * group is in use. {@link #close()} frees that table, never the tensors.
 */
public class ParameterGroup implements AutoCloseable {
    private final Tensor[] parameters;
    private final Tensor[] gradients;
    /** {@code states[slot][i]}: state tensor {@code slot} of parameter {@code i}. */
    private final Tensor[][] states;
    private final long totalElements;

    /**
     * Checks and keeps the tensors.
     *
     * @param parameters the parameters, in update order
     * @param gradients their gradients, one per parameter
     * @param states the state tensors by slot: {@code states.get(slot).get(i)} belongs to parameter
     *     {@code i} (no slots for plain SGD, one for SGD with momentum, two for Adam)
     * @throws IllegalArgumentException naming the parameter and the problem, with both shapes on a
     *     shape mismatch
     */
    protected ParameterGroup(List<Tensor> parameters, List<Tensor> gradients, List<List<Tensor>> states) {
        int n = parameters.size();
        if (n == 0) {
            throw new IllegalArgumentException("a parameter group needs at least one parameter, got none");
        }
        if (gradients.size() != n) {
            throw new IllegalArgumentException("a parameter group of " + n + " parameters was given "
                    + gradients.size() + " gradients");
        }
        this.parameters = parameters.toArray(new Tensor[0]);
        this.gradients = gradients.toArray(new Tensor[0]);
        this.states = new Tensor[states.size()][];
        for (int s = 0; s < states.size(); s++) {
            if (states.get(s).size() != n) {
                throw new IllegalArgumentException("a parameter group of " + n + " parameters was given "
                        + states.get(s).size() + " state tensors in slot " + s);
            }
            this.states[s] = states.get(s).toArray(new Tensor[0]);
        }
        Backend backend = this.parameters[0].backend();
        long total = 0;
        for (int i = 0; i < n; i++) {
            Tensor p = this.parameters[i];
            check(p, p, backend, "parameter " + i);
            check(this.gradients[i], p, backend, "gradient of parameter " + i);
            for (int s = 0; s < this.states.length; s++) {
                check(this.states[s][i], p, backend, "state " + s + " of parameter " + i);
            }
            total += p.size();
        }
        this.totalElements = total;
    }

    private static void check(Tensor t, Tensor parameter, Backend backend, String what) {
        if (t == null) {
            throw new IllegalArgumentException("parameter group: " + what + " is null");
        }
        t.requireDType(DType.F32, "parameter group: " + what);
        if (t.backend() != backend) {
            throw new IllegalArgumentException("parameter group: " + what + " lives on backend '" + t.backend().name()
                    + "' but parameter 0 on '" + backend.name() + "'");
        }
        if (!t.isContiguous()) {
            throw new IllegalArgumentException("parameter group: " + what + " must be contiguous, got " + t);
        }
        if (!t.shape().equals(parameter.shape())) {
            throw new IllegalArgumentException("parameter group: " + what + " has shape " + t.shape()
                    + " but the parameter has shape " + parameter.shape());
        }
    }

    /** How many parameters. */
    public final int count() {
        return parameters.length;
    }

    /** How many state tensors each parameter has. */
    public final int slots() {
        return states.length;
    }

    public final Tensor parameter(int i) {
        return parameters[i];
    }

    public final Tensor gradient(int i) {
        return gradients[i];
    }

    /** State tensor {@code slot} of parameter {@code i}. */
    public final Tensor state(int slot, int i) {
        return states[slot][i];
    }

    /** The backend of every tensor of the group. */
    public final Backend backend() {
        return parameters[0].backend();
    }

    /** Elements over all parameters. */
    public final long totalElements() {
        return totalElements;
    }

    /**
     * Fails unless each parameter has exactly {@code slots} state tensors.
     *
     * @param op the op and what its slots hold, for the message ("adamAll (exp_avg, exp_avg_sq)")
     */
    public final void requireSlots(int slots, String op) {
        if (states.length != slots) {
            throw new IllegalArgumentException(op + " needs a parameter group with " + slots
                    + " state tensors per parameter, got " + states.length);
        }
    }

    /** Frees what the backend keeps beside the group (nothing on the CPU); the tensors stay open. */
    @Override
    public void close() {
    }

    @Override
    public String toString() {
        return "ParameterGroup(" + parameters.length + " parameters, " + totalElements + " elements, "
                + states.length + " state slots, " + backend().name() + ")";
    }
}
