package dev.strix.optim;

import dev.strix.layers.Parameter;
import dev.strix.optim.schedule.Constant;
import dev.strix.optim.schedule.LearningRateSchedule;
import dev.strix.tensor.OptimizerSteps;
import dev.strix.tensor.ParameterGroup;
import dev.strix.tensor.Tensor;
import java.util.List;

/**
 * Stochastic gradient descent with optional momentum, dampening, Nesterov momentum and L2 weight
 * decay: PyTorch's {@code torch.optim.SGD}, update for update (the equations are on
 * {@link dev.strix.tensor.OptimizerSteps#sgd}). With momentum its state is one
 * {@code momentum_buffer} per parameter; without, it has none.
 */
public final class SGD extends Optimizer {
    private final float momentum;
    private final float dampening;
    private final boolean nesterov;
    private final float weightDecay;

    private SGD(Builder b) {
        super("SGD", b.parameters, b.schedule, OptimizerSteps.SGD_SCALARS,
                b.momentum != 0 ? new String[] {"momentum_buffer"} : new String[0]);
        this.momentum = (float) b.momentum;
        this.dampening = (float) b.dampening;
        this.nesterov = b.nesterov;
        this.weightDecay = (float) b.weightDecay;
    }

    /** Plain SGD at a constant rate. */
    public SGD(List<Parameter> parameters, double learningRate) {
        this(builder(parameters).learningRate(learningRate));
    }

    /** Settings start at PyTorch's defaults: rate 1e-3, no momentum, no dampening, no weight decay. */
    public static Builder builder(List<Parameter> parameters) {
        return new Builder(parameters);
    }

    @Override
    protected void writeStepScalars(float learningRate, long step, float[] out) {
        OptimizerSteps.sgdScalars(learningRate, out);
    }

    @Override
    protected void update(Parameter parameter, Tensor[] state, Tensor stepScalars, boolean freshState) {
        Tensor value = parameter.value();
        value.backend().optimizerSteps().sgd(value, parameter.gradient(), state.length > 0 ? state[0] : null,
                stepScalars, momentum, dampening, nesterov, weightDecay, freshState);
    }

    @Override
    protected void updateAll(ParameterGroup group, Tensor stepScalars, boolean freshState) {
        group.backend().optimizerSteps().sgdAll(group, stepScalars, momentum, dampening, nesterov, weightDecay,
                freshState);
    }

    /** Chooses SGD's settings; checks them as PyTorch does. */
    public static final class Builder {
        private final List<Parameter> parameters;
        private LearningRateSchedule schedule = new Constant(1e-3);
        private double momentum;
        private double dampening;
        private boolean nesterov;
        private double weightDecay;

        private Builder(List<Parameter> parameters) {
            this.parameters = parameters;
        }

        /** A constant rate. */
        public Builder learningRate(double rate) {
            this.schedule = new Constant(rate);
            return this;
        }

        public Builder schedule(LearningRateSchedule schedule) {
            this.schedule = schedule;
            return this;
        }

        public Builder momentum(double momentum) {
            this.momentum = momentum;
            return this;
        }

        public Builder dampening(double dampening) {
            this.dampening = dampening;
            return this;
        }

        public Builder nesterov(boolean nesterov) {
            this.nesterov = nesterov;
            return this;
        }

        public Builder weightDecay(double weightDecay) {
            this.weightDecay = weightDecay;
            return this;
        }

        public SGD build() {
            if (!(momentum >= 0) || Double.isInfinite(momentum)) {
                throw new IllegalArgumentException("SGD momentum must be finite and >= 0, got " + momentum);
            }
            if (!(weightDecay >= 0) || Double.isInfinite(weightDecay)) {
                throw new IllegalArgumentException("SGD weight decay must be finite and >= 0, got " + weightDecay);
            }
            if (Double.isNaN(dampening) || Double.isInfinite(dampening)) {
                throw new IllegalArgumentException("SGD dampening must be finite, got " + dampening);
            }
            if (nesterov && (momentum <= 0 || dampening != 0)) {
                throw new IllegalArgumentException("SGD Nesterov momentum needs momentum > 0 and dampening 0, got momentum "
                        + momentum + " and dampening " + dampening);
            }
            return new SGD(this);
        }
    }
}
