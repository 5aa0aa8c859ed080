package dev.strix.tensor;

/** Element types: float32 for maths, uint8 for raw images, int32 for labels and argmax indices. */
public enum DType {
    F32(4),
    U8(1),
    I32(4);

    private final int byteSize;

    DType(int byteSize) {
        this.byteSize = byteSize;
    }

    /** Bytes per element. */
    public int byteSize() {
        return byteSize;
    }
}
