package dev.llama3j.format.gguf;

import dev.llama3j.LlamaException;
import dev.llama3j.format.io.AlignedChunkWriter;
import dev.llama3j.tensor.DType;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * Writes a GGUF v3 file: metadata key/values in the order they were put, tensor infos in the order they
 * were added (dims innermost first, offsets aligned), then each tensor's data, produced on demand and
 * streamed to the file so a model never has to fit in memory. The file is written as {@code <out>.tmp}
 * and renamed over {@code out} only once complete; on any failure, and when the JVM is shut down while
 * writing (Ctrl-C, SIGTERM), the temporary file is deleted.
 *
 * <p>{@code general.alignment} is written only when it differs from GGUF's default of 32, as llama.cpp's
 * writers do.
 */
public final class GgufWriter {
    /** GGUF's alignment when {@code general.alignment} is absent. */
    public static final int DEFAULT_ALIGNMENT = 32;
    private static final int MAGIC = 0x46554747;
    private static final int VERSION = 3;

    /** Produces a tensor's bytes, in order, into a sink; called once, while the file is written. */
    @FunctionalInterface
    public interface TensorData {
        void write(Sink sink) throws IOException;
    }

    /** Where tensor data goes. */
    public interface Sink {
        void write(byte[] bytes, int off, int len) throws IOException;
    }

    /** Told after each chunk of tensor data: bytes of tensor data written so far out of the total. */
    @FunctionalInterface
    public interface Progress {
        void update(String tensor, long done, long total);
    }

    private record Value(GgufType type, Object value) {}

    private record TensorEntry(String name, DType type, long[] shape, long bytes, TensorData data) {}

    private final int alignment;
    private final Map<String, Value> metadata = new LinkedHashMap<>();
    private final Map<String, TensorEntry> tensors = new LinkedHashMap<>();

    public GgufWriter() {
        this(DEFAULT_ALIGNMENT);
    }

    public GgufWriter(int alignment) {
        if (alignment <= 0 || Integer.bitCount(alignment) != 1) {
            throw new IllegalArgumentException("alignment must be a power of two: " + alignment);
        }
        this.alignment = alignment;
    }

    /**
     * Adds a key. Value types: {@code Number} for integers ({@code Long}/{@code Integer}/..., range-checked
     * against the type), {@code Float}/{@code Double} for FLOAT32/FLOAT64, {@code Boolean}, {@code String},
     * {@link GgufArray} for ARRAY.
     */
    public GgufWriter put(String key, GgufType type, Object value) {
        check(key, type, value);
        if (metadata.containsKey(key)) {
            throw new IllegalArgumentException("metadata key " + key + " added twice");
        }
        metadata.put(key, new Value(type, value));
        return this;
    }

    public GgufWriter putString(String key, String value) {
        return put(key, GgufType.STRING, value);
    }

    public GgufWriter putUInt32(String key, long value) {
        return put(key, GgufType.UINT32, value);
    }

    public GgufWriter putInt32(String key, int value) {
        return put(key, GgufType.INT32, (long) value);
    }

    public GgufWriter putFloat32(String key, float value) {
        return put(key, GgufType.FLOAT32, value);
    }

    public GgufWriter putBool(String key, boolean value) {
        return put(key, GgufType.BOOL, value);
    }

    public GgufWriter putArray(String key, GgufArray value) {
        return put(key, GgufType.ARRAY, value);
    }

    /**
     * Declares a tensor; {@code shape} is outermost first like {@link dev.llama3j.tensor.Tensor} (the file
     * lists it reversed). {@code data} must produce exactly the bytes the type and shape take.
     */
    public GgufWriter addTensor(String name, DType type, long[] shape, TensorData data) {
        if (shape.length < 1 || shape.length > 4) {
            throw new IllegalArgumentException("tensor " + name + ": 1 to 4 dimensions, got " + shape.length);
        }
        long elements = 1;
        for (long d : shape) {
            if (d <= 0) {
                throw new IllegalArgumentException("tensor " + name + ": bad shape " + Arrays.toString(shape));
            }
            elements = Math.multiplyExact(elements, d);
        }
        if (shape[shape.length - 1] % type.blockSize != 0) {
            throw new IllegalArgumentException("tensor " + name + ": row length " + shape[shape.length - 1]
                    + " is not a multiple of the " + type + " block size " + type.blockSize);
        }
        if (tensors.containsKey(name)) {
            throw new IllegalArgumentException("tensor " + name + " added twice");
        }
        tensors.put(name, new TensorEntry(name, type, shape.clone(), type.bytesFor(elements), data));
        return this;
    }

    /** Total bytes of tensor data (without padding). */
    public long tensorBytes() {
        return tensors.values().stream().mapToLong(TensorEntry::bytes).sum();
    }

