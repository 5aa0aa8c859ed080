package dev.strix.tensor;

/** Element-wise functions of one float32 argument. */
public enum UnaryOp {
    NEGATE,
    ABS,
    EXP,
    LOG,
    SQRT,
    SQUARE,
    RECIPROCAL,
    RELU;

    /** The reference definition in double precision, used by the CPU backend's slow paths and tests. */
    public double apply(double x) {
        return switch (this) {
            case NEGATE -> -x;
            case ABS -> Math.abs(x);
            case EXP -> Math.exp(x);
            case LOG -> Math.log(x);
            case SQRT -> Math.sqrt(x);
            case SQUARE -> x * x;
            case RECIPROCAL -> 1.0 / x;
            case RELU -> x > 0 ? x : 0.0;
        };
    }
}
