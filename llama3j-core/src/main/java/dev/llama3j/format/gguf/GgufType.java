package dev.llama3j.format.gguf;

/** The value types of GGUF metadata, with their ids and the fewest bytes one value takes in the file. */
public enum GgufType {
    UINT8(0, 1),
    INT8(1, 1),
    UINT16(2, 2),
    INT16(3, 2),
    UINT32(4, 4),
    INT32(5, 4),
    FLOAT32(6, 4),
    BOOL(7, 1),
    /** u64 length + UTF-8 bytes */
    STRING(8, 8),
    /** u32 element type + u64 count + elements */
    ARRAY(9, 12),
    UINT64(10, 8),
    INT64(11, 8),
    FLOAT64(12, 8);

    public final int id;
    /** bytes of the smallest possible value: lets counts be checked against the bytes left before allocating */
    final int minBytes;

    GgufType(int id, int minBytes) {
        this.id = id;
        this.minBytes = minBytes;
    }

    public boolean isInteger() {
        return switch (this) {
            case UINT8, INT8, UINT16, INT16, UINT32, INT32, UINT64, INT64 -> true;
            default -> false;
        };
    }

    public boolean isUnsigned() {
        return this == UINT8 || this == UINT16 || this == UINT32 || this == UINT64;
    }

    /** The type with GGUF id {@code id}, or null. */
    static GgufType ofId(int id) {
        GgufType[] all = values();
        return id >= 0 && id < all.length ? all[id] : null;
    }
}
