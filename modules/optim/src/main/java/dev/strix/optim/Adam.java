package dev.strix.optim;

import dev.strix.layers.Parameter;
import dev.strix.optim.schedule.Constant;
import dev.strix.optim.schedule.LearningRateSchedule;
import dev.strix.tensor.OptimizerSteps;
import dev.strix.tensor.ParameterGroup;
import dev.strix.tensor.Tensor;
import java.util.List;

/**
 * Adam (Kingma and Ba) with bias-corrected moment estimates, and AdamW (Loshchilov and Hutter)
 * when weight decay is decoupled: PyTorch's {@code torch.optim.Adam} and {@code torch.optim.AdamW},
 * update for update (the equations are on {@link dev.strix.tensor.OptimizerSteps#adam}). Its state
 * is {@code exp_avg} (m) and {@code exp_avg_sq} (v) per parameter.
 */
public final class Adam extends Optimizer {
    private final float beta1;
    private final float beta2;
    private final float epsilon;
    private final float weightDecay;
    private final boolean decoupled;

    private Adam(Builder b) {
        super(b.decoupled ? "AdamW" : "Adam", b.parameters, b.schedule, OptimizerSteps.ADAM_SCALARS, "exp_avg",
                "exp_avg_sq");
        this.beta1 = (float) b.beta1;
        this.beta2 = (float) b.beta2;
        this.epsilon = (float) b.epsilon;
        this.weightDecay = (float) b.weightDecay;
        this.decoupled = b.decoupled;
    }

    /** Adam at a constant rate with PyTorch's other defaults. */
    public Adam(List<Parameter> parameters, double learningRate) {
        this(builder(parameters).learningRate(learningRate));
    }

    /** Adam's settings at PyTorch's defaults: rate 1e-3, betas (0.9, 0.999), eps 1e-8, no weight decay. */
    public static Builder builder(List<Parameter> parameters) {
        return new Builder(parameters);
    }

    /** AdamW's settings at PyTorch's defaults: as Adam's, with decoupled weight decay 1e-2. */
    public static Builder adamW(List<Parameter> parameters) {
        return new Builder(parameters).weightDecay(1e-2).decoupled(true);
    }

    @Override
    protected void writeStepScalars(float learningRate, long step, float[] out) {
        OptimizerSteps.adamScalars(learningRate, beta1, beta2, weightDecay, decoupled, step, out);
    }

    @Override
    protected void update(Parameter parameter, Tensor[] state, Tensor stepScalars, boolean freshState) {
        Tensor value = parameter.value();
        value.backend().optimizerSteps().adam(value, parameter.gradient(), state[0], state[1], stepScalars, beta1,
                beta2, epsilon, weightDecay, decoupled);
    }

    @Override
    protected void updateAll(ParameterGroup group, Tensor stepScalars, boolean freshState) {
        group.backend().optimizerSteps().adamAll(group, stepScalars, beta1, beta2, epsilon, weightDecay, decoupled);
    }

    /** Chooses Adam's settings; checks them as PyTorch does. */
    public static final class Builder {
        private final List<Parameter> parameters;
        private LearningRateSchedule schedule = new Constant(1e-3);
        private double beta1 = 0.9;
        private double beta2 = 0.999;
        private double epsilon = 1e-8;
        private double weightDecay;
        private boolean decoupled;

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

        /** Decay rates of the first and second moment estimates. */
        public Builder betas(double beta1, double beta2) {
            this.beta1 = beta1;
            this.beta2 = beta2;
            return this;
        }

        public Builder epsilon(double epsilon) {
            this.epsilon = epsilon;
            return this;
        }

        public Builder weightDecay(double weightDecay) {
            this.weightDecay = weightDecay;
            return this;
        }

        /** True for AdamW: shrink the parameters directly instead of adding an L2 term to the gradient. */
        public Builder decoupled(boolean decoupled) {
            this.decoupled = decoupled;
            return this;
        }

        public Adam build() {
            if (!(beta1 >= 0 && beta1 < 1) || !(beta2 >= 0 && beta2 < 1)) {
                throw new IllegalArgumentException("Adam betas must lie in [0, 1), got (" + beta1 + ", " + beta2 + ")");
            }
            if (!(epsilon >= 0) || Double.isInfinite(epsilon)) {
                throw new IllegalArgumentException("Adam epsilon must be finite and >= 0, got " + epsilon);
            }
            if (!(weightDecay >= 0) || Double.isInfinite(weightDecay)) {
                throw new IllegalArgumentException("Adam weight decay must be finite and >= 0, got " + weightDecay);
            }
            return new Adam(this);
        }
    }
}
