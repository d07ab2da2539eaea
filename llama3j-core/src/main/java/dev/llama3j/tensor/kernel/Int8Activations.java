package dev.llama3j.tensor.kernel;

import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

import static dev.llama3j.tensor.kernel.QuantBits.F8;
import static dev.llama3j.tensor.kernel.QuantBits.I8;

/**
 * An activation vector quantized the way ggml quantizes activations for its integer dot products: blocks of 32,
 * {@code d = max|x| / 127}, {@code q = round(x / d)} in [-127, 127]. The quants are kept widened to 16 bits: the
 * Vector API has no byte multiply-add (x86 {@code vpmaddubsw}), so the kernels multiply 16-bit lanes, where a product
 * of a weight quant and an activation quant, and the sum of two such products, always fit.
 *
 * <p>This trades exactness for speed: each activation carries a relative error up to 1/254 of its block's largest
 * magnitude, so logits drift by about 1e-2 relative from the float32 path, beyond the quantized fixtures' 1e-3
 * tolerance. A model chooses it at load ({@code tensor.Numerics}); the exact numerics keep float32 activations.
 *
 * <p>An instance is a per-thread buffer ({@link #quantize}), valid until the next quantize on the same thread;
 * other threads may read it meanwhile (one quantization serves every thread of a product).
 */
public final class Int8Activations {
    /** Activation quants, in element order. */
    short[] q = new short[0];
    /**
     * Per block of 32: the scale d; then room for a float vector more, which the Q4_K product's scale loads read
     * (and leave unused) past the last block.
     */
    float[] d = new float[0];
    /** Per block of 32: {@code d * sum(q)}, the scaled activation sum that a K-quant sub-block's min multiplies. */
    float[] scaledSums = new float[0];
    /**
     * The quants in {@link Q4_0Repacked}'s nibble order: 4 runs of n/4, where run k holds at {@code 8b + i} the
     * quant that 16-bit lane i of block b meets at nibble position k: element 2i, 2i+16, 2i+1, 2i+17 of the block.
     */
    short[] nibbleLanes = new short[0];
    /**
     * Per pair of those lanes (4 per block): 8 times the sum of the 8 quants the pair's products take, what Q4_0's
     * {@code -8} takes from the pair's integer sum.
     */
    int[] nibbleOffsets = new int[0];
    /** Per pair of those lanes: the block's scale d. */
    float[] laneScales = new float[0];
    /**
     * The quants in {@link Q4KRepacked}'s nibble order: 4 runs of n/4, where run k holds at {@code 16g + i} the
     * quant that 16-bit lane i of group g (64 elements) meets at nibble position k: element 2i, 2i+32, 2i+1, 2i+33.
     */
    short[] kLanes = new short[0];
    /**
     * The quants in {@link Q6KRepacked}'s order: 4 runs of n/4, where run k holds at {@code 4s + i} element
     * {@code 16s + i + 4k} (sub-block s of 16, 16-bit lane i). A pair of these lanes, like a pair of
     * {@link #nibbleLanes}, lies in one block: its scale is the same {@link #laneScales} entry.
     */
    short[] quadLanes = new short[0];

    /** The quants as bytes, what the {@link NativeKernels} read; filled only where those run. */
    byte[] bytes = new byte[0];
    /** Whether {@link #bytes} holds this vector's quants. */
    private volatile boolean bytesFilled;
    /**
     * Whether the Java kernels' lane arrays hold this vector: filled with the quants unless the native kernels
     * run, then on the first Java product that needs them ({@link #requireLanes}).
     */
    private volatile boolean lanesFilled;
    private int length;

    /** Fill the native kernels' arrays along with the rest: only where those kernels run. */
    private static final boolean FILL_BYTES = NativeKernels.active() != NativeKernels.Isa.NONE;
    private static final VectorSpecies<Byte> B8 = ByteVector.SPECIES_64;

    /** 8 shorts: one int vector ({@link QuantBits#I8}) narrowed. */
    private static final VectorSpecies<Short> S8 = ShortVector.SPECIES_128;

    private static final ThreadLocal<Int8Activations> BUFFER = ThreadLocal.withInitial(Int8Activations::new);

    Int8Activations() {}

    private static final ThreadLocal<Int8Activations[]> EACH = ThreadLocal.withInitial(() -> new Int8Activations[0]);

