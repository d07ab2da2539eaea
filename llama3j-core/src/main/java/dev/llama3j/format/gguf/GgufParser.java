package dev.llama3j.format.gguf;

import dev.llama3j.LlamaException;
import dev.llama3j.tensor.DType;
import dev.llama3j.tensor.Tensor;
import dev.llama3j.tokenizer.vocab.Utf8Strings;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Reads the GGUF header (v2/v3, little-endian) from a segment holding the whole file: magic, version,
 * counts, metadata, tensor infos. Every count and length is checked against the bytes left before anything
 * is allocated, so a hostile file fails with a {@link LlamaException} naming the field and offset.
 */
final class GgufParser {
    /** "GGUF" read as a little-endian u32 */
    private static final int MAGIC = 0x46554747;
    private static final int MAX_DIMS = 4;
    /** Real files nest at most one level; the limit keeps hostile nesting off the stack. */
    private static final int MAX_ARRAY_NESTING = 8;
    private static final int MAX_ARRAY_LENGTH = Integer.MAX_VALUE - 8;
    private static final long DEFAULT_ALIGNMENT = 32;
    /** name length + n_dims + one dim + type + offset */
    private static final int MIN_TENSOR_INFO_BYTES = 8 + 4 + 8 + 4 + 8;
    /** key length + value type + smallest value */
    private static final int MIN_KV_BYTES = 8 + 4 + 1;

    private static final ValueLayout.OfShort SHORT = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfInt INT = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfLong LONG = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfFloat FLOAT = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfDouble DOUBLE = ValueLayout.JAVA_DOUBLE_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    record Header(int version, GgufMetadata metadata, Map<String, Tensor> tensors, long alignment, long dataOffset) {}

    private record TensorInfo(String name, long[] dims, DType type, long offset, long at) {}

    private final MemorySegment file;
    private final String source;
    private long pos;
    private byte[] stringBuffer = new byte[256];

    GgufParser(MemorySegment file, String source) {
        this.file = file;
        this.source = source;
    }

    Header parse() {
        int magic = u32("magic");
        if (magic != MAGIC) {
            throw fail(0, String.format("not a GGUF file (starts with 0x%08x, expected the magic \"GGUF\")",
                    Integer.reverseBytes(magic)));
        }
        int version = u32("version");
        if (version != 2 && version != 3) {
            int swapped = Integer.reverseBytes(version);
            throw fail(4, swapped >= 1 && swapped <= 3
                    ? "big-endian GGUF files are not supported"
                    : "GGUF version " + Integer.toUnsignedString(version) + " is not supported (expected 2 or 3)");
        }
        long tensorCount = count("tensor_count", MIN_TENSOR_INFO_BYTES);
        long kvCount = count("kv_count", MIN_KV_BYTES);

        Map<String, GgufMetadata.Entry> kv = new LinkedHashMap<>();
        for (long i = 0; i < kvCount; i++) {
            long at = pos;
            String key = string("metadata key #" + i);
            GgufType type = valueType(u32("type of " + key), key);
            if (kv.put(key, new GgufMetadata.Entry(type, value(type, key))) != null) {
                throw fail(at, "metadata key " + key + " appears twice");
            }
        }
        GgufMetadata metadata = new GgufMetadata(source, kv);
        long alignment = alignment(metadata);

        TensorInfo[] infos = new TensorInfo[(int) tensorCount];
        for (int i = 0; i < infos.length; i++) {
            infos[i] = tensorInfo(i);
        }
        long dataOffset = Math.ceilDiv(pos, alignment) * alignment;
        if (infos.length > 0 && dataOffset > file.byteSize()) {
            throw fail(pos, "the tensor data section would start at byte " + dataOffset + ", past the end of the "
                    + file.byteSize() + "-byte file");
        }
        Map<String, Tensor> tensors = new LinkedHashMap<>();
        for (TensorInfo info : infos) {
            if (tensors.put(info.name(), tensor(info, alignment, dataOffset)) != null) {
                throw fail(info.at(), "tensor " + info.name() + " appears twice");
            }
        }
        return new Header(version, metadata, Collections.unmodifiableMap(tensors), alignment, dataOffset);
    }

