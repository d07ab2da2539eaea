package dev.llama3j.format.gguf;

import dev.llama3j.LlamaException;
import dev.llama3j.model.LayerWeights;
import dev.llama3j.model.LlamaWeights;
import dev.llama3j.model.ModelConfig;
import dev.llama3j.model.ModelSplit;
import dev.llama3j.model.RankGroup;
import dev.llama3j.model.RankSlicer;
import dev.llama3j.tensor.Matrix;
import dev.llama3j.tensor.Numerics;
import dev.llama3j.tensor.Tensor;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Builds {@link LlamaWeights} from a GGUF file of architecture {@code llama} (llama.cpp's names). GGUF
 * stores q/k rows in Meta's interleaved-pair order, so matrices are used as they are; Llama 3.1 frequency
 * scaling comes as the {@code rope_freqs.weight} divisors rather than as metadata.
 */
public final class GgufModelLoader {
    /** llama.cpp's default when {@code llama.rope.freq_base} is absent */
    private static final float DEFAULT_ROPE_THETA = 10000f;

    private GgufModelLoader() {}

    /** Opens {@code path} and loads it with float32 activations; the returned weights own (and close) the file. */
    public static LlamaWeights load(Path path) {
        return load(path, Numerics.EXACT);
    }

    /** Opens {@code path} and loads it; the returned weights own (and close) the file. */
    public static LlamaWeights load(Path path, Numerics numerics) {
        return load(path, numerics, null);
    }

    /** Opens {@code path} and loads it, or with a {@code group} this rank's part of it ({@link ModelSplit}). */
    public static LlamaWeights load(Path path, Numerics numerics, RankGroup group) {
        GgufFile file = GgufFile.open(path);
        try {
            return load(file, numerics, group);
        } catch (RuntimeException e) {
            file.close();
            throw e;
        }
    }

    /** The model in {@code file} with float32 activations; the returned weights own the file and close it. */
    public static LlamaWeights load(GgufFile file) {
        return load(file, Numerics.EXACT);
    }

    /**
     * The model in {@code file}; the returned weights own the file and close it. With {@link Numerics#INT8} the
     * layers' matrices of the types that have an int8 product take it ({@link Matrix#takesInt8}); the embedding and
     * output matrices keep float32 activations.
     */
    public static LlamaWeights load(GgufFile file, Numerics numerics) {
        return load(file, numerics, null);
    }

    /** {@link #load(GgufFile, Numerics)}, or with a {@code group} this rank's part of the model. */
    public static LlamaWeights load(GgufFile file, Numerics numerics, RankGroup group) {
        GgufMetadata meta = file.metadata();
        String arch = meta.getString("general.architecture");
        if (!arch.equals("llama")) {
            throw new LlamaException(file.source() + ": general.architecture is \"" + arch
                    + "\", expected \"llama\" (only Llama models are supported)");
        }
        if (meta.getInt("llama.expert_count", 0) > 0) {
            throw new LlamaException(file.source() + ": llama.expert_count = " + meta.getInt("llama.expert_count")
                    + ": mixture-of-experts models are not supported");
        }
        ModelConfig config = config(file);
        // each layer has 9 tensors: a hostile block_count fails here, before anything is sized by it
        if (config.nLayers() > file.tensorCount() / 9) {
            throw new LlamaException(file.source() + ": llama.block_count = " + config.nLayers() + " but the file has only "
                    + file.tensorCount() + " tensors (9 per layer)");
        }
        ModelSplit split = group == null ? null
                : ModelSplit.onBlocks(group, config, largestBlock(file, config, "attn_output.weight"),
                        largestBlock(file, config, "ffn_down.weight"));
        Parts cut = new Parts(file, split == null ? null : new RankSlicer(split), numerics);
        int dim = config.dim();
        int kvDim = config.kvDim();
        int ffn = config.ffnDim();

        // the vocabulary matrices keep float32 activations unless a native kernel reads them in place: the first
        // token's logits would otherwise wait for the output matrix's int8 copy (figures: docs/performance.md)
        String outputName = file.hasTensor("output.weight") ? "output.weight" : "token_embd.weight";
        Matrix output = cut.vocab(outputName, config.vocabSize(), dim).asVocabularyMatrix(numerics);
        Matrix embeddings = file.hasTensor("output.weight")
                ? cut.vocab("token_embd.weight", config.vocabSize(), dim).asMatrix(Numerics.EXACT)
                : output;   // tied embeddings
        float[] norm = vector(file, "output_norm.weight", dim);

        List<LayerWeights> layers = new ArrayList<>(config.nLayers());
        for (int i = 0; i < config.nLayers(); i++) {
            String p = "blk." + i + ".";
            layers.add(new LayerWeights(
                    vector(file, p + "attn_norm.weight", dim),
                    cut.queryRows(p + "attn_q.weight", dim, dim),
                    cut.kvRows(p + "attn_k.weight", kvDim, dim),
                    cut.kvRows(p + "attn_v.weight", kvDim, dim),
                    cut.queryColumns(p + "attn_output.weight", dim, dim),
                    vector(file, p + "ffn_norm.weight", dim),
                    cut.ffnRows(p + "ffn_gate.weight", ffn, dim),
                    cut.ffnColumns(p + "ffn_down.weight", dim, ffn),
                    cut.ffnRows(p + "ffn_up.weight", ffn, dim)));
        }
        float[] ropeFreqDivisors = file.hasTensor("rope_freqs.weight")
                ? vector(file, "rope_freqs.weight", config.headDim() / 2)
                : null;
        return new LlamaWeights(config, embeddings, List.copyOf(layers), norm, output, ropeFreqDivisors, file, split);
    }

    /** The largest quantization block of a layer matrix over the layers (1 for float types). */
    private static int largestBlock(GgufFile file, ModelConfig config, String name) {
        int block = 1;
        for (int l = 0; l < config.nLayers(); l++) {
            String tensor = "blk." + l + "." + name;
            if (file.hasTensor(tensor)) {
                block = Math.max(block, file.tensor(tensor).type().blockSize);
            }
        }
        return block;
    }

    /** The file's matrices, whole or cut for one rank ({@code slicer}). */
    private record Parts(GgufFile file, RankSlicer slicer, Numerics numerics) {
        Tensor vocab(String name, int rows, int cols) {
            Tensor t = checked(file, name, rows, cols);
            return slicer == null ? t : slicer.vocabRows(List.of(t));
        }

        Matrix queryRows(String name, int rows, int cols) {
            Tensor t = checked(file, name, rows, cols);
            return (slicer == null ? t : slicer.queryRows(List.of(t))).asMatrix(numerics);
        }

        Matrix kvRows(String name, int rows, int cols) {
            Tensor t = checked(file, name, rows, cols);
            return (slicer == null ? t : slicer.kvRows(List.of(t))).asMatrix(numerics);
        }

        Matrix ffnRows(String name, int rows, int cols) {
            Tensor t = checked(file, name, rows, cols);
            return (slicer == null ? t : slicer.ffnRows(List.of(t))).asMatrix(numerics);
        }

        Matrix queryColumns(String name, int rows, int cols) {
            Tensor t = checked(file, name, rows, cols);
            return slicer == null ? t.asMatrix(numerics) : slicer.queryColumns(List.of(t), numerics);
        }

        Matrix ffnColumns(String name, int rows, int cols) {
            Tensor t = checked(file, name, rows, cols);
            return slicer == null ? t.asMatrix(numerics) : slicer.ffnColumns(List.of(t), numerics);
        }
    }

    private static ModelConfig config(GgufFile file) {
        GgufMetadata meta = file.metadata();
        int dim = meta.getInt("llama.embedding_length");
        int nHeads = meta.getInt("llama.attention.head_count");
        int vocab = meta.has("llama.vocab_size")
                ? meta.getInt("llama.vocab_size")
                : file.tensor("token_embd.weight").dim(0);
        ModelConfig config = new ModelConfig(
                dim,
                meta.getInt("llama.block_count"),
                nHeads,
                meta.getInt("llama.attention.head_count_kv", nHeads),
                vocab,
                meta.getInt("llama.feed_forward_length"),
                meta.getFloat("llama.attention.layer_norm_rms_epsilon"),
                meta.getFloat("llama.rope.freq_base", DEFAULT_ROPE_THETA),
                null,
                meta.getInt("llama.context_length"));
        int rotary = meta.getInt("llama.rope.dimension_count", config.headDim());
        if (rotary != config.headDim()) {
            throw new LlamaException(file.source() + ": llama.rope.dimension_count = " + rotary
                    + ", expected the head dimension " + config.headDim() + " (partial rotary is not supported)");
        }
        return config;
    }

    private static float[] vector(GgufFile file, String name, int length) {
        return checked(file, name, length).toFloats();
    }

    private static Tensor checked(GgufFile file, String name, long... expected) {
        Tensor t = file.tensor(name);
        if (!Arrays.equals(t.shape(), expected)) {
            throw new LlamaException(file.source() + ": tensor " + name + " has shape " + t.shapeString()
                    + ", expected " + Arrays.toString(expected) + " from the llama.* metadata");
        }
        return t;
    }
}
