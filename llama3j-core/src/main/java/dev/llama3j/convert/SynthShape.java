package dev.llama3j.convert;

import dev.llama3j.LlamaException;
import dev.llama3j.model.ModelConfig;
import dev.llama3j.model.RopeScaling;

import java.util.Arrays;
import java.util.stream.Collectors;

/**
 * Shapes of the released Llama 3 models (their Hugging Face config.json), for random-weight benchmark files.
 * Llama 3.1 scales RoPE with factor 8 for its 131,072 positions; 3.2 with factor 32, and ties the output projection
 * to the embeddings.
 */
public enum SynthShape {
    LLAMA_3_2_1B("llama-3.2-1b", 2048, 16, 32, 8, 8192, 128256, new RopeScaling(32f, 1f, 4f, 8192), 131072, true),
    LLAMA_3_2_3B("llama-3.2-3b", 3072, 28, 24, 8, 8192, 128256, new RopeScaling(32f, 1f, 4f, 8192), 131072, true),
    LLAMA_3_8B("llama-3-8b", 4096, 32, 32, 8, 14336, 128256, null, 8192, false),
    LLAMA_3_70B("llama-3-70b", 8192, 80, 64, 8, 28672, 128256, null, 8192, false),
    LLAMA_3_1_8B("llama-3.1-8b", 4096, 32, 32, 8, 14336, 128256, RopeScaling.LLAMA_3_1, 131072, false),
    /** a model small enough for tests */
    TINY("tiny", 64, 2, 4, 2, 224, 512, RopeScaling.LLAMA_3_1, 131072, false),
    /** as small, with Llama 3's whole vocabulary and 3.1's RoPE: for tests that need the real tokenizer */
    TINY_VOCAB("tiny-vocab", 64, 2, 4, 2, 224, 128256, RopeScaling.LLAMA_3_1, 131072, true);

    private static final float ROPE_THETA = 500000f;
    private static final float NORM_EPS = 1e-5f;

    public final String cliName;
    public final boolean tiedEmbeddings;
    private final ModelConfig config;

    SynthShape(String cliName, int dim, int layers, int heads, int kvHeads, int ffn, int vocab, RopeScaling rope,
               int context, boolean tied) {
        this.cliName = cliName;
        this.tiedEmbeddings = tied;
        this.config = new ModelConfig(dim, layers, heads, kvHeads, vocab, ffn, NORM_EPS, ROPE_THETA, rope, context);
    }

    public ModelConfig config() {
        return config;
    }

    public static SynthShape parse(String name) {
        for (SynthShape s : values()) {
            if (s.cliName.equalsIgnoreCase(name)) {
                return s;
            }
        }
        throw new LlamaException("unknown shape '" + name + "' (expected one of " + names() + ")");
    }

    /** Every shape's name. */
    public static String names() {
        return Arrays.stream(values()).map(s -> s.cliName).collect(Collectors.joining(", "));
    }
}