    private long alignment(GgufMetadata metadata) {
        String key = "general.alignment";
        if (!metadata.has(key)) {
            return DEFAULT_ALIGNMENT;
        }
        if (!metadata.type(key).isInteger()) {
            throw new LlamaException(source + ": metadata " + key + " is " + metadata.type(key) + ", expected UINT32");
        }
        long a = (Long) metadata.get(key);
        if (a <= 0 || a > (1 << 30) || Long.bitCount(a) != 1) {
            throw new LlamaException(source + ": metadata " + key + " = " + Long.toUnsignedString(a)
                    + " is not a power of two up to 2^30");
        }
        return a;
    }

    private TensorInfo tensorInfo(int index) {
        long at = pos;
        String name = string("name of tensor #" + index);
        int nDims = u32("n_dims of tensor " + name);
        if (nDims < 1 || nDims > MAX_DIMS) {
            throw fail(pos - 4, "tensor " + name + " has " + Integer.toUnsignedString(nDims)
                    + " dimensions (expected 1 to " + MAX_DIMS + ")");
        }
        long[] dims = new long[nDims];
        for (int d = 0; d < nDims; d++) {
            dims[d] = u64("dimension " + d + " of tensor " + name);
            if (dims[d] < 0) {
                throw fail(pos - 8, "tensor " + name + " dimension " + d + " = " + Long.toUnsignedString(dims[d])
                        + " is too large");
            }
        }
        int typeId = u32("type of tensor " + name);
        DType type = DType.ofGgmlId(typeId);
        if (type == null) {
            throw fail(pos - 4, "tensor " + name + " has unknown or unsupported ggml type id "
                    + Integer.toUnsignedString(typeId));
        }
        long offset = u64("data offset of tensor " + name);
        return new TensorInfo(name, dims, type, offset, at);
    }

    private Tensor tensor(TensorInfo info, long alignment, long dataOffset) {
        String name = info.name();
        long[] dims = info.dims();
        DType type = info.type();
        long elements = 1;
        for (long d : dims) {
            if (d != 0 && elements > Long.MAX_VALUE / d) {
                throw fail(info.at(), "tensor " + name + " dimensions " + Arrays.toString(dims) + " overflow");
            }
            elements *= d;
        }
        if (dims[0] % type.blockSize != 0) {
            throw fail(info.at(), "tensor " + name + " row length " + dims[0] + " is not a multiple of the "
                    + type + " block size " + type.blockSize);
        }
        long blocks = elements / type.blockSize;
        if (blocks > Long.MAX_VALUE / type.blockBytes) {
            throw fail(info.at(), "tensor " + name + " dimensions " + Arrays.toString(dims) + " overflow");
        }
        long bytes = blocks * type.blockBytes;
        long offset = info.offset();
        long available = file.byteSize() - dataOffset;
        if (offset < 0 || offset % alignment != 0) {
            throw fail(info.at(), "tensor " + name + " data offset " + Long.toUnsignedString(offset)
                    + " is not a multiple of the alignment " + alignment);
        }
        if (offset > available || bytes > available - offset) {
            throw fail(info.at(), "tensor " + name + " (" + type + " " + Arrays.toString(dims) + ", " + bytes
                    + " bytes at data offset " + offset + ") lies past the end of the file");
        }
        long[] shape = new long[dims.length];
        for (int d = 0; d < dims.length; d++) {
            shape[d] = dims[dims.length - 1 - d];   // GGUF lists dims innermost first
        }
        return new Tensor(name, type, shape, file.asSlice(dataOffset + offset, bytes));
    }

