package dev.llama3j.format.pth;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.llama3j.LlamaException;
import dev.llama3j.model.ModelConfig;
import dev.llama3j.model.RopeScaling;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

/**
 * Meta's {@code params.json} (the fields of {@code ModelArgs}) as a {@link ModelConfig}. Fields Meta gives a
 * default are optional with that default (llama3 {@code ModelArgs}); unknown fields are ignored.
 */
public final class MetaParams {
    static final int LLAMA3_CONTEXT = 8192;
    static final int LLAMA31_CONTEXT = 131072;
    private static final int DEFAULT_MULTIPLE_OF = 256;
    private static final double DEFAULT_NORM_EPS = 1e-5;
    private static final double DEFAULT_ROPE_THETA = 500000;
    private static final long MAX_PARAMS_BYTES = 1 << 20;

    private MetaParams() {}

    public static ModelConfig read(Path file) {
        JsonNode root = parse(file);
        Fields f = new Fields(file, root);
        if (root.hasNonNull("quantization_args")) {
            throw new LlamaException(file + ": quantized Meta checkpoints (quantization_args) are not supported");
        }
        int dim = f.requiredInt("dim");
        int nHeads = f.requiredInt("n_heads");
        int nKvHeads = root.hasNonNull("n_kv_heads") ? f.requiredInt("n_kv_heads") : nHeads;
        int multipleOf = root.has("multiple_of") ? f.requiredInt("multiple_of") : DEFAULT_MULTIPLE_OF;
        Double multiplier = root.hasNonNull("ffn_dim_multiplier") ? f.positiveNumber("ffn_dim_multiplier") : null;
        boolean scaledRope = root.has("use_scaled_rope") && f.bool("use_scaled_rope");
        int nLayers = f.requiredInt("n_layers");
        int vocabSize = f.requiredInt("vocab_size");
        double normEps = root.has("norm_eps") ? f.positiveNumber("norm_eps") : DEFAULT_NORM_EPS;
        double ropeTheta = root.has("rope_theta") ? f.positiveNumber("rope_theta") : DEFAULT_ROPE_THETA;
        try {
            return new ModelConfig(dim, nLayers, nHeads, nKvHeads, vocabSize,
                    ModelConfig.metaFfnDim(dim, multipleOf, multiplier), (float) normEps, (float) ropeTheta,
                    scaledRope ? RopeScaling.LLAMA_3_1 : null, scaledRope ? LLAMA31_CONTEXT : LLAMA3_CONTEXT);
        } catch (LlamaException e) {
            // ModelConfig's checks name the field; add the file
            throw new LlamaException(file + ": " + e.getMessage(), e);
        }
    }

    private static JsonNode parse(Path file) {
        try {
            if (Files.size(file) > MAX_PARAMS_BYTES) {
                throw new LlamaException(file + ": " + Files.size(file) + " bytes is too large for params.json");
            }
            JsonNode root = new ObjectMapper().readTree(Files.readAllBytes(file));
            if (root == null || !root.isObject()) {
                throw new LlamaException(file + ": expected a JSON object");
            }
            return root;
        } catch (NoSuchFileException e) {
            throw new LlamaException(file + ": file not found (a Meta checkpoint folder needs params.json)");
        } catch (JsonProcessingException e) {
            throw new LlamaException(file + ": not valid JSON: " + e.getOriginalMessage());
        } catch (IOException e) {
            throw new LlamaException(file + ": cannot read: " + e.getMessage(), e);
        }
    }

    /** Typed field access with errors that name the file and the field. */
    private record Fields(Path file, JsonNode root) {
        int requiredInt(String name) {
            JsonNode n = root.get(name);
            if (n == null || n.isNull()) {
                throw new LlamaException(file + ": missing field '" + name + "'");
            }
            if (!n.isIntegralNumber() || !n.canConvertToInt() || n.intValue() <= 0) {
                throw new LlamaException(file + ": field '" + name + "' must be a positive integer, got " + n);
            }
            return n.intValue();
        }

        double positiveNumber(String name) {
            JsonNode n = root.get(name);
            if (n == null || !n.isNumber() || !(n.doubleValue() > 0) || !Double.isFinite(n.doubleValue())) {
                throw new LlamaException(file + ": field '" + name + "' must be a positive number, got " + n);
            }
            return n.doubleValue();
        }

        boolean bool(String name) {
            JsonNode n = root.get(name);
            if (n == null || !n.isBoolean()) {
                throw new LlamaException(file + ": field '" + name + "' must be true or false, got " + n);
            }
            return n.booleanValue();
        }
    }
}
