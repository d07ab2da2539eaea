package dev.llama3j.model;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.llama3j.SharedData;
import org.junit.jupiter.api.Test;

import java.io.IOException;

import static org.assertj.core.api.Assertions.assertThat;

class RopeTest {
    private static JsonNode rope(String ref) throws IOException {
        return new ObjectMapper().readTree(SharedData.require("fixtures/refs/" + ref + ".json").toFile()).get("rope");
    }

    private static float[] floats(JsonNode arr) {
        float[] f = new float[arr.size()];
        for (int i = 0; i < f.length; i++) {
            f[i] = Float.parseFloat(arr.get(i).asText());
        }
        return f;
    }

    @Test
    void baseFrequenciesMatchMetaBitForBit() throws IOException {
        for (String ref : new String[] {"pub-sv", "pub-rv", "pub-k-q4_k_m"}) {
            JsonNode r = rope(ref);
            float[] expected = floats(r.get("freqs_unscaled"));
            assertThat(Rope.baseFrequencies(r.get("head_dim").asInt(), (float) r.get("theta").asDouble()))
                    .as(ref).containsExactly(expected);
        }
    }

    @Test
    void llama31ScalingMatchesLlamaModelsApplyScaling() throws IOException {
        JsonNode r = rope("pub-sv31");
        float[] base = floats(r.get("freqs_unscaled"));
        assertThat(Rope.scale(base, RopeScaling.LLAMA_3_1)).containsExactly(floats(r.get("freqs_scaled")));
    }

    @Test
    void rotatesAdjacentPairsByPositionTimesFrequency() {
        // head_dim 4, two frequencies 1 and 0.5: position 2 rotates pair 0 by 2 rad and pair 1 by 1 rad.
        Rope rope = new Rope(new float[] {1f, 0.5f}, 3);
        float[] v = {1, 0, 0, 1};
        rope.apply(v, 0, 1, 2);
        assertThat(v[0]).isEqualTo((float) Math.cos(2), org.assertj.core.data.Offset.offset(1e-7f));
        assertThat(v[1]).isEqualTo((float) Math.sin(2), org.assertj.core.data.Offset.offset(1e-7f));
        assertThat(v[2]).isEqualTo((float) -Math.sin(1), org.assertj.core.data.Offset.offset(1e-7f));
        assertThat(v[3]).isEqualTo((float) Math.cos(1), org.assertj.core.data.Offset.offset(1e-7f));
    }
}
