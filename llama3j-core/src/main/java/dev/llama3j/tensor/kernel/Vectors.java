package dev.llama3j.tensor.kernel;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * Vector species shared by the kernels: floats at the machine's preferred width (or the width that the system property
 * {@value #WIDTH_PROPERTY} names: 128, 256 or 512 bits, to test every width on any machine), 16-bit halves to match;
 * and the lane sum that every kernel reduces with.
 */
public final class Vectors {
    private Vectors() {}

    /** System property that forces the float width, in bits. */
    public static final String WIDTH_PROPERTY = "llama3j.vector.bits";

    public static final VectorSpecies<Float> F = floatSpecies(System.getProperty(WIDTH_PROPERTY));
    public static final VectorSpecies<Integer> I = VectorSpecies.of(int.class, F.vectorShape());
    /** as many 16-bit lanes as {@link #F} has float lanes */
    public static final VectorSpecies<Short> S =
            VectorSpecies.of(short.class, VectorShape.forBitSize(F.vectorBitSize() / 2));
    public static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;

    public static final ValueLayout.OfFloat FLOAT_LE = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(LE);
    public static final ValueLayout.OfShort SHORT_LE = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(LE);

    /** The preferred float species, or the one of {@code bits} (128, 256 or 512) when given. */
    static VectorSpecies<Float> floatSpecies(String bits) {
        if (bits == null || bits.isBlank()) {
            return FloatVector.SPECIES_PREFERRED;
        }
        return switch (bits.strip()) {
            case "128" -> FloatVector.SPECIES_128;
            case "256" -> FloatVector.SPECIES_256;
            case "512" -> FloatVector.SPECIES_512;
            default -> throw new IllegalArgumentException(
                    "-D" + WIDTH_PROPERTY + " must be 128, 256 or 512, got '" + bits + "'");
        };
    }

    // lane i takes lane i + k (mod the length): the steps of sum()'s tree, one set per width
    private static final VectorShuffle<Float> R16_8 = rotation(FloatVector.SPECIES_512, 8);
    private static final VectorShuffle<Float> R16_4 = rotation(FloatVector.SPECIES_512, 4);
    private static final VectorShuffle<Float> R16_2 = rotation(FloatVector.SPECIES_512, 2);
    private static final VectorShuffle<Float> R16_1 = rotation(FloatVector.SPECIES_512, 1);
    private static final VectorShuffle<Float> R8_4 = rotation(FloatVector.SPECIES_256, 4);
    private static final VectorShuffle<Float> R8_2 = rotation(FloatVector.SPECIES_256, 2);
    private static final VectorShuffle<Float> R8_1 = rotation(FloatVector.SPECIES_256, 1);
    private static final VectorShuffle<Float> R4_2 = rotation(FloatVector.SPECIES_128, 2);
    private static final VectorShuffle<Float> R4_1 = rotation(FloatVector.SPECIES_128, 1);

    private static VectorShuffle<Float> rotation(VectorSpecies<Float> species, int k) {
        return VectorShuffle.iota(species, k, 1, true);
    }

    /**
     * The sum of the lanes in one fixed order, a pairwise tree: lane i plus lane i + n/2, then the same on the first
     * half, down to lane 0. Not {@code reduceLanes(ADD)}, whose order is unspecified: its Java fallback (before C2
     * compiles the caller) adds left to right and the x86 intrinsic in a tree, so its bits depended on JIT state.
     * Lane moves and lanewise adds give the same bits compiled or not. (MAX and integer sums keep reduceLanes: their
     * result does not depend on the order.)
     *
     * <p>This method and the ones it calls stay under C2's size limit for inlining at a call site that is not hot
     * (35 bytes of bytecode): a kernel calls it once per row, outside its loop, and a call that is not inlined boxes
     * the vector.
     */
    public static float sum(FloatVector v) {
        if (v.length() == 16) {
            return sum16(v);
        }
        if (v.length() == 8) {
            return sum8(v);
        }
        return sumNarrow(v);
    }

    /**
     * {@link #sum} of a 256-bit vector, for the kernels whose species is fixed at 256 bits: {@link #sum} dispatches
     * on the vector's width, and a call site that sees two widths (those kernels and the {@link #F} ones on a
     * 512-bit machine) fills the shared profile with both, after which C2 recompiled the kernels it had compiled
     * for one of them slower (a 512-bit F32 product run first made the Q4_0 integer product 4x slower).
     */
    public static float sum8(FloatVector v) {
        return fold(fold(fold(v, R8_4), R8_2), R8_1).lane(0);
    }

    private static float sum16(FloatVector v) {
        return fold(fold(fold(fold(v, R16_8), R16_4), R16_2), R16_1).lane(0);
    }

    private static float sumNarrow(FloatVector v) {
        return v.length() == 4 ? fold(fold(v, R4_2), R4_1).lane(0) : sumInOrder(v);
    }

    /** Lane i plus lane i + k (mod the length), for the rotation by k. */
    private static FloatVector fold(FloatVector v, VectorShuffle<Float> rotation) {
        return v.add(v.rearrange(rotation));
    }

    /** Left to right, for widths that no x86 machine has. */
    private static float sumInOrder(FloatVector v) {
        float s = v.lane(0);
        for (int i = 1; i < v.length(); i++) {
            s += v.lane(i);
        }
        return s;
    }
}
