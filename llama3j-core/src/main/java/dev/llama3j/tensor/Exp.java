package dev.llama3j.tensor;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * {@code exp(x)} in float32 from lanewise adds, multiplies, FMAs and bit moves: the same bits in a vector lane and in
 * {@link #scalar}, compiled by C2 or not (the Vector API's own EXP gives other last bits in its Java fallback than in
 * its intrinsic). Within 2 ulps of {@link Math#exp}; below about -104 it is 0, above about 88.72 infinity, NaN stays
 * NaN.
 *
 * <p>The usual reduction: {@code x = n ln2 + r} with n the nearest integer to {@code x / ln2} and
 * {@code |r| <= ln2 / 2}; {@code exp(r)} is Cephes' degree-7 minimax polynomial (1 + r + r^2 p(r)), and
 * {@code 2^n} comes from the exponent bits in two factors, so that every n in [-150, 128] is two normal floats and
 * the result underflows and overflows as a float product does.
 */
public final class Exp {
    private Exp() {}

    private static final float LOG2E = 1.44269504088896341f;
    /** 1.5 * 2^23: adding it rounds a float of magnitude below 2^22 to an integer, in the low mantissa bits */
    private static final float ROUND = 0x1.8p23f;
    private static final int ROUND_BITS = Float.floatToRawIntBits(ROUND);
    /** ln2 in two parts: the first has 9 significant bits, so n * LN2_HI is exact for |n| <= 2^15 */
    private static final float LN2_HI = 0.693359375f;
    private static final float LN2_LO = -2.12194440e-4f;
    private static final float LOW = -104f;
    private static final float HIGH = 89f;
    private static final float P0 = 1.9875691500e-4f;
    private static final float P1 = 1.3981999507e-3f;
    private static final float P2 = 8.3334519073e-3f;
    private static final float P3 = 4.1665795894e-2f;
    private static final float P4 = 1.6666665459e-1f;
    private static final float P5 = 5.0000001201e-1f;

    /** {@code exp} of every lane. */
    public static FloatVector vector(FloatVector x) {
        FloatVector c = x.max(LOW).min(HIGH);
        FloatVector t = c.fma(LOG2E, ROUND);
        FloatVector n = t.sub(ROUND);
        VectorSpecies<Float> f = x.species();
        FloatVector r = n.fma(FloatVector.broadcast(f, -LN2_HI), c);
        r = n.fma(FloatVector.broadcast(f, -LN2_LO), r);
        FloatVector p = r.fma(P0, P1);
        p = p.fma(r, FloatVector.broadcast(f, P2));
        p = p.fma(r, FloatVector.broadcast(f, P3));
        p = p.fma(r, FloatVector.broadcast(f, P4));
        p = p.fma(r, FloatVector.broadcast(f, P5));
        FloatVector e = p.fma(r.mul(r), r).add(1f);
        IntVector k = t.reinterpretAsInts().sub(ROUND_BITS);
        IntVector k1 = k.lanewise(VectorOperators.ASHR, 1);
        IntVector k2 = k.sub(k1);
        FloatVector s1 = k1.add(127).lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats();
        FloatVector s2 = k2.add(127).lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats();
        FloatVector y = e.mul(s1).mul(s2);
        VectorMask<Float> under = x.compare(VectorOperators.LT, LOW);
        return y.blend(0f, under);
    }

    /** {@code exp(x)}, the bits of {@link #vector}'s lanes. */
    public static float scalar(float x) {
        float c = Math.min(Math.max(x, LOW), HIGH);
        float t = Math.fma(c, LOG2E, ROUND);
        float n = t - ROUND;
        float r = Math.fma(n, -LN2_HI, c);
        r = Math.fma(n, -LN2_LO, r);
        float p = Math.fma(r, P0, P1);
        p = Math.fma(p, r, P2);
        p = Math.fma(p, r, P3);
        p = Math.fma(p, r, P4);
        p = Math.fma(p, r, P5);
        float e = Math.fma(p, r * r, r) + 1f;
        int k = Float.floatToRawIntBits(t) - ROUND_BITS;
        int k1 = k >> 1;
        int k2 = k - k1;
        float y = e * Float.intBitsToFloat((k1 + 127) << 23) * Float.intBitsToFloat((k2 + 127) << 23);
        return x < LOW ? 0f : y;
    }
}
