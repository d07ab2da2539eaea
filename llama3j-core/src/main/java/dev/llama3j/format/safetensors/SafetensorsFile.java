package dev.llama3j.format.safetensors;

import dev.llama3j.LlamaException;
import dev.llama3j.format.safetensors.SafetensorsHeader.Entry;
import dev.llama3j.tensor.Tensor;

import dev.llama3j.format.io.MappedFile;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static dev.llama3j.format.safetensors.SafetensorsHeader.shown;

/**
 * A memory-mapped safetensors file: {@code u64 LE header size N}, {@code N} bytes of JSON header, then the
 * raw little-endian tensor data. Tensors are slices of the mapping (never copied); they stay readable until
 * {@link #close()}.
 */
public final class SafetensorsFile implements AutoCloseable {

    /** The reference implementation's limit; real headers are well under 1 MB. */
    public static final long MAX_HEADER_BYTES = 100_000_000L;

    private final Path path;
    private final MappedFile file;
    private final Map<String, Tensor> tensors;

    private SafetensorsFile(Path path, MappedFile file, Map<String, Tensor> tensors) {
        this.path = path;
        this.file = file;
        this.tensors = tensors;
    }

    /** Maps {@code path} and validates its header and every tensor's extent; LlamaException if anything is off. */
    public static SafetensorsFile open(Path path) {
        if (!Files.isRegularFile(path)) {
            throw new LlamaException(path + ": safetensors file not found");
        }
        MappedFile mapped = MappedFile.open(path);
        try {
            return new SafetensorsFile(path, mapped, readTensors(path.toString(), mapped.segment()));
        } catch (RuntimeException e) {
            mapped.close();
            throw e;
        }
    }

    public Path path() {
        return path;
    }

    /** All tensors by name, in header order. */
    public Map<String, Tensor> tensors() {
        return tensors;
    }

    /** The tensor called {@code name}; LlamaException naming the file if there is none. */
    public Tensor tensor(String name) {
        Tensor t = tensors.get(name);
        if (t == null) {
            throw new LlamaException(path + ": no tensor named " + name);
        }
        return t;
    }

    /** Unmaps the file; tensors from it must not be read afterwards. */
    @Override
    public void close() {
        file.close();
    }

    /**
     * Parses and validates the safetensors layout in {@code file} (a whole file's bytes). As in the
     * reference implementation, the tensors must tile the data area exactly: sorted by offset, each starts
     * where the previous ends, the first at 0 and the last at the end of the file, so no two tensors share
     * bytes and nothing is hidden in gaps.
     */
    static Map<String, Tensor> readTensors(String source, MemorySegment file) {
        long size = file.byteSize();
        if (size < Long.BYTES) {
            throw new LlamaException(source + ": too short for a safetensors file (" + size + " bytes)");
        }
        long headerSize = file.get(ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), 0);
        // Unsigned u64: a "negative" long is a huge size.
        if (headerSize < 0 || headerSize > MAX_HEADER_BYTES || headerSize > size - Long.BYTES) {
            throw new LlamaException(source + ": safetensors header size " + Long.toUnsignedString(headerSize)
                    + " is out of range (the file has " + (size - Long.BYTES) + " bytes after the size field; limit "
                    + MAX_HEADER_BYTES + ")");
        }
        byte[] json = file.asSlice(Long.BYTES, headerSize).toArray(ValueLayout.JAVA_BYTE);
        List<Entry> entries = SafetensorsHeader.parse(source, json);

        long dataStart = Long.BYTES + headerSize;
        long dataSize = size - dataStart;
        List<Entry> byOffset = new ArrayList<>(entries);
        byOffset.sort(Comparator.comparingLong(Entry::begin).thenComparingLong(Entry::end));
        long expected = 0;
        for (Entry e : byOffset) {
            if (e.begin() != expected || e.end() < e.begin()) {
                throw new LlamaException(source + ": tensor " + shown(e.name()) + " has data_offsets ["
                        + e.begin() + ", " + e.end() + "], expected it to start at " + expected
                        + " (tensors must be contiguous and must not overlap)");
            }
            long need = byteCount(source, e);
            if (e.end() - e.begin() != need) {
                throw new LlamaException(source + ": tensor " + shown(e.name()) + " (" + e.type() + " "
                        + Arrays.toString(e.shape()) + ") needs " + need + " bytes, data_offsets give "
                        + (e.end() - e.begin()));
            }
            if (e.end() > dataSize) {
                throw new LlamaException(source + ": tensor " + shown(e.name()) + " ends at data byte " + e.end()
                        + ", past the end of the file (" + dataSize + " data bytes)");
            }
            expected = e.end();
        }
        if (expected != dataSize) {
            throw new LlamaException(source + ": the tensors cover " + expected + " of the " + dataSize
                    + " data bytes (the file is truncated or has trailing bytes)");
        }

        Map<String, Tensor> out = new LinkedHashMap<>();
        for (Entry e : entries) {
            MemorySegment data = file.asSlice(dataStart + e.begin(), e.end() - e.begin());
            out.put(e.name(), new Tensor(e.name(), e.type(), e.shape(), data));
        }
        return Collections.unmodifiableMap(out);
    }

    /** Elements times item size, with a clear error instead of overflow. */
    private static long byteCount(String source, Entry e) {
        try {
            long n = 1;
            for (long d : e.shape()) {
                n = Math.multiplyExact(n, d);
            }
            return Math.multiplyExact(n, (long) e.type().blockBytes);
        } catch (ArithmeticException overflow) {
            throw new LlamaException(source + ": tensor " + shown(e.name()) + " shape "
                    + Arrays.toString(e.shape()) + " is too large");
        }
    }
}