    /**
     * Writes the file to {@code out} (replacing an existing one only once the new file is complete).
     * I/O problems are {@link LlamaException}s naming the file; {@code progress} may be null.
     */
    public void write(Path out, Progress progress) {
        Path tmp = temporaryFile(out);
        // An interrupted conversion would otherwise leave a file as large as the model behind.
        Thread deleteOnShutdown = new Thread(() -> deleteQuietly(tmp), "delete " + tmp.getFileName());
        Runtime.getRuntime().addShutdownHook(deleteOnShutdown);
        try {
            writeOrDelete(out, tmp, progress);
        } finally {
            try {
                Runtime.getRuntime().removeShutdownHook(deleteOnShutdown);
            } catch (IllegalStateException shuttingDown) {
                // the hook is running or has run
            }
        }
    }

    /** Where {@link #write} puts the file until it is complete: {@code <out>.tmp}. */
    public static Path temporaryFile(Path out) {
        return out.resolveSibling(out.getFileName() + ".tmp");
    }

    /**
     * The temporary files of writes that never finished (killed, or the machine stopped) in {@code dir}: files
     * named {@code *.tmp} that begin with the GGUF magic. Unreadable entries are skipped.
     */
    public static List<Path> unfinishedFiles(Path dir) {
        List<Path> found = new ArrayList<>();
        try (Stream<Path> files = Files.list(dir)) {
            for (Path p : files.sorted().toList()) {
                if (p.getFileName().toString().endsWith(".tmp") && Files.isRegularFile(p) && startsWithMagic(p)) {
                    found.add(p);
                }
            }
        } catch (IOException | UncheckedIOException e) {
            // nothing to report about a folder that cannot be listed; writing there fails with its own message
        }
        return found;
    }

