package dev.llama3j.tensor.kernel;

import java.io.IOException;
import java.io.InputStream;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Locale;

/**
 * The optional native kernels ({@code src/main/native}, built by the build when a C compiler is there): integer
 * dot products with int8 activations of Q4_0, Q4_K, Q6_K and Q8_0 rows in the file's own blocks (no copy), through
 * x86's byte multiply-adds ({@code vpmaddubsw}, AVX-512 VNNI's {@code vpdpbusd}) that the Vector API cannot
 * express; F16 and BF16 products with float32 activations, with the bits of the Java {@link F16Kernel} and
 * {@link BF16Kernel} (F16 through {@code vcvtph2ps}: the Vector API has no half-precision conversion); and for
 * {@link TileMatmul}'s float32 prompt product, its multiply-adds, with the Java tile's bits, and the exact widening
 * of F16, BF16 and Q8_0 rows into its float panels. Loaded through FFM; when the library, the CPU or
 * {@code -Dllama3j.native=off} says no, the Java kernels run alone ({@link #active()} is then {@link Isa#NONE} and
 * {@link #unavailableReason()} says why).
 *
 * <p>{@code -Dllama3j.native=avx2} forces the AVX2 kernels on an AVX-512 machine (to compare them).
 */
public final class NativeKernels {
    /** The instruction set of a kernel variant. */
    public enum Isa { NONE, AVX2, VNNI }

    /** One product: the weight type whose blocks it reads. */
    public enum Kernel {
        Q4_0("q4_0", 32, 18),
        Q4_K("q4_k", 256, 144),
        Q6_K("q6_k", 256, 210),
        Q8_0("q8_0", 32, 34);

        final String symbol;
        /** Weights per block, and the block's bytes. */
        final int blockWeights;
        final int blockBytes;

        Kernel(String symbol, int blockWeights, int blockBytes) {
            this.symbol = symbol;
            this.blockWeights = blockWeights;
            this.blockBytes = blockBytes;
        }

        /** Whether rows of {@code cols} weights in {@code rowBytes} bytes are this type's whole blocks. */
        boolean fits(int cols, long rowBytes) {
            return cols > 0 && cols <= MAX_COLS && cols % blockWeights == 0
                    && rowBytes == (long) cols / blockWeights * blockBytes;
        }
    }

    /** A weight type whose rows {@link #unpack} widens to float32, exactly. */
    public enum Unpacked {
        F16("f16", 1, 2),
        BF16("bf16", 1, 2),
        Q8_0("q8_0", 32, 34);

        final String symbol;
        /** Weights per block, and the block's bytes. */
        final int blockWeights;
        final int blockBytes;

        Unpacked(String symbol, int blockWeights, int blockBytes) {
            this.symbol = symbol;
            this.blockWeights = blockWeights;
            this.blockBytes = blockBytes;
        }
    }

    /** Where the build puts the library, as a class-path resource. */
    static final String RESOURCE = "/dev/llama3j/native/linux-x86_64/libllama3j.so";
    /** The most columns a row may have (a single-vector product rearranges the activations on the C stack). */
    private static final int MAX_COLS = 65536;

    private static final Isa ACTIVE;
    private static final String WHY_NOT;
    private static final int FEATURES;
    private static final MethodHandle[][] KERNELS = new MethodHandle[Isa.values().length][Kernel.values().length];
    private static final MethodHandle[][] BATCH_KERNELS =
            new MethodHandle[Isa.values().length][Kernel.values().length];
    /** The F16 products with float32 activations: AVX2's in 8 lanes, VNNI's in 16. */
    private static final MethodHandle[] F16_KERNELS = new MethodHandle[Isa.values().length];
    /** The BF16 products with float32 activations, in the Java {@link BF16Kernel}'s lane order at 8 and 16 lanes. */
    private static final MethodHandle[] BF16_KERNELS = new MethodHandle[Isa.values().length];
    /** Int8 quantization of activations, as {@link Int8Activations} does it. */
    private static final MethodHandle[] QUANTIZE = new MethodHandle[Isa.values().length];
    /** Rows of F16, BF16 and Q8_0 weights to float32 ({@link Unpacked}), exact in every variant. */
    private static final MethodHandle[][] UNPACK = new MethodHandle[Isa.values().length][Unpacked.values().length];
    /** The multiply-adds of a {@link TileMatmul} row block: AVX2's in 8 lanes, VNNI's in 16. */
    private static final MethodHandle[] TILES = new MethodHandle[Isa.values().length];