    /**
     * The {@code count} vectors of length {@code n} that lie one after another in {@code x}, each quantized into a
     * buffer of this thread's own (not the one {@link #quantize} fills); n is a multiple of 32.
     */
    public static Int8Activations[] quantizeEach(float[] x, int count, int n) {
        Int8Activations[] a = EACH.get();
        if (a.length < count) {
            Int8Activations[] grown = java.util.Arrays.copyOf(a, count);
            for (int i = a.length; i < count; i++) {
                grown[i] = new Int8Activations();
            }
            EACH.set(grown);
            a = grown;
        }
        for (int t = 0; t < count; t++) {
            a[t].fill(x, t * n, n);
        }
        return a;
    }

    /** {@code x[xOff .. xOff + n)} quantized into this thread's buffer; n is a multiple of 32. */
    public static Int8Activations quantize(float[] x, int xOff, int n) {
        Int8Activations a = BUFFER.get();
        a.fill(x, xOff, n);
        return a;
    }

    /** Activation quant {@code i}. */
    public int quant(int i) {
        return q[i];
    }

    /** Scale of block {@code b} (elements 32b .. 32b+31). */
    public float scale(int b) {
        return d[b];
    }

    /**
     * Makes sure the lane arrays of the Java kernels hold this vector; any thread of a product may ask first, so
     * the filling is synchronized.
     */
    void requireLanes() {
        if (!lanesFilled) {
            fillLanesOnce();
        }
    }

    private synchronized void fillLanesOnce() {
        if (!lanesFilled) {
            for (int b = 0; b < length / 32; b++) {
                fillLanes(b, length / 4);
            }
            lanesFilled = true;
        }
    }

    private void fillLanes(int b, int quarter) {
        fillNibbleLanes(b, quarter);
        fillKLanes(b, quarter);
        fillQuadLanes(b, quarter);
    }

    /** Makes sure {@link #bytes} holds this vector's quants (filled from them, once, where skipped). */
    void requireBytes() {
        if (!bytesFilled) {
            fillBytesOnce();
        }
    }

    private synchronized void fillBytesOnce() {
        if (!bytesFilled) {
            for (int i = 0; i < length; i++) {
                bytes[i] = (byte) q[i];
            }
            bytesFilled = true;
        }
    }

