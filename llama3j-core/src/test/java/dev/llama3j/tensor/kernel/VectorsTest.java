package dev.llama3j.tensor.kernel;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class VectorsTest {

    /** The documented order, written out: {@code t[i] = t[i] + t[i + h]} for h = n/2, n/4, ..., 1; lane 0. */
    private static float pairwiseTree(float[] lanes) {
        float[] t = lanes.clone();
        for (int h = t.length / 2; h >= 1; h /= 2) {
            for (int i = 0; i < h; i++) {
                t[i] = t[i] + t[i + h];
            }
        }
        return t[0];
    }

    @Test
    void sumAddsInThePairwiseTreeOrderAtEveryWidth() {
        Random rnd = new Random(1);
        for (VectorSpecies<Float> f : List.of(FloatVector.SPECIES_128, FloatVector.SPECIES_256,
                FloatVector.SPECIES_512)) {
            for (int k = 0; k < 1000; k++) {
                float[] lanes = new float[f.length()];
                for (int i = 0; i < lanes.length; i++) {
                    // magnitudes far apart, so that another order gives other bits
                    lanes[i] = (float) (rnd.nextGaussian() * Math.pow(10, rnd.nextInt(9) - 4));
                }
                assertThat(Vectors.sum(FloatVector.fromArray(f, lanes, 0))).as("%s %d", f, k)
                        .isEqualTo(pairwiseTree(lanes));
            }
        }
    }

    @Test
    void widthPropertyNamesASpecies() {
        assertThat(Vectors.floatSpecies(null)).isEqualTo(FloatVector.SPECIES_PREFERRED);
        assertThat(Vectors.floatSpecies("256")).isEqualTo(FloatVector.SPECIES_256);
        assertThat(Vectors.floatSpecies("512")).isEqualTo(FloatVector.SPECIES_512);
        assertThat(Vectors.floatSpecies("128")).isEqualTo(FloatVector.SPECIES_128);
        assertThatThrownBy(() -> Vectors.floatSpecies("300")).hasMessage(
                "-Dllama3j.vector.bits must be 128, 256 or 512, got '300'");
    }
}
