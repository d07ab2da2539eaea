package dev.llama3j.tensor;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/** {@link Exp} against {@link Math#exp} (in double, rounded once), and its lanes against its scalar form. */
class ExpTest {
    private static final float[] SPECIAL = {Float.NaN, Float.NEGATIVE_INFINITY, Float.POSITIVE_INFINITY, 0f, -0f,
            -1e-30f, 1e-30f, -104f, -103.99f, -103.3f, -87.34f, -87.3f, -20f, -1f, 1f, 20f, 88.5f, 88.72f, 88.73f, 89f,
            90f, 1000f, -1000f, Float.MAX_VALUE, -Float.MAX_VALUE, Float.MIN_VALUE};

    @Test
    void withinTwoUlpsOfMathExpOverTheWholeRange() {
        Random rnd = new Random(5);
        for (int i = 0; i < 200_000; i++) {
            float x = -110f + 200f * rnd.nextFloat();
            assertCloseToMathExp(x);
        }
        for (float x : SPECIAL) {
            assertCloseToMathExp(x);
        }
    }

    private static void assertCloseToMathExp(float x) {
        float got = Exp.scalar(x);
        double e = Math.exp(x);
        float rounded = (float) e;
        if (Float.isNaN(x)) {
            assertThat(got).isNaN();
        } else if (x < -104f) {
            assertThat(got).as("exp(%s)", x).isZero();
        } else if (Float.isInfinite(rounded)) {
            assertThat(got).as("exp(%s)", x).isEqualTo(Float.POSITIVE_INFINITY);
        } else {
            // below 2^-126 the spacing of floats is fixed: 2 of them
            assertThat((double) got).as("exp(%s)", x).isCloseTo(e, within(2.0 * Math.ulp(rounded)));
        }
    }

    @Test
    void exactWhereExpIsExact() {
        assertThat(Exp.scalar(0f)).isEqualTo(1f);
        assertThat(Exp.scalar(-0f)).isEqualTo(1f);
        assertThat(Exp.scalar(Float.NEGATIVE_INFINITY)).isZero();
        assertThat(Exp.scalar(Float.POSITIVE_INFINITY)).isEqualTo(Float.POSITIVE_INFINITY);
        assertThat(Exp.scalar(Float.NaN)).isNaN();
    }

    /** Every lane of every width gives the scalar bits, whatever its position: no lane has its own rounding. */
    @Test
    void lanesOfEveryWidthGiveTheScalarBits() {
        Random rnd = new Random(6);
        float[] x = new float[4096 + SPECIAL.length];
        for (int i = 0; i < 4096; i++) {
            x[i] = -110f + 200f * rnd.nextFloat();
        }
        System.arraycopy(SPECIAL, 0, x, 4096, SPECIAL.length);
        for (VectorSpecies<Float> f : List.of(FloatVector.SPECIES_128, FloatVector.SPECIES_256,
                FloatVector.SPECIES_512)) {
            float[] y = new float[x.length];
            int i = 0;
            for (; i + f.length() <= x.length; i += f.length()) {
                Exp.vector(FloatVector.fromArray(f, x, i)).intoArray(y, i);
            }
            for (int j = 0; j < i; j++) {
                assertThat(Float.floatToRawIntBits(y[j])).as("%s lane %d, exp(%s)", f, j % f.length(), x[j])
                        .isEqualTo(Float.floatToRawIntBits(Exp.scalar(x[j])));
            }
        }
    }
}
