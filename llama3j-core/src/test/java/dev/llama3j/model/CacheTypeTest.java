package dev.llama3j.model;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.llama3j.LlamaException;
import dev.llama3j.SharedData;
import dev.llama3j.conformance.Npy;
import dev.llama3j.format.ModelFiles;
import dev.llama3j.tensor.Numerics;
import dev.llama3j.tensor.RandomWeights;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The KV cache's element types: each stores and reads back what ggml's type holds (checked against the formulas
 * written out here), and a model with f16 keys and values stays within compare.py's quantized tolerance of Meta's
 * reference logits (q8_0 within 2% of their largest), with the same greedy tokens where the reference's margin is
 * clear.
 */
class CacheTypeTest {

    @ParameterizedTest
    @EnumSource(CacheType.class)
    void storedValuesReadBackAsTheTypeHoldsThem(CacheType type) {
        Random rnd = new Random(5);
        int n = 128;
        float[] x = RandomWeights.gaussian(n, rnd);
        x[3] = 0f;
        x[40] = 1e-6f;
        MemorySegment seg = Arena.ofAuto().allocate(type.bytes(n) + 16);
        type.store(x, 0, n, seg, 16, new byte[(int) type.bytes(n)]);
        float[] back = new float[n];
        type.load(seg, 16, n, back);
        for (int i = 0; i < n; i++) {
            assertThat(back[i]).as("%s element %d", type, i).isEqualTo(expected(type, x, i));
        }
    }

    /** What ggml's type keeps of x[i]: itself, its nearest half, or q8_0's round(x * (1 / d)) * d, d = amax / 127. */
    private static float expected(CacheType type, float[] x, int i) {
        return switch (type) {
            case F32 -> x[i];
            case F16 -> Float.float16ToFloat(Float.floatToFloat16(x[i]));
            case Q8_0 -> {
                int b = i / 32 * 32;
                float amax = 0;
                for (int j = b; j < b + 32; j++) {
                    amax = Math.max(amax, Math.abs(x[j]));
                }
                float d = amax / 127;
                float id = d != 0 ? 1 / d : 0;
                float q = Math.round(Math.abs(x[i] * id)) * Math.signum(x[i]);
                yield Float.float16ToFloat(Float.floatToFloat16(d)) * q;
            }
        };
    }

    @Test
    void namesAreLlamaCppsAndAnUnknownOneIsRefusedInOneLine() {
        assertThat(CacheType.parse("--cache-type-k", "q8_0")).isEqualTo(CacheType.Q8_0);
        assertThat(CacheType.parse("--cache-type-v", "F16")).isEqualTo(CacheType.F16);
        assertThatThrownBy(() -> CacheType.parse("--cache-type-k", "q4_0")).isInstanceOf(LlamaException.class)
                .hasMessage("--cache-type-k: unknown cache type 'q4_0', expected one of f32, f16, q8_0");
    }

    @Test
    void aQ8CacheNeedsWholeBlocksPerHead() throws IOException {
        try (LlamaWeights w = ModelFiles.loadWeights(SharedData.require("fixtures/meta/tiny-sv-meta"))) {
            assertThatThrownBy(() -> new Transformer(w, 1, 16, 16, CacheType.Q8_0, CacheType.F32))
                    .isInstanceOf(LlamaException.class)
                    .hasMessage("a q8_0 KV cache needs a head size that is a multiple of 32; this model's heads"
                            + " have 16");
        }
    }

    @ParameterizedTest
    @EnumSource(CacheType.class)
    void logitsStayWithinTheQuantizedToleranceOfMetasReference(CacheType type) throws IOException {
        Path fixtures = SharedData.require("fixtures");
        JsonNode ref = new ObjectMapper().readTree(fixtures.resolve("refs/pub-k-q4_k_m.json").toFile());
        try (LlamaWeights w = ModelFiles.loadWeights(fixtures.resolve("gguf/tiny-k-gguf-q4_k_m.gguf"),
                Numerics.EXACT)) {
            Transformer model = new Transformer(w, 1, 128, 128, type, type);
            for (JsonNode f : ref.get("forward")) {
                int[] tokens = new ObjectMapper().convertValue(f.get("tokens"), int[].class);
                float[] want = Npy.readFloats(fixtures.resolve("refs").resolve(f.get("last_logits_npy").asText()));
                float[] got;
                try (Sequence s = model.newSequence()) {
                    // the prompt but its last token in one step, that token alone: both attention paths
                    int[] head = java.util.Arrays.copyOf(tokens, tokens.length - 1);
                    if (head.length > 0) {
                        model.forward(List.of(new Transformer.Entry(s, head)));
                    }
                    got = model.forward(List.of(new Transformer.Entry(s, new int[] {tokens[tokens.length - 1]})))[0];
                }
                double maxRef = 0, err = 0;
                int argmax = 0;
                for (int i = 0; i < want.length; i++) {
                    maxRef = Math.max(maxRef, Math.abs(want[i]));
                    err = Math.max(err, Math.abs(got[i] - want[i]));
                    argmax = got[i] > got[argmax] ? i : argmax;
                }
                // f32: compare.py's float class; f16: its quantized class; q8_0: rtol 2e-2, room for a value's own
                // 8-bit rounding when one position takes all the weight (figures: docs/performance.md)
                double tolerance = switch (type) {
                    case F32 -> 1e-5 + 1e-4 * maxRef;
                    case F16 -> 1e-4 + 1e-3 * maxRef;
                    case Q8_0 -> 1e-4 + 2e-2 * maxRef;
                };
                assertThat(err).as("%s cache, %s: max |engine - ref|", type, f.get("name").asText())
                        .isLessThanOrEqualTo(tolerance);
                if (f.get("last_margin").asDouble() > 2 * tolerance) {
                    assertThat(argmax).as("%s cache, %s: greedy token", type, f.get("name").asText())
                            .isEqualTo(f.get("last_argmax").asInt());
                }
            }
        }
    }

    /**
     * A sequence that grows step by step (its cache moved to larger memory twice) and a fork of it give the same
     * logits, bit for bit, as one that had all its room from the start: moving and copying keep every head's
     * positions.
     */
    @ParameterizedTest
    @EnumSource(CacheType.class)
    void growingAndForkingKeepTheCache(CacheType type) {
        try (LlamaWeights w = ModelFiles.loadWeights(SharedData.require("fixtures/gguf/tiny-k-gguf-q4_k_m.gguf"),
                Numerics.EXACT)) {
            Transformer model = new Transformer(w, 1, 256, 1024, type, type);
            Random rnd = new Random(9);
            int[] tokens = rnd.ints(150, 0, 512).toArray();
            try (Sequence roomy = model.newSequence(); Sequence growing = model.newSequence()) {
                roomy.reserve(256);
                Sequence fork = null;
                for (int i = 0; i < tokens.length; i++) {
                    int[] t = {tokens[i]};
                    float[] want = model.forward(List.of(new Transformer.Entry(roomy, t)))[0].clone();
                    assertThat(model.forward(List.of(new Transformer.Entry(growing, t)))[0])
                            .as("%s cache, position %d", type, i).containsExactly(want);
                    if (fork != null) {
                        assertThat(model.forward(List.of(new Transformer.Entry(fork, t)))[0])
                                .as("%s cache, fork at position %d", type, i).containsExactly(want);
                    }
                    if (i == 100) {
                        fork = growing.fork();
                    }
                }
                fork.close();
            }
            assertThat(model.cache().reserved()).isZero();
        }
    }
}
