package dev.strix.data.idx;

/**
 * The element types an IDX header can name (the third byte of the magic number). strix reads only
 * {@link #UNSIGNED_BYTE}, the type of every MNIST-like image and label file; the others are known
 * so that a file using them is refused by name rather than as "wrong magic".
 */
public enum IdxElementType {
    UNSIGNED_BYTE(0x08, 1, "unsigned byte"),
    SIGNED_BYTE(0x09, 1, "signed byte"),
    SHORT(0x0B, 2, "16-bit integer"),
    INT(0x0C, 4, "32-bit integer"),
    FLOAT(0x0D, 4, "32-bit float"),
    DOUBLE(0x0E, 8, "64-bit float");

    private final int code;
    private final int byteSize;
    private final String description;

    IdxElementType(int code, int byteSize, String description) {
        this.code = code;
        this.byteSize = byteSize;
        this.description = description;
    }

    /** The type byte as it appears in the magic number. */
    public int code() {
        return code;
    }

    /** Bytes per element. */
    public int byteSize() {
        return byteSize;
    }

    /** Words for error messages, e.g. "32-bit float". */
    public String description() {
        return description;
    }

    /** The type for {@code code}, or null when the IDX format defines none. */
    public static IdxElementType ofCode(int code) {
        for (IdxElementType t : values()) {
            if (t.code == code) {
                return t;
            }
        }
        return null;
    }
}