    static {
        String why = null;
        int features = 0;
        Isa active = Isa.NONE;
        String setting = System.getProperty("llama3j.native", "auto").toLowerCase(Locale.ROOT);
        if (setting.equals("off") || setting.equals("false")) {
            why = "turned off (-Dllama3j.native=" + setting + ")";
        } else {
            try {
                SymbolLookup lib = SymbolLookup.libraryLookup(libraryPath(), Arena.global());
                Linker linker = Linker.nativeLinker();
                features = (int) linker.downcallHandle(lib.findOrThrow("llama3j_features"),
                        FunctionDescriptor.of(ValueLayout.JAVA_INT)).invokeExact();
                FunctionDescriptor matvec = FunctionDescriptor.ofVoid(ValueLayout.ADDRESS, ValueLayout.JAVA_LONG,
                        ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.ADDRESS, ValueLayout.ADDRESS,
                        ValueLayout.ADDRESS, ValueLayout.JAVA_INT);
                FunctionDescriptor batch = FunctionDescriptor.ofVoid(ValueLayout.ADDRESS, ValueLayout.JAVA_LONG,
                        ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.ADDRESS,
                        ValueLayout.ADDRESS, ValueLayout.ADDRESS, ValueLayout.JAVA_LONG, ValueLayout.JAVA_INT);
                // critical: short calls (a tile call covers one depth panel) that read the activations' and write
                // the outputs' heap arrays in place
                Linker.Option critical = Linker.Option.critical(true);
                FunctionDescriptor f16 = FunctionDescriptor.ofVoid(ValueLayout.ADDRESS, ValueLayout.JAVA_LONG,
                        ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.ADDRESS, ValueLayout.JAVA_INT);
                FunctionDescriptor quantize = FunctionDescriptor.ofVoid(ValueLayout.ADDRESS, ValueLayout.JAVA_INT,
                        ValueLayout.ADDRESS, ValueLayout.ADDRESS, ValueLayout.ADDRESS);
                FunctionDescriptor tile = FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT,
                        ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_LONG,
                        ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_INT,
                        ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.ADDRESS);
                FunctionDescriptor unpack = FunctionDescriptor.ofVoid(ValueLayout.ADDRESS, ValueLayout.JAVA_LONG,
                        ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.ADDRESS,
                        ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG);
                for (Isa isa : new Isa[] {Isa.AVX2, Isa.VNNI}) {
                    for (Unpacked u : Unpacked.values()) {
                        UNPACK[isa.ordinal()][u.ordinal()] = linker.downcallHandle(lib.findOrThrow("llama3j_unpack_"
                                + u.symbol + "_" + isa.name().toLowerCase(Locale.ROOT)), unpack, critical);
                    }
                    TILES[isa.ordinal()] = linker.downcallHandle(
                            lib.findOrThrow("llama3j_tile_" + isa.name().toLowerCase(Locale.ROOT)), tile, critical);
                    QUANTIZE[isa.ordinal()] = linker.downcallHandle(
                            lib.findOrThrow("llama3j_quantize_" + isa.name().toLowerCase(Locale.ROOT)), quantize,
                            critical);
                    F16_KERNELS[isa.ordinal()] = linker.downcallHandle(
                            lib.findOrThrow("llama3j_f16_" + isa.name().toLowerCase(Locale.ROOT)), f16, critical);
                    BF16_KERNELS[isa.ordinal()] = linker.downcallHandle(
                            lib.findOrThrow("llama3j_bf16_" + isa.name().toLowerCase(Locale.ROOT)), f16, critical);
                    for (Kernel k : Kernel.values()) {
                        String name = "llama3j_" + k.symbol + "_" + isa.name().toLowerCase(Locale.ROOT);
                        KERNELS[isa.ordinal()][k.ordinal()] = linker.downcallHandle(lib.findOrThrow(name), matvec,
                                critical);
                        BATCH_KERNELS[isa.ordinal()][k.ordinal()] = linker.downcallHandle(
                                lib.findOrThrow("llama3j_" + k.symbol + "_n_" + isa.name().toLowerCase(Locale.ROOT)),
                                batch, critical);
                    }
                }
                boolean avx2 = (features & 1) != 0;
                boolean vnni = (features & 2) != 0;
                if (setting.equals("avx2")) {
                    active = avx2 ? Isa.AVX2 : Isa.NONE;
                } else {
                    active = vnni ? Isa.VNNI : avx2 ? Isa.AVX2 : Isa.NONE;
                }
                if (active == Isa.NONE) {
                    why = "this CPU lacks AVX2 and FMA";
                }
            } catch (Throwable e) {
                why = "not loaded (" + e.getMessage() + ")";
                active = Isa.NONE;
            }
        }
        ACTIVE = active;
        WHY_NOT = why;
        FEATURES = features;
    }

    private NativeKernels() {}

    /** The kernels in use: {@link Isa#NONE} when the Java kernels run alone. */
    public static Isa active() {
        return ACTIVE;
    }

    /** Why no native kernel runs, or null when one does. */
    public static String unavailableReason() {
        return WHY_NOT;
    }

    /** Whether {@code isa}'s kernels can run on this CPU (for tests that compare the variants). */
    public static boolean runs(Isa isa) {
        return isa != Isa.NONE && KERNELS[isa.ordinal()][0] != null
                && (FEATURES & (isa == Isa.AVX2 ? 1 : 2)) != 0;
    }

    /** The active kernel for rows of {@code cols} weights of ggml type {@code ggmlId}, or null for none. */
    public static Kernel forType(int ggmlId, int cols) {
        Kernel k = switch (ggmlId) {
            case 2 -> Kernel.Q4_0;
            case 12 -> Kernel.Q4_K;
            case 14 -> Kernel.Q6_K;
            case 8 -> Kernel.Q8_0;
            default -> null;
        };
        return ACTIVE == Isa.NONE || cols > MAX_COLS ? null : k;
    }

    /**
     * {@code out[outOff + r] = sum_j w(r, j) * x[j]} for the {@code rows} rows of {@code rowBytes} bytes at
     * {@code w} (the file's blocks), with the active instruction set.
     */
    public static void matvec(Kernel kernel, MemorySegment w, long rowBytes, int cols, Int8Activations x,
                              float[] out, int outOff, int rows) {
        matvec(ACTIVE, kernel, w, rowBytes, cols, x, out, outOff, rows);
    }

    /** {@link #matvec} with the kernels of {@code isa}, which must {@link #runs run} here. */
    public static void matvec(Isa isa, Kernel kernel, MemorySegment w, long rowBytes, int cols, Int8Activations x,
                              float[] out, int outOff, int rows) {
        if (rows == 0) {
            return;
        }
        // the C code trusts its arguments: a wrong one would read out of bounds, not throw
        if (!kernel.fits(cols, rowBytes) || x.bytes.length < cols || w.byteSize() < rows * rowBytes || outOff < 0
                || rows < 0 || out.length < outOff + rows) {
            throw new IllegalArgumentException("native " + kernel + " product of " + rows + " rows of " + cols
                    + " weights does not fit its arguments");
        }
        x.requireBytes();
        MethodHandle handle = KERNELS[isa.ordinal()][kernel.ordinal()];
        try {
            handle.invokeExact(w, rowBytes, cols, MemorySegment.ofArray(x.bytes), MemorySegment.ofArray(x.d),
                    MemorySegment.ofArray(x.scaledSums), MemorySegment.ofArray(out).asSlice(4L * outOff, 4L * rows),
                    rows);
        } catch (Throwable e) {
            throw new IllegalStateException("native kernel " + kernel + " failed", e);
        }
    }

    /**
     * {@code out[outOff + t * outStride + r] = sum_j w(r, j) * x_t[j]} for every vector t of {@code x} and the
     * {@code rows} rows at {@code w}: each output the bits {@link #matvec} gives for that vector alone, the weights
     * unpacked once for several vectors.
     */
    public static void matmul(Kernel kernel, MemorySegment w, long rowBytes, Int8Batch x, float[] out, int outOff,
                              int outStride, int rows) {
        matmul(ACTIVE, kernel, w, rowBytes, x, out, outOff, outStride, rows);
    }

    /** {@link #matmul} with the kernels of {@code isa}, which must {@link #runs run} here. */
    public static void matmul(Isa isa, Kernel kernel, MemorySegment w, long rowBytes, Int8Batch x, float[] out,
                              int outOff, int outStride, int rows) {
        int n = x.count();
        int cols = x.cols();
        if (rows == 0 || n == 0) {
            return;
        }
        // the C code trusts its arguments: a wrong one would read or write out of bounds, not throw
        if (!kernel.fits(cols, rowBytes) || (long) n * cols > x.quants.length
                || (long) n * (cols / 32) > x.scales.length || (long) n * (cols / 32) > x.scaledSums.length
                || w.byteSize() < rows * rowBytes || rows < 0 || outStride < rows || outOff < 0
                || (long) outOff + (long) (n - 1) * outStride + rows > out.length) {
            throw new IllegalArgumentException("native " + kernel + " product of " + rows + " rows of " + cols
                    + " weights and " + n + " vectors does not fit its arguments");
        }
        MethodHandle handle = BATCH_KERNELS[isa.ordinal()][kernel.ordinal()];
        try {
            handle.invokeExact(w, rowBytes, cols, n, MemorySegment.ofArray(x.quants), MemorySegment.ofArray(x.scales),
                    MemorySegment.ofArray(x.scaledSums), MemorySegment.ofArray(out).asSlice(4L * outOff),
                    (long) outStride, rows);
        } catch (Throwable e) {
            throw new IllegalStateException("native kernel " + kernel + " failed", e);
        }
    }

    /**
     * Quantizes {@code blocks} blocks of 32 floats of {@code x} from {@code xOff} to int8 as {@link Int8Activations}
     * does, bit for bit (a NaN scale's payload aside): quants into {@code quants[qOff ..]}, block scales and scaled sums into {@code scales} and
     * {@code scaledSums} from {@code bOff}; with the kernels of {@code isa}, which must {@link #runs run} here.
     */
    public static void quantize(Isa isa, float[] x, int xOff, int blocks, byte[] quants, int qOff, float[] scales,
                                float[] scaledSums, int bOff) {
        long n = 32L * blocks;
        if (!runs(isa) || blocks < 0 || xOff < 0 || qOff < 0 || bOff < 0 || x.length - xOff < n
                || quants.length - qOff < n || scales.length - bOff < blocks || scaledSums.length - bOff < blocks) {
            throw new IllegalArgumentException("native quantization of " + blocks
                    + " blocks does not fit its arguments (or " + isa + " does not run here)");
        }
        if (blocks == 0) {
            return;
        }
        try {
            QUANTIZE[isa.ordinal()].invokeExact(MemorySegment.ofArray(x).asSlice(4L * xOff), blocks,
                    MemorySegment.ofArray(quants).asSlice(qOff), MemorySegment.ofArray(scales).asSlice(4L * bOff),
                    MemorySegment.ofArray(scaledSums).asSlice(4L * bOff));
        } catch (Throwable e) {
            throw new IllegalStateException("native quantization failed", e);
        }
    }

    /**
     * The variant whose float products (the F16 product, the tiles) give the Java kernels' bits at {@code lanes}
     * float lanes (the Java vectors' width): VNNI for 16, AVX2 for 8, when it runs here and the active kernels
     * allow it; else {@link Isa#NONE}.
     */
    public static Isa floatFor(int lanes) {
        if (lanes == 16 && ACTIVE == Isa.VNNI) {
            return Isa.VNNI;
        }
        return lanes == 8 && ACTIVE != Isa.NONE ? Isa.AVX2 : Isa.NONE;
    }

    /**
     * {@code out[outOff + r] = sum_j w(r, j) * x[xOff + j]} for the {@code rows} F16 rows of {@code cols} weights
     * at {@code w}, {@code rowBytes} apart, with float32 activations, in the lane order of {@link F16Kernel} at
     * {@code isa}'s width ({@link #floatFor}), which must {@link #runs run} here.
     */
    public static void f16Matvec(Isa isa, MemorySegment w, long rowBytes, int cols, float[] x, int xOff,
                                 float[] out, int outOff, int rows) {
        halfMatvec(F16_KERNELS, "F16", isa, w, rowBytes, cols, x, xOff, out, outOff, rows);
    }

    /** {@link #f16Matvec} of BF16 rows, in the lane order of {@link BF16Kernel} at {@code isa}'s width. */
    public static void bf16Matvec(Isa isa, MemorySegment w, long rowBytes, int cols, float[] x, int xOff,
                                  float[] out, int outOff, int rows) {
        halfMatvec(BF16_KERNELS, "BF16", isa, w, rowBytes, cols, x, xOff, out, outOff, rows);
    }

    private static void halfMatvec(MethodHandle[] kernels, String type, Isa isa, MemorySegment w, long rowBytes,
                                   int cols, float[] x, int xOff, float[] out, int outOff, int rows) {
        if (rows == 0) {
            return;
        }
        // the C code trusts its arguments: a wrong one would read or write out of bounds, not throw
        if (!runs(isa) || cols <= 0 || rowBytes < 2L * cols || rows < 0 || w.byteSize() < 2L * cols
                || (rows > 1 && rowBytes > (w.byteSize() - 2L * cols) / (rows - 1))
                || xOff < 0 || x.length - xOff < cols || outOff < 0 || out.length - outOff < rows) {
            throw new IllegalArgumentException("native " + type + " product of " + rows + " rows of " + cols
                    + " weights does not fit its arguments (or " + isa + " does not run here)");
        }
        try {
            kernels[isa.ordinal()].invokeExact(w, rowBytes, cols, MemorySegment.ofArray(x).asSlice(4L * xOff),
                    MemorySegment.ofArray(out).asSlice(4L * outOff, 4L * rows), rows);
        } catch (Throwable e) {
            throw new IllegalStateException("native " + type + " kernel failed", e);
        }
    }

    /**
     * The first {@code n} weights of type {@code type} (whole blocks) of each of {@code rows} rows {@code rowBytes}
     * apart at {@code w} as float32, exactly, into {@code dst} in slices of {@code depth} floats, slice s of row r at
     * {@code dstOff + r * rowStride + s * sliceStride} (the last one shorter where {@code depth} does not divide
     * {@code n}): the floats of the Java kernels' {@code unpackFloats}, a NaN's payload aside; with the kernels of
     * {@code isa}, which must {@link #runs run} here. One call for many rows: each call acquires {@code w}'s
     * session, which threads share.
     */
    public static void unpack(Isa isa, Unpacked type, MemorySegment w, long rowBytes, int rows, int n, int depth,
                              float[] dst, int dstOff, int rowStride, int sliceStride) {
        if (n == 0 || rows == 0) {
            return;
        }
        long slices = (n + (long) depth - 1) / Math.max(depth, 1);
        long bytes = (long) n / type.blockWeights * type.blockBytes;
        // the C code trusts its arguments: a wrong one would read or write out of bounds, not throw
        if (!runs(isa) || n < 0 || rows < 0 || depth <= 0 || depth % 32 != 0 || n % type.blockWeights != 0
                || rowBytes < bytes || w.byteSize() < bytes
                || (rows > 1 && rowBytes > (w.byteSize() - bytes) / (rows - 1)) || dstOff < 0 || rowStride < 0
                || sliceStride < 0 || dstOff + (rows - 1L) * rowStride + (slices - 1) * sliceStride
                        + Math.min(depth, n - (slices - 1) * depth) > dst.length) {
            throw new IllegalArgumentException("native unpacking of " + rows + " rows of " + n + " " + type
                    + " weights in slices of " + depth + " does not fit its arguments (or " + isa
                    + " does not run here)");
        }
        try {
            UNPACK[isa.ordinal()][type.ordinal()].invokeExact(w, rowBytes, rows, n, depth,
                    MemorySegment.ofArray(dst).asSlice(4L * dstOff), (long) rowStride, (long) sliceStride);
        } catch (Throwable e) {
            throw new IllegalStateException("native unpacking failed", e);
        }
    }

    /** {@link #unpack} with the active kernels: false, with nothing written, where none runs here. */
    public static boolean unpack(Unpacked type, MemorySegment w, long rowBytes, int rows, int n, int depth,
                                 float[] dst, int dstOff, int rowStride, int sliceStride) {
        if (ACTIVE == Isa.NONE) {
            return false;
        }
        unpack(ACTIVE, type, w, rowBytes, rows, n, depth, dst, dstOff, rowStride, sliceStride);
        return true;
    }

    /**
     * The multiply-adds of one depth panel of a {@link TileMatmul} row block at {@code isa}'s width
     * ({@link #floatFor}): for columns [k0, k0 + DEPTH) of {@code cols}, every group of {@code groups} and tile of
     * {@code tiles}, the sums of that tile and group grow by the panel's products, as the Java tile computes them;
     * with {@code narrowLast} the last group only for its first vector of tokens. Layouts: {@link TileMatmul}'s
     * ({@code panel} floats per depth panel of {@code weights}). A panel per call keeps each critical call short.
     */
    public static void tile(Isa isa, float[] weights, int panel, int cols, int k0, float[] acts, int groups,
                            int tiles, boolean narrowLast, float[] sums) {
        int rows = TileMatmul.ROWS;
        int tokens = TileMatmul.TOKENS;
        int depth = TileMatmul.DEPTH;
        // the C code trusts its arguments: a wrong one would read or write out of bounds, not throw
        if (!runs(isa) || cols <= 0 || k0 < 0 || k0 >= cols || k0 % depth != 0 || groups <= 0 || tiles <= 0
                || (long) tiles * rows * depth > panel || (long) (k0 / depth + 1) * panel > weights.length
                || (long) groups * cols * tokens > acts.length || (long) tiles * groups * rows * tokens > sums.length) {
            throw new IllegalArgumentException("native tile product of " + tiles + " tiles, " + groups + " groups, "
                    + "columns " + k0 + ".. of " + cols + " does not fit its arguments (or " + isa
                    + " does not run here)");
        }
        int status;
        try {
            status = (int) TILES[isa.ordinal()].invokeExact(rows, tokens, depth, MemorySegment.ofArray(weights),
                    (long) panel, cols, k0, MemorySegment.ofArray(acts), groups, tiles, narrowLast ? 1 : 0,
                    MemorySegment.ofArray(sums));
        } catch (Throwable e) {
            throw new IllegalStateException("native tile kernel failed", e);
        }
        if (status != 0) {
            throw new IllegalStateException("the native " + isa + " tile has another layout than TileMatmul's ("
                    + rows + " rows, " + tokens + " tokens, " + depth + " columns)");
        }
    }

    /** The library: the class-path file itself when not in a jar, else a copy in a temporary file. */
    private static Path libraryPath() throws IOException, URISyntaxException {
        if (!System.getProperty("os.name", "").toLowerCase(Locale.ROOT).contains("linux")
                || !System.getProperty("os.arch", "").matches("amd64|x86_64")) {
            throw new IOException("built for x86-64 Linux only");
        }
        URL url = NativeKernels.class.getResource(RESOURCE);
        if (url == null) {
            throw new IOException("not built: no C compiler when the project was built");
        }
        if (url.getProtocol().equals("file")) {
            return Path.of(url.toURI());
        }
        Path copy = Files.createTempFile("llama3j-", ".so");
        copy.toFile().deleteOnExit();
        try (InputStream in = url.openStream()) {
            Files.copy(in, copy, StandardCopyOption.REPLACE_EXISTING);
        }
        return copy;
    }
}
