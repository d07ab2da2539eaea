package dev.llama3j.generate;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.llama3j.SharedData;
import dev.llama3j.conformance.Npy;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

class SamplerTest {

    /** Every nucleus case of every reference: the kept set equals Meta's sample_top_p set (sha256 of sorted ids). */
    @Test
    void nucleusSetsMatchMetaSampleTopP() throws Exception {
        Path refs = SharedData.require("fixtures/refs");
        ObjectMapper json = new ObjectMapper();
        int cases = 0;
        try (var files = Files.list(refs)) {
            for (Path f : files.filter(p -> p.toString().endsWith(".json")).sorted().toList()) {
                JsonNode ref = json.readTree(f.toFile());
                for (JsonNode n : ref.get("nucleus")) {
                    float[] logits = lastLogits(ref, n.get("logits_from").get("ref_forward").asText(), refs);
                    Sampler.Nucleus nuc = Sampler.nucleus(logits, 0, logits.length,
                            Float.parseFloat(n.get("temperature").asText()), Float.parseFloat(n.get("top_p").asText()));
                    int[] ids = nuc.keptIds();
                    Arrays.sort(ids);
                    String what = f.getFileName() + " " + n.get("name").asText();
                    if (n.get("boundary_margin").asDouble() > 1e-5) {
                        assertThat(ids.length).as(what).isEqualTo(n.get("size").asInt());
                        assertThat(sha256(ids)).as(what).isEqualTo(n.get("sha256_sorted_ids").asText());
                    }
                    cases++;
                }
            }
        }
        assertThat(cases).isGreaterThan(50);
    }

    private static float[] lastLogits(JsonNode ref, String name, Path refs) throws IOException {
        for (JsonNode f : ref.get("forward")) {
            if (f.get("name").asText().equals(name)) {
                return Npy.readFloats(refs.resolve(f.get("last_logits_npy").asText()));
            }
        }
        throw new AssertionError("no forward " + name);
    }

    private static String sha256(int[] ids) throws Exception {
        String s = Arrays.stream(ids).mapToObj(Integer::toString).collect(Collectors.joining(","));
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.US_ASCII)));
    }

    @Test
    void greedyTakesTheFirstMaximumLikeTorchArgmax() {
        float[] logits = {0.5f, 2f, -1f, 2f};
        assertThat(new Sampler(1).sample(logits, 0, 4, 0f, 0.9f)).isEqualTo(1);
    }

    @Test
    void nucleusKeepsTokensWhoseExclusiveCumulativeProbabilityIsWithinTopP() {
        // probabilities 0.5, 0.3, 0.2 (logits are their logs, T = 1): exclusive sums 0, 0.5, 0.8.
        float[] logits = {(float) Math.log(0.2), (float) Math.log(0.5), (float) Math.log(0.3)};
        assertThat(Sampler.nucleus(logits, 0, 3, 1f, 0.4f).keptIds()).containsExactly(1);
        assertThat(Sampler.nucleus(logits, 0, 3, 1f, 0.6f).keptIds()).containsExactly(1, 2);
        assertThat(Sampler.nucleus(logits, 0, 3, 1f, 0.9f).keptIds()).containsExactly(1, 2, 0);
    }

    @Test
    void sameSeedSameTokensAndDrawsFollowTheRenormalizedNucleus() {
        float[] logits = {(float) Math.log(0.2), (float) Math.log(0.5), (float) Math.log(0.3)};
        Sampler a = new Sampler(42);
        Sampler b = new Sampler(42);
        int[] counts = new int[3];
        for (int i = 0; i < 20000; i++) {
            int t = a.sample(logits, 0, 3, 1f, 0.6f);
            assertThat(b.sample(logits, 0, 3, 1f, 0.6f)).isEqualTo(t);
            counts[t]++;
        }
        assertThat(counts[0]).isZero(); // outside the nucleus
        assertThat(counts[1] / 20000.0).isCloseTo(0.5 / 0.8, within(0.02));
        assertThat(counts[2] / 20000.0).isCloseTo(0.3 / 0.8, within(0.02));
    }

    @Test
    void logProbIsLogSoftmaxAtTheTarget() {
        float[] logits = {1f, 2f, 3f};
        double z = Math.log(Math.exp(1) + Math.exp(2) + Math.exp(3));
        assertThat((double) Sampler.logProb(logits, 0, 3, 0)).isCloseTo(1 - z, within(1e-6));
    }
}
