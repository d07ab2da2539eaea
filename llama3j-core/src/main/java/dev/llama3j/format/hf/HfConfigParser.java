package dev.llama3j.format.hf;

import dev.llama3j.LlamaException;
import dev.llama3j.model.ModelConfig;
import dev.llama3j.model.RopeScaling;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * Reads config.json ({@code LlamaForCausalLM}) and the optional generation_config.json. Fields that
 * transformers' {@code LlamaConfig} gives a default get the same default here, so a directory loads the
 * same way in both.
 */
final class HfConfigParser {
    static final String CONFIG = "config.json";
    static final String GENERATION_CONFIG = "generation_config.json";

    private HfConfigParser() {}

    static HfModelInfo read(Path dir) {
        JsonConfigFile cfg = JsonConfigFile.read(dir.resolve(CONFIG));
        checkArchitecture(cfg);
        ModelConfig config = modelConfig(cfg);
        boolean tied = cfg.bool("tie_word_embeddings", false);

        Integer bos = cfg.tokenId("bos_token_id");
        List<Integer> eos = cfg.tokenIds("eos_token_id");
        Float temperature = null;
        Float topP = null;
        Path genFile = dir.resolve(GENERATION_CONFIG);
        if (Files.exists(genFile)) {
            JsonConfigFile gen = JsonConfigFile.read(genFile);
            if (gen.has("bos_token_id")) {
                bos = gen.tokenId("bos_token_id");
            }
            if (gen.has("eos_token_id")) {
                eos = gen.tokenIds("eos_token_id");
            }
            temperature = gen.nonNegativeFloat("temperature");
            topP = gen.nonNegativeFloat("top_p");
            if (topP != null && topP > 1) {
                throw gen.error("top_p", "is " + topP + ", expected a number in [0, 1]");
            }
        }
        return new HfModelInfo(config, tied, bos, eos, temperature, topP);
    }

    private static void checkArchitecture(JsonConfigFile cfg) {
        String modelType = cfg.string("model_type");
        List<String> architectures = cfg.strings("architectures");
        if (modelType != null && !modelType.equals("llama")) {
            throw cfg.error("model_type", "is \"" + JsonConfigFile.shown(modelType) + "\", expected \"llama\"");
        }
        if (!architectures.isEmpty() && !architectures.contains("LlamaForCausalLM")) {
            throw cfg.error("architectures", "is " + JsonConfigFile.shown(architectures.toString())
                    + ", expected [LlamaForCausalLM]");
        }
        if (modelType == null && architectures.isEmpty()) {
            throw new LlamaException(cfg.file() + ": neither model_type nor architectures is set (expected a"
                    + " Llama model: model_type \"llama\")");
        }
        String act = cfg.string("hidden_act");
        if (act != null && !act.equals("silu")) {
            throw cfg.error("hidden_act", "is \"" + JsonConfigFile.shown(act) + "\", expected \"silu\"");
        }
        for (String bias : List.of("attention_bias", "mlp_bias")) {
            if (cfg.bool(bias, false)) {
                throw cfg.error(bias, "is true; Llama 3 has no bias terms and llama3j does not read them");
            }
        }
    }

    private static ModelConfig modelConfig(JsonConfigFile cfg) {
        int dim = cfg.positiveInt("hidden_size");
        int layers = cfg.positiveInt("num_hidden_layers");
        int heads = cfg.positiveInt("num_attention_heads");
        int kvHeads = cfg.positiveInt("num_key_value_heads", heads);
        int ffn = cfg.positiveInt("intermediate_size");
        int vocab = cfg.positiveInt("vocab_size");
        float eps = cfg.positiveFloat("rms_norm_eps", 1e-6f);
        float theta = cfg.positiveFloat("rope_theta", 10000f);
        int context = cfg.positiveInt("max_position_embeddings", 2048);
        if (dim % heads != 0) {
            throw cfg.error("num_attention_heads", "is " + heads + ", which does not divide hidden_size " + dim);
        }
        if (cfg.has("head_dim") && cfg.positiveInt("head_dim") != dim / heads) {
            throw cfg.error("head_dim", "is " + cfg.positiveInt("head_dim") + ", but llama3j needs hidden_size / "
                    + "num_attention_heads = " + dim / heads);
        }
        if (heads % kvHeads != 0) {
            throw cfg.error("num_key_value_heads", "is " + kvHeads + ", which does not divide num_attention_heads "
                    + heads);
        }
        if ((dim / heads) % 2 != 0) {
            throw cfg.error("num_attention_heads", "gives an odd head dimension " + dim / heads
                    + " (RoPE needs it even)");
        }
        RopeScaling scaling = ropeScaling(cfg);
        try {
            return new ModelConfig(dim, layers, heads, kvHeads, vocab, ffn, eps, theta, scaling, context);
        } catch (LlamaException e) {
            throw new LlamaException(cfg.file() + ": " + e.getMessage());
        }
    }

    /** {@code rope_scaling}: null/absent or type "default" mean none; "llama3" is Llama 3.1's scaling. */
    private static RopeScaling ropeScaling(JsonConfigFile cfg) {
        JsonConfigFile rs = cfg.object("rope_scaling");
        if (rs == null) {
            return null;
        }
        // transformers renamed "type" to "rope_type"; files carry either.
        String field = rs.has("rope_type") ? "rope_type" : "type";
        String type = rs.string(field);
        if (type == null) {
            throw rs.error("rope_type", "is missing (expected \"llama3\")");
        }
        if (type.equals("default")) {
            return null;
        }
        if (!type.equals("llama3")) {
            throw rs.error(field, "is \"" + JsonConfigFile.shown(type)
                    + "\"; llama3j supports only \"llama3\" RoPE scaling");
        }
        float factor = rs.positiveFloat("factor");
        float low = rs.positiveFloat("low_freq_factor");
        float high = rs.positiveFloat("high_freq_factor");
        int original = rs.positiveInt("original_max_position_embeddings");
        if (factor < 1) {
            throw rs.error("factor", "is " + factor + ", expected >= 1");
        }
        if (high <= low) {
            throw rs.error("high_freq_factor", "is " + high + ", expected more than low_freq_factor " + low);
        }
        return new RopeScaling(factor, low, high, original);
    }
}
