package dev.strix.layers.checkpoint;

import dev.strix.tensor.Shape;

/**
 * One tensor listed in a safetensors header: its name, file dtype, shape, and the byte range
 * {@code [begin, end)} it occupies in the data area (which starts right after the header).
 */
public record SafeTensorsEntry(String name, SafeTensorsDType dtype, Shape shape, long begin, long end) {
    /** Bytes the tensor occupies in the file: {@code end - begin}. */
    public long byteLength() {
        return end - begin;
    }

    @Override
    public String toString() {
        return name + " " + dtype + shape + " [" + begin + ", " + end + ")";
    }
}
