package dev.llama3j.tensor;

import org.junit.jupiter.api.Test;

import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

class VectorMathTest {

    @Test
    void vectorExpStaysWithinTwoUlpsOfMathExp() {
        Random rnd = new Random(4);
        float[] x = RandomWeights.gaussian(1003, rnd);
        float[] gate = RandomWeights.gaussian(1003, rnd);
        float[] up = RandomWeights.gaussian(1003, rnd);
        float[] exp = x.clone();
        VectorMath.expShifted(exp, 0, 0.5f, exp.length);
        float[] silu = gate.clone();
        VectorMath.swiglu(silu, up, 0, silu.length);
        for (int i = 0; i < x.length; i++) {
            double e = Math.exp(x[i] - 0.5f);
            assertThat((double) exp[i]).as("exp at %d", i).isCloseTo(e, within(2.0 * Math.ulp((float) e)));
            double s = gate[i] / (1 + Math.exp(-gate[i])) * up[i];
            // exp's error, then a division and a product: a few float ulps of the result
            assertThat((double) silu[i]).as("swiglu at %d", i).isCloseTo(s, within(4.0 * Math.ulp((float) s)));
        }
    }
}