    /** Adjacent pairs of 16-bit lanes summed into 8 int lanes, for any 16-bit lanes: both halves sign-extended, then added (4 ops). */
    static IntVector pairSums(ShortVector lanes) {
        IntVector p = lanes.reinterpretAsInts();
        return p.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 16)
                .add(p.lanewise(VectorOperators.ASHR, 16));
    }

    /**
     * One block of 32 per iteration in vector code: the scalar loops (max, divide, round, sums) cost as much as a
     * quarter of the Q4_0 dot itself, and a decode step quantizes once per matrix and chunk (~1100 times a token).
     */
    void fill(float[] x, int xOff, int n) {
        if (q.length < n) {
            q = new short[n];
            d = new float[n / 32 + 16];
            scaledSums = new float[n / 32];
            nibbleLanes = new short[n];
            nibbleOffsets = new int[n / 8];
            laneScales = new float[n / 8];
            kLanes = new short[n];
            quadLanes = new short[n];
            bytes = new byte[n];
        }
        length = n;
        bytesFilled = FILL_BYTES;
        lanesFilled = !FILL_BYTES;
        FloatVector half = FloatVector.broadcast(F8, 0.5f);
        IntVector one = IntVector.broadcast(I8, 1);
        IntVector most = IntVector.broadcast(I8, 127);
        for (int b = 0; b < n / 32; b++) {
            int base = xOff + 32 * b;
            FloatVector x0 = FloatVector.fromArray(F8, x, base);
            FloatVector x1 = FloatVector.fromArray(F8, x, base + 8);
            FloatVector x2 = FloatVector.fromArray(F8, x, base + 16);
            FloatVector x3 = FloatVector.fromArray(F8, x, base + 24);
            float max = x0.abs().max(x1.abs()).max(x2.abs().max(x3.abs())).reduceLanes(VectorOperators.MAX);
            float scale = max / 127f;
            float inverse = scale == 0f ? 0f : 1f / scale;
            d[b] = scale;
            IntVector q0 = quantize8(x0, inverse, half, one, most);
            IntVector q1 = quantize8(x1, inverse, half, one, most);
            IntVector q2 = quantize8(x2, inverse, half, one, most);
            IntVector q3 = quantize8(x3, inverse, half, one, most);
            int at = 32 * b;
            q0.convertShape(VectorOperators.I2S, S8, 0).reinterpretAsShorts().intoArray(q, at);
            q1.convertShape(VectorOperators.I2S, S8, 0).reinterpretAsShorts().intoArray(q, at + 8);
            q2.convertShape(VectorOperators.I2S, S8, 0).reinterpretAsShorts().intoArray(q, at + 16);
            q3.convertShape(VectorOperators.I2S, S8, 0).reinterpretAsShorts().intoArray(q, at + 24);
            scaledSums[b] = scale * q0.add(q1).add(q2.add(q3)).reduceLanes(VectorOperators.ADD);
            if (FILL_BYTES) {
                q0.convertShape(VectorOperators.I2B, B8, 0).reinterpretAsBytes().intoArray(bytes, at);
                q1.convertShape(VectorOperators.I2B, B8, 0).reinterpretAsBytes().intoArray(bytes, at + 8);
                q2.convertShape(VectorOperators.I2B, B8, 0).reinterpretAsBytes().intoArray(bytes, at + 16);
                q3.convertShape(VectorOperators.I2B, B8, 0).reinterpretAsBytes().intoArray(bytes, at + 24);
            }
            if (!FILL_BYTES) {
                fillLanes(b, n / 4);
            }
        }
    }

    /** Block b of {@link #quadLanes}, from its quants. */
    private void fillQuadLanes(int b, int quarter) {
        for (int s = 2 * b; s < 2 * b + 2; s++) {
            for (int k = 0; k < 4; k++) {
                for (int i = 0; i < 4; i++) {
                    quadLanes[k * quarter + 4 * s + i] = q[16 * s + i + 4 * k];
                }
            }
        }
    }

    /** Block b of {@link #kLanes}: an even block is positions 0 and 2 of its group's lanes, an odd one 1 and 3. */
    private void fillKLanes(int b, int quarter) {
        int at = 32 * b;
        int lane = 16 * (b / 2) + (b % 2) * quarter;
        for (int i = 0; i < 16; i++) {
            kLanes[lane + i] = q[at + 2 * i];
            kLanes[2 * quarter + lane + i] = q[at + 2 * i + 1];
        }
    }

    /** Block b of {@link #nibbleLanes}, {@link #nibbleOffsets} and {@link #laneScales}, from its quants. */
    private void fillNibbleLanes(int b, int quarter) {
        int at = 32 * b;
        for (int i = 0; i < 8; i++) {
            int lane = 8 * b + i;
            nibbleLanes[lane] = q[at + 2 * i];
            nibbleLanes[quarter + lane] = q[at + 2 * i + 16];
            nibbleLanes[2 * quarter + lane] = q[at + 2 * i + 1];
            nibbleLanes[3 * quarter + lane] = q[at + 2 * i + 17];
        }
        for (int m = 0; m < 4; m++) {
            int sum = 0;
            for (int j = 0; j < 4; j++) {
                sum += q[at + 4 * m + j] + q[at + 16 + 4 * m + j];
            }
            nibbleOffsets[4 * b + m] = 8 * sum;
            laneScales[4 * b + m] = d[b];
        }
    }

    /**
     * round(|v| * inverse) with halves away from zero, like ggml's roundf, capped at 127 (|v| * inverse <= 127 up to
     * rounding), with v's sign. Exact: the fraction {@code a - trunc(a)} of a float below 2^23 is itself a float, so
     * comparing it with 0.5 rounds exactly where {@link Math#round} would (adding 0.5 first would not: 0.49999997f
     * + 0.5f is 1.0f).
     */
    private static IntVector quantize8(FloatVector v, float inverse, FloatVector half, IntVector one, IntVector most) {
        FloatVector a = v.abs().mul(inverse);
        IntVector t = (IntVector) a.convert(VectorOperators.F2I, 0);
        FloatVector fraction = a.sub((FloatVector) t.convert(VectorOperators.I2F, 0));
        t = t.add(one, fraction.compare(VectorOperators.GE, half).cast(I8)).min(most);
        return t.lanewise(VectorOperators.NEG, v.compare(VectorOperators.LT, 0f).cast(I8));
    }
}
