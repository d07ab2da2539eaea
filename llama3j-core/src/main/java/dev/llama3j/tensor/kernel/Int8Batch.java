package dev.llama3j.tensor.kernel;

/**
 * Several activation vectors (a prompt's) quantized to int8 blocks, laid end to end as the native batch kernels
 * read them: vector t's quants at {@code t * cols}, its block scales and scaled sums at {@code t * cols / 32}. Each
 * vector holds the numbers {@link Int8Activations} gives it alone (quantized by it, or by
 * {@link NativeKernels#quantize}, which gives the same bits).
 * An instance is a per-thread buffer ({@link #forThread}); other threads may read it during a product.
 */
public final class Int8Batch {
    byte[] quants = new byte[0];
    float[] scales = new float[0];
    float[] scaledSums = new float[0];
    private int count;
    private int cols;

    private static final ThreadLocal<Int8Batch> BUFFER = ThreadLocal.withInitial(Int8Batch::new);
    /** The vector a quantizing thread fills before copying it in (not {@link Int8Activations#quantize}'s buffer). */
    private static final ThreadLocal<Int8Activations> ONE = ThreadLocal.withInitial(Int8Activations::new);

    private Int8Batch() {}

    /**
     * This thread's buffer, sized for {@code count} vectors of {@code cols} (a multiple of 32); fill it with
     * {@link #quantize} over every vector before a product reads it.
     */
    public static Int8Batch forThread(int count, int cols) {
        Int8Batch b = BUFFER.get();
        long quants = (long) count * cols;
        if (b.quants.length < quants) {
            b.quants = new byte[Math.toIntExact(quants)];
            b.scales = new float[(int) (quants / 32)];
            b.scaledSums = new float[(int) (quants / 32)];
        }
        b.count = count;
        b.cols = cols;
        return b;
    }

    /**
     * Quantizes vectors [from, to) of {@code x} (laid end to end, {@code cols} each); threads may split the range.
     * Where the native kernels run (they are the only readers), natively: the same numbers, without the Java
     * kernels' layouts and the copies.
     */
    public void quantize(float[] x, int from, int to) {
        NativeKernels.Isa isa = NativeKernels.active();
        if (isa != NativeKernels.Isa.NONE) {
            int blocks = cols / 32;
            NativeKernels.quantize(isa, x, from * cols, (to - from) * blocks, quants, from * cols, scales,
                    scaledSums, from * blocks);
            return;
        }
        Int8Activations a = ONE.get();
        for (int t = from; t < to; t++) {
            a.fill(x, t * cols, cols);
            a.requireBytes();
            System.arraycopy(a.bytes, 0, quants, t * cols, cols);
            System.arraycopy(a.d, 0, scales, t * (cols / 32), cols / 32);
            System.arraycopy(a.scaledSums, 0, scaledSums, t * (cols / 32), cols / 32);
        }
    }

    /** Vectors held. */
    public int count() {
        return count;
    }

    /** Elements per vector. */
    public int cols() {
        return cols;
    }
}