    private Object value(GgufType type, String key) {
        return switch (type) {
            case UINT8 -> (long) (u8(key) & 0xFF);
            case INT8 -> (long) u8(key);
            case UINT16 -> (long) (u16(key) & 0xFFFF);
            case INT16 -> (long) u16(key);
            case UINT32 -> Integer.toUnsignedLong(u32(key));
            case INT32 -> (long) u32(key);
            case UINT64, INT64 -> u64(key);
            case FLOAT32 -> Float.intBitsToFloat(u32(key));
            case FLOAT64 -> Double.longBitsToDouble(u64(key));
            case BOOL -> u8(key) != 0;
            case STRING -> string(key);
            case ARRAY -> array(key, 0);
        };
    }

    private GgufArray array(String key, int depth) {
        if (depth >= MAX_ARRAY_NESTING) {
            throw fail(pos, "metadata " + key + " nests arrays deeper than " + MAX_ARRAY_NESTING + " levels");
        }
        GgufType type = valueType(u32("element type of " + key), key);
        long at = pos;
        long count = u64("length of " + key);
        if (count < 0 || count > MAX_ARRAY_LENGTH || count > remaining() / type.minBytes) {
            throw fail(at, "metadata " + key + " claims " + Long.toUnsignedString(count) + " " + type
                    + " elements, more than the " + remaining() + " bytes left can hold");
        }
        int n = (int) count;
        if (type == GgufType.STRING) {
            return new GgufArray(strings(key, n));
        }
        Object values = switch (type) {
            case UINT8, INT8 -> bulk(ValueLayout.JAVA_BYTE, new byte[n], n);
            case UINT16, INT16 -> bulk(SHORT, new short[n], n);
            case UINT32, INT32 -> bulk(INT, new int[n], n);
            case UINT64, INT64 -> bulk(LONG, new long[n], n);
            case FLOAT32 -> bulk(FLOAT, new float[n], n);
            case FLOAT64 -> bulk(DOUBLE, new double[n], n);
            case BOOL -> {
                boolean[] out = new boolean[n];
                for (int i = 0; i < n; i++) {
                    out[i] = file.get(ValueLayout.JAVA_BYTE, pos + i) != 0;
                }
                pos += n;
                yield out;
            }
            case STRING -> null;
            case ARRAY -> {
                GgufArray[] out = new GgufArray[n];
                for (int i = 0; i < n; i++) {
                    out[i] = array(key, depth + 1);
                }
                yield out;
            }
        };
        return new GgufArray(type, values);
    }

    /**
     * {@code n} strings, kept as the file's bytes (lengths and UTF-8) in one array. The bytes are copied ahead
     * in growing chunks and the lengths read from the copy: in a cold JVM, hundreds of thousands of single reads
     * from the mapped segment cost far more than bulk copies and array reads. Each length is checked against the
     * bytes left in the file before it is followed.
     */
    private Utf8Strings strings(String key, int n) {
        long start = pos;
        long fileLeft = remaining();
        // the first guess is small: a hostile count must not make a large allocation before its strings are read
        byte[] buf = new byte[(int) Math.min(fileLeft, Math.min(16L * n + 64, 1 << 20))];
        int copied = 0;
        long end = 0;   // relative to start
        for (int i = 0; i < n; i++) {
            if (fileLeft - end < 8) {
                throw fail(start + end, "file ends while reading length of " + key);
            }
            if (end + 8 > MAX_ARRAY_LENGTH) {
                throw tooLarge(start, key);
            }
            if (end + 8 > copied) {
                buf = copyAhead(buf, start, copied, end + 8);
                copied = buf.length;
            }
            long len = littleEndianLong(buf, (int) end);
            end += 8;
            if (len < 0 || len > fileLeft - end) {
                throw fail(start + end - 8, key + ": string length " + Long.toUnsignedString(len) + " exceeds the "
                        + (fileLeft - end) + " bytes left");
            }
            end += len;
            if (end > MAX_ARRAY_LENGTH) {
                throw tooLarge(start, key);
            }
            if (end > copied) {
                buf = copyAhead(buf, start, copied, end);
                copied = buf.length;
            }
        }
        pos = start + end;
        return Utf8Strings.ofGgufArray(end == buf.length ? buf : Arrays.copyOf(buf, (int) end), n);
    }

