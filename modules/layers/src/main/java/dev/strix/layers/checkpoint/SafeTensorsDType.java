package dev.strix.layers.checkpoint;

import dev.strix.tensor.DType;

/**
 * The safetensors element types strix reads and writes, and the in-memory {@link DType} each one
 * becomes.
 *
 * <p>{@code I64} exists because PyTorch stores BatchNorm's {@code num_batches_tracked} as int64.
 * strix has no 64-bit tensors: an I64 entry is read into an {@link DType#I32} tensor (a value
 * outside the int range is an error, never silently wrapped), and an I32 tensor can be written as
 * I64 on request (see {@link SafeTensorsWriter#writeAsI64}).
 */
public enum SafeTensorsDType {
    F32(4, DType.F32),
    I32(4, DType.I32),
    U8(1, DType.U8),
    I64(8, DType.I32);

    private final int byteSize;
    private final DType memoryType;

    SafeTensorsDType(int byteSize, DType memoryType) {
        this.byteSize = byteSize;
        this.memoryType = memoryType;
    }

    /** Bytes per element in the file. */
    public int byteSize() {
        return byteSize;
    }

    /** The dtype of the tensor this entry is read into. */
    public DType memoryType() {
        return memoryType;
    }

    /** The file type that stores {@code dtype} unchanged. */
    public static SafeTensorsDType of(DType dtype) {
        return switch (dtype) {
            case F32 -> F32;
            case I32 -> I32;
            case U8 -> U8;
        };
    }

    /** The type named {@code code} in a header ("F32", ...), or null when strix does not support it. */
    static SafeTensorsDType parse(String code) {
        for (SafeTensorsDType t : values()) {
            if (t.name().equals(code)) {
                return t;
            }
        }
        return null;
    }
}
