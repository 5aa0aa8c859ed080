package dev.strix.cuda;

import dev.strix.tensor.BinaryOp;
import dev.strix.tensor.DType;
import dev.strix.tensor.ReduceOp;
import dev.strix.tensor.UnaryOp;

/**
 * The integer codes the kernels switch on; each must equal its #define in cuda-src (STRIX_F32 in
 * strix_common.cuh, STRIX_NEGATE... in elementwise.cu, STRIX_SUM... in reduce.cu). Spelled out
 * rather than taken from ordinal(), so reordering an enum cannot silently change a kernel's op.
 */
final class KernelCodes {
    private KernelCodes() {
    }

    static int of(DType t) {
        return switch (t) {
            case F32 -> 0;
            case U8 -> 1;
            case I32 -> 2;
        };
    }

    static int of(UnaryOp op) {
        return switch (op) {
            case NEGATE -> 0;
            case ABS -> 1;
            case EXP -> 2;
            case LOG -> 3;
            case SQRT -> 4;
            case SQUARE -> 5;
            case RECIPROCAL -> 6;
            case RELU -> 7;
        };
    }

    static int of(BinaryOp op) {
        return switch (op) {
            case ADD -> 0;
            case SUBTRACT -> 1;
            case MULTIPLY -> 2;
            case DIVIDE -> 3;
            case MAXIMUM -> 4;
            case MINIMUM -> 5;
        };
    }

    static int of(ReduceOp op) {
        return switch (op) {
            case SUM -> 0;
            case MEAN -> 1;
            case MAX -> 2;
            case MIN -> 3;
        };
    }
}