    private LlamaException tooLarge(long start, String key) {
        return fail(start, "metadata " + key + " holds more than " + MAX_ARRAY_LENGTH
                + " bytes of strings (the most llama3j reads)");
    }

    /**
     * {@code buf} (the file's bytes from {@code start}, the first {@code copied} of them copied) filled from
     * the file, first grown to twice its size if it cannot hold {@code need} bytes (never past the end of
     * the file or the array limit; the caller has checked that {@code need} is within both).
     */
    private byte[] copyAhead(byte[] buf, long start, int copied, long need) {
        long size = need <= buf.length ? buf.length : Math.max(need, 2L * buf.length);
        size = Math.min(size, Math.min(remaining(), MAX_ARRAY_LENGTH));
        byte[] grown = size == buf.length ? buf : Arrays.copyOf(buf, (int) size);
        MemorySegment.copy(file, ValueLayout.JAVA_BYTE, start + copied, grown, copied, grown.length - copied);
        return grown;
    }

    private static long littleEndianLong(byte[] b, int at) {
        long v = 0;
        for (int i = 7; i >= 0; i--) {
            v = (v << 8) | (b[at + i] & 0xFF);
        }
        return v;
    }

    /** Copies {@code n} elements into {@code dst}; the caller has checked they are in the file. */
    private Object bulk(ValueLayout layout, Object dst, int n) {
        MemorySegment.copy(file, layout, pos, dst, 0, n);
        pos += n * layout.byteSize();
        return dst;
    }

    private GgufType valueType(int id, String key) {
        GgufType t = GgufType.ofId(id);
        if (t == null) {
            throw fail(pos - 4, "metadata " + key + " has unknown value type id " + Integer.toUnsignedString(id));
        }
        return t;
    }

    private long count(String field, int minBytesEach) {
        long at = pos;
        long n = u64(field);
        if (n < 0 || n > remaining() / minBytesEach) {
            throw fail(at, field + " " + Long.toUnsignedString(n) + " is impossible: only " + remaining()
                    + " bytes follow");
        }
        return n;
    }

    private String string(String what) {
        long at = pos;
        long len = u64("length of " + what);
        if (len < 0 || len > remaining() || len > MAX_ARRAY_LENGTH) {
            throw fail(at, what + ": string length " + Long.toUnsignedString(len) + " exceeds the " + remaining()
                    + " bytes left");
        }
        int n = (int) len;
        if (stringBuffer.length < n) {
            stringBuffer = new byte[Math.max(n, 2 * stringBuffer.length)];
        }
        MemorySegment.copy(file, ValueLayout.JAVA_BYTE, pos, stringBuffer, 0, n);
        pos += n;
        return new String(stringBuffer, 0, n, StandardCharsets.UTF_8);
    }

    private byte u8(String what) {
        need(1, what);
        byte v = file.get(ValueLayout.JAVA_BYTE, pos);
        pos += 1;
        return v;
    }

    private short u16(String what) {
        need(2, what);
        short v = file.get(SHORT, pos);
        pos += 2;
        return v;
    }

    private int u32(String what) {
        need(4, what);
        int v = file.get(INT, pos);
        pos += 4;
        return v;
    }

    private long u64(String what) {
        need(8, what);
        long v = file.get(LONG, pos);
        pos += 8;
        return v;
    }

    private long remaining() {
        return file.byteSize() - pos;
    }

    private void need(int n, String what) {
        if (remaining() < n) {
            throw fail(pos, "file ends while reading " + what);
        }
    }

    private LlamaException fail(long at, String message) {
        return new LlamaException(source + ": " + message + " (at byte " + at + ")");
    }
}