    private static boolean startsWithMagic(Path p) {
        try (InputStream in = Files.newInputStream(p)) {
            byte[] b = in.readNBytes(4);
            return b.length == 4 && ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).getInt() == MAGIC;
        } catch (IOException e) {
            return false;
        }
    }

    private void writeOrDelete(Path out, Path tmp, Progress progress) {
        try {
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                    StandardOpenOption.TRUNCATE_EXISTING)) {
                writeTo(ch, progress);
            }
            moveIntoPlace(tmp, out);
        } catch (IOException e) {
            deleteQuietly(tmp);
            throw new LlamaException(out + ": cannot write: " + describe(e), e);
        } catch (RuntimeException | Error e) {
            deleteQuietly(tmp);
            throw e;
        }
    }

    private void writeTo(FileChannel ch, Progress progress) throws IOException {
        try (AlignedChunkWriter out = new AlignedChunkWriter(ch)) {
            out.write(ByteBuffer.wrap(header()));
            long total = tensorBytes();
            long[] done = {0};
            for (TensorEntry t : tensors.values()) {
                long start = done[0];
                t.data().write((bytes, off, len) -> {
                    if (done[0] - start + len > t.bytes()) {
                        throw new IllegalStateException("tensor " + t.name() + " produced more than its " + t.bytes()
                                + " bytes");
                    }
                    out.write(bytes, off, len);
                    done[0] += len;
                    if (progress != null) {
                        progress.update(t.name(), done[0], total);
                    }
                });
                if (done[0] - start != t.bytes()) {
                    throw new IllegalStateException("tensor " + t.name() + " produced " + (done[0] - start)
                            + " bytes, expected " + t.bytes());
                }
                out.write(ByteBuffer.allocate(padding(t.bytes())));
            }
        }
    }

    /** Magic, counts, metadata and tensor infos, padded to the alignment. */
    private byte[] header() {
        Encoder e = new Encoder();
        e.u32(MAGIC).u32(VERSION).u64(tensors.size());
        boolean alignmentKey = alignment != DEFAULT_ALIGNMENT && !metadata.containsKey("general.alignment");
        e.u64(metadata.size() + (alignmentKey ? 1 : 0));
        for (Map.Entry<String, Value> kv : metadata.entrySet()) {
            e.string(kv.getKey()).u32(kv.getValue().type().id);
            e.value(kv.getValue().type(), kv.getValue().value());
        }
        if (alignmentKey) {
            e.string("general.alignment").u32(GgufType.UINT32.id).u32(alignment);
        }
        long offset = 0;
        for (TensorEntry t : tensors.values()) {
            e.string(t.name()).u32(t.shape().length);
            for (int d = t.shape().length - 1; d >= 0; d--) {
                e.u64(t.shape()[d]);
            }
            e.u32(t.type().ggmlId).u64(offset);
            offset += t.bytes() + padding(t.bytes());
        }
        e.pad(alignment);
        return e.bytes();
    }

    private int padding(long size) {
        return (int) ((alignment - size % alignment) % alignment);
    }

    private static void moveIntoPlace(Path tmp, Path out) throws IOException {
        try {
            Files.move(tmp, out, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(tmp, out, StandardCopyOption.REPLACE_EXISTING);
        }
    }

    private static void deleteQuietly(Path p) {
        try {
            Files.deleteIfExists(p);
        } catch (IOException ignored) {
            // the original failure is what the user needs to see
        }
    }

    private static String describe(IOException e) {
        if (e instanceof NoSuchFileException) {
            return "the folder does not exist";
        }
        if (e instanceof AccessDeniedException) {
            return "permission denied";
        }
        return e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
    }

    private static void check(String key, GgufType type, Object value) {
        boolean ok = switch (type) {
            case UINT8, INT8, UINT16, INT16, UINT32, INT32, UINT64, INT64 ->
                    (value instanceof Long || value instanceof Integer || value instanceof Short || value instanceof Byte)
                            && fits(type, ((Number) value).longValue());
            case FLOAT32 -> value instanceof Float;
            case FLOAT64 -> value instanceof Double;
            case BOOL -> value instanceof Boolean;
            case STRING -> value instanceof String;
            case ARRAY -> value instanceof GgufArray a && holdsElements(a);
        };
        if (!ok) {
            throw new IllegalArgumentException("metadata " + key + ": " + value + " is not a " + type);
        }
    }

    /** The Java array of {@code a} is the one {@link GgufArray} prescribes for its element type. */
    private static boolean holdsElements(GgufArray a) {
        return switch (a.elementType()) {
            case UINT8, INT8 -> a.values() instanceof byte[];
            case UINT16, INT16 -> a.values() instanceof short[];
            case UINT32, INT32 -> a.values() instanceof int[];
            case UINT64, INT64 -> a.values() instanceof long[];
            case FLOAT32 -> a.values() instanceof float[];
            case FLOAT64 -> a.values() instanceof double[];
            case BOOL -> a.values() instanceof boolean[];
            case STRING -> a.values() instanceof String[];
            case ARRAY -> a.values() instanceof GgufArray[] nested && Arrays.stream(nested).allMatch(GgufWriter::holdsElements);
        };
    }

    private static boolean fits(GgufType type, long v) {
        return switch (type) {
            case UINT8 -> v >= 0 && v <= 0xFF;
            case INT8 -> v == (byte) v;
            case UINT16 -> v >= 0 && v <= 0xFFFF;
            case INT16 -> v == (short) v;
            case UINT32 -> v >= 0 && v <= 0xFFFFFFFFL;
            case INT32 -> v == (int) v;
            default -> true;    // 64-bit: a UINT64 takes the bits as they are
        };
    }

    /** Little-endian encoding of header fields into memory (the header is small next to the tensors). */
    private static final class Encoder {
        private final ByteArrayOutputStream out = new ByteArrayOutputStream();
        private final ByteBuffer scratch = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);

        Encoder u8(int v) {
            out.write(v);
            return this;
        }

        Encoder u16(int v) {
            return put(scratch.clear().putShort((short) v), 2);
        }

        Encoder u32(long v) {
            return put(scratch.clear().putInt((int) v), 4);
        }

        Encoder u64(long v) {
            return put(scratch.clear().putLong(v), 8);
        }

        private Encoder put(ByteBuffer b, int n) {
            out.write(b.array(), 0, n);
            return this;
        }

        Encoder string(String s) {
            byte[] b = s.getBytes(StandardCharsets.UTF_8);
            u64(b.length);
            out.writeBytes(b);
            return this;
        }

        void value(GgufType type, Object v) {
            switch (type) {
                case UINT8, INT8 -> u8(((Number) v).intValue());
                case UINT16, INT16 -> u16(((Number) v).intValue());
                case UINT32, INT32 -> u32(((Number) v).longValue());
                case UINT64, INT64 -> u64(((Number) v).longValue());
                case FLOAT32 -> u32(Float.floatToRawIntBits((Float) v));
                case FLOAT64 -> u64(Double.doubleToRawLongBits((Double) v));
                case BOOL -> u8((Boolean) v ? 1 : 0);
                case STRING -> string((String) v);
                case ARRAY -> array((GgufArray) v);
            }
        }

        private void array(GgufArray a) {
            GgufType t = a.elementType();
            u32(t.id).u64(a.length());
            Object values = a.values();
            for (int i = 0; i < a.length(); i++) {
                switch (values) {
                    case byte[] b -> u8(b[i]);
                    case short[] s -> u16(s[i]);
                    case int[] ints -> u32(ints[i]);
                    case long[] longs -> u64(longs[i]);
                    case float[] f -> u32(Float.floatToRawIntBits(f[i]));
                    case double[] d -> u64(Double.doubleToRawLongBits(d[i]));
                    case boolean[] b -> u8(b[i] ? 1 : 0);
                    case String[] s -> string(s[i]);
                    case GgufArray[] nested -> array(nested[i]);
                    default -> throw new IllegalArgumentException("array of " + values.getClass().getSimpleName());
                }
            }
        }

        Encoder pad(int alignment) {
            while (out.size() % alignment != 0) {
                out.write(0);
            }
            return this;
        }

        byte[] bytes() {
            return out.toByteArray();
        }
    }
}
