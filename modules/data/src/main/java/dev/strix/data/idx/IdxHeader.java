package dev.strix.data.idx;

import java.util.Arrays;
import java.util.StringJoiner;

/**
 * What an IDX header says: the element type and the dimension sizes, outermost first. An image file
 * has three dimensions (count, rows, columns), a label file one (count).
 *
 * @param fileName   the file it came from, for messages
 * @param type       the element type
 * @param dims       the dimension sizes; every one is non-negative
 * @param compressed whether the file is gzip-compressed
 */
public record IdxHeader(String fileName, IdxElementType type, int[] dims, boolean compressed) {
    public IdxHeader {
        dims = dims.clone();
    }

    @Override
    public int[] dims() {
        return dims.clone();
    }

    public int rank() {
        return dims.length;
    }

    public int dim(int axis) {
        return dims[axis];
    }

    /** The outermost dimension: how many images or labels. */
    public int count() {
        return dims[0];
    }

    /** Bytes before the data: the 4-byte magic number and one 4-byte size per dimension. */
    public int headerBytes() {
        return 4 + 4 * dims.length;
    }

    /** Bytes of data the header promises (the product of the dimensions times the element size). */
    public long dataBytes() {
        long n = type.byteSize();
        for (int d : dims) {
            n *= d;
        }
        return n;
    }

    /** The contents in words, e.g. "10000 images of 28x28" or "10000 labels". */
    public String describe() {
        return describe(dims);
    }

    static String describe(int[] dims) {
        if (dims.length == 3) {
            return dims[0] + " images of " + dims[1] + "x" + dims[2];
        }
        if (dims.length == 1) {
            return dims[0] + " labels";
        }
        StringJoiner j = new StringJoiner("x", "an array of ", "");
        Arrays.stream(dims).forEach(d -> j.add(Integer.toString(d)));
        return j.toString();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof IdxHeader h && h.fileName.equals(fileName) && h.type == type
                && Arrays.equals(h.dims, dims) && h.compressed == compressed;
    }

    @Override
    public int hashCode() {
        return fileName.hashCode() * 31 + Arrays.hashCode(dims);
    }

    @Override
    public String toString() {
        return fileName + ": " + describe() + " (" + type.description() + (compressed ? ", gzip" : "") + ")";
    }
}
