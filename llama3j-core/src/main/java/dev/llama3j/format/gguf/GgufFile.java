package dev.llama3j.format.gguf;

import dev.llama3j.format.io.MappedFile;
import dev.llama3j.LlamaException;
import dev.llama3j.tensor.Tensor;

import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.Map;

/**
 * A GGUF file (v2 or v3) mapped read-only: its metadata and its tensors, whose data stay in the mapping.
 * Tensor shapes are outermost first ({@code [rows, cols]}), the reverse of GGUF's dims. Closing unmaps the
 * file; tensors must not be used after that.
 */
public final class GgufFile implements AutoCloseable {
    private final String source;
    private final MappedFile mapped;
    private final GgufParser.Header header;
    private boolean closed;

    private GgufFile(String source, MappedFile mapped, GgufParser.Header header) {
        this.source = source;
        this.mapped = mapped;
        this.header = header;
    }

    /** Maps and parses {@code path}; a missing, unreadable or malformed file is a {@link LlamaException}. */
    public static GgufFile open(Path path) {
        MappedFile mapped = MappedFile.open(path);
        try {
            return parse(mapped.segment(), path.toString(), mapped);
        } catch (RuntimeException | Error e) {
            mapped.close();
            throw e;
        }
    }

    /** Parses a file already in memory; {@code mapped} (nullable) is closed by {@link #close}. */
    static GgufFile parse(MemorySegment data, String source, MappedFile mapped) {
        return new GgufFile(source, mapped, new GgufParser(data, source).parse());
    }

    /** The file name, as used in error messages. */
    public String source() {
        return source;
    }

    /** GGUF format version (2 or 3). */
    public int version() {
        return header.version();
    }

    public int tensorCount() {
        return header.tensors().size();
    }

    /** Number of metadata key/value pairs. */
    public int kvCount() {
        return header.metadata().size();
    }

    public GgufMetadata metadata() {
        return header.metadata();
    }

    /** Every tensor by name, in file order. */
    public Map<String, Tensor> tensors() {
        return header.tensors();
    }

    public boolean hasTensor(String name) {
        return header.tensors().containsKey(name);
    }

    /** The tensor {@code name}, or a clear error naming the file when it is absent. */
    public Tensor tensor(String name) {
        Tensor t = header.tensors().get(name);
        if (t == null) {
            throw new LlamaException(source + ": tensor " + name + " is missing");
        }
        return t;
    }

    /** Alignment of tensor data ({@code general.alignment}, default 32). */
    public long alignment() {
        return header.alignment();
    }

    /** Byte offset of the tensor data section. */
    public long dataOffset() {
        return header.dataOffset();
    }

    @Override
    public synchronized void close() {
        if (!closed && mapped != null) {
            mapped.close();
        }
        closed = true;
    }
}
