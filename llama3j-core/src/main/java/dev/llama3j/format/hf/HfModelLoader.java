package dev.llama3j.format.hf;

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

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Loads a Hugging Face {@code LlamaForCausalLM} directory (config.json + safetensors) in place: matrices stay
 * in the mapped files, q_proj/k_proj are viewed in Meta's row order, norms are copied (they are small).
 */
public final class HfModelLoader {
    private static final String EMBEDDINGS = "model.embed_tokens.weight";
    private static final String NORM = "model.norm.weight";
    private static final String OUTPUT = "lm_head.weight";
    private static final Pattern LAYER = Pattern.compile("model\\.layers\\.(0|[1-9][0-9]{0,8})\\.(.+)");
    private static final Set<String> LAYER_TENSORS = Set.of(
            "input_layernorm.weight", "post_attention_layernorm.weight",
            "self_attn.q_proj.weight", "self_attn.k_proj.weight", "self_attn.v_proj.weight",
            "self_attn.o_proj.weight", "mlp.gate_proj.weight", "mlp.down_proj.weight", "mlp.up_proj.weight");
    /** A RoPE buffer older transformers versions saved with the weights; derived from config, so ignored. */
    private static final String INV_FREQ = "self_attn.rotary_emb.inv_freq";

    private final HfModelInfo info;
    private final ModelConfig config;
    private final HfCheckpoint checkpoint;
    /** this rank's part of a split model, or null for the whole */
    private final ModelSplit split;
    private final RankSlicer slicer;

    private HfModelLoader(HfModelInfo info, HfCheckpoint checkpoint, RankGroup group) {
        this.info = info;
        this.config = info.config();
        this.checkpoint = checkpoint;
        this.split = group == null ? null : new ModelSplit(group.rank(), group.ranks(), config, group);
        this.slicer = split == null ? null : new RankSlicer(split);
    }

    /** config.json and generation_config.json of {@code dir}, without touching the weights. */
    public static HfModelInfo readInfo(Path dir) {
        requireDirectory(dir);
        return HfConfigParser.read(dir);
    }

    /** The model in {@code dir}; closing the result unmaps its files. */
    public static LlamaWeights load(Path dir) {
        return load(dir, null);
    }

    /** The model in {@code dir}, or with a {@code group} this rank's part of it ({@link ModelSplit}). */
    public static LlamaWeights load(Path dir, RankGroup group) {
        HfModelInfo info = readInfo(dir);
        HfCheckpoint checkpoint = HfCheckpoint.open(dir);
        try {
            return new HfModelLoader(info, checkpoint, group).weights();
        } catch (RuntimeException e) {
            checkpoint.close();
            throw e;
        }
    }

    private static void requireDirectory(Path dir) {
        if (!Files.isDirectory(dir)) {
            throw new LlamaException(dir + ": not a directory (expected a Hugging Face model directory)");
        }
        if (!Files.isRegularFile(dir.resolve(HfConfigParser.CONFIG))) {
            throw new LlamaException(dir + ": no " + HfConfigParser.CONFIG + " (not a Hugging Face model directory)");
        }
    }

    private LlamaWeights weights() {
        rejectUnexpectedTensors();
        int dim = config.dim();
        Matrix embeddings = vocab(EMBEDDINGS, dim);
        Matrix output;
        if (info.tieWordEmbeddings()) {
            output = embeddings;
            if (checkpoint.find(OUTPUT) != null) {
                shaped(OUTPUT, config.vocabSize(), dim); // transformers ties it away; still check its shape
            }
        } else {
            output = vocab(OUTPUT, dim);
        }
        List<LayerWeights> layers = new ArrayList<>();
        for (int i = 0; i < config.nLayers(); i++) {
            layers.add(layer(i));
        }
        return new LlamaWeights(config, embeddings, List.copyOf(layers), vector(NORM, dim), output, null, checkpoint,
                split);
    }

    private LayerWeights layer(int i) {
        String p = "model.layers." + i + ".";
        int dim = config.dim();
        int ffn = config.ffnDim();
        int hd = config.headDim();
        int kvDim = config.kvDim();
        if (slicer == null) {
            return new LayerWeights(
                    vector(p + "input_layernorm.weight", dim),
                    HfQkOrder.toMetaOrder(matrix(p + "self_attn.q_proj.weight", dim, dim), config.nHeads(), hd),
                    HfQkOrder.toMetaOrder(matrix(p + "self_attn.k_proj.weight", kvDim, dim), config.nKvHeads(), hd),
                    matrix(p + "self_attn.v_proj.weight", kvDim, dim),
                    matrix(p + "self_attn.o_proj.weight", dim, dim),
                    vector(p + "post_attention_layernorm.weight", dim),
                    matrix(p + "mlp.gate_proj.weight", ffn, dim),
                    matrix(p + "mlp.down_proj.weight", dim, ffn),
                    matrix(p + "mlp.up_proj.weight", ffn, dim));
        }
        // the q/k permutation is within each head: a rank's heads are permuted as a model of that many heads
        return new LayerWeights(
                vector(p + "input_layernorm.weight", dim),
                HfQkOrder.toMetaOrder(slicer.queryRows(List.of(shaped(p + "self_attn.q_proj.weight", dim, dim)))
                        .asMatrix(), slicer.heads(), hd),
                HfQkOrder.toMetaOrder(slicer.kvRows(List.of(shaped(p + "self_attn.k_proj.weight", kvDim, dim)))
                        .asMatrix(), slicer.kvHeads(), hd),
                slicer.kvRows(List.of(shaped(p + "self_attn.v_proj.weight", kvDim, dim))).asMatrix(),
                slicer.queryColumns(List.of(shaped(p + "self_attn.o_proj.weight", dim, dim)), Numerics.EXACT),
                vector(p + "post_attention_layernorm.weight", dim),
                slicer.ffnRows(List.of(shaped(p + "mlp.gate_proj.weight", ffn, dim))).asMatrix(),
                slicer.ffnColumns(List.of(shaped(p + "mlp.down_proj.weight", dim, ffn)), Numerics.EXACT),
                slicer.ffnRows(List.of(shaped(p + "mlp.up_proj.weight", ffn, dim))).asMatrix());
    }

    /** The embeddings or the output: whole, or this rank's rows of the vocabulary. */
    private Matrix vocab(String name, int dim) {
        Tensor t = shaped(name, config.vocabSize(), dim);
        return (slicer == null ? t : slicer.vocabRows(List.of(t))).asMatrix();
    }

    /** Every tensor must be one the model uses: a stray one means the file is not what config.json says. */
    private void rejectUnexpectedTensors() {
        for (String name : checkpoint.names()) {
            if (name.equals(EMBEDDINGS) || name.equals(NORM) || name.equals(OUTPUT)) {
                continue;
            }
            Matcher m = LAYER.matcher(name);
            if (m.matches() && (LAYER_TENSORS.contains(m.group(2)) || m.group(2).equals(INV_FREQ))) {
                if (Integer.parseInt(m.group(1)) < config.nLayers()) {
                    continue;
                }
                throw new LlamaException(checkpoint.fileOf(name) + ": tensor " + name + " belongs to a layer past "
                        + "num_hidden_layers = " + config.nLayers() + " in config.json");
            }
            throw new LlamaException(checkpoint.fileOf(name) + ": unexpected tensor "
                    + JsonConfigFile.shown(name) + " (not part of a Llama model)");
        }
    }

    private Matrix matrix(String name, int rows, int cols) {
        return shaped(name, rows, cols).asMatrix();
    }

    private float[] vector(String name, int n) {
        return shaped(name, n).toFloats();
    }

    private Tensor shaped(String name, long... shape) {
        Tensor t = checkpoint.find(name);
        if (t == null) {
            String why = name.equals(OUTPUT) ? " (config.json does not set tie_word_embeddings)" : "";
            throw new LlamaException(checkpoint.directory() + ": missing tensor " + name + why);
        }
        if (!Arrays.equals(t.shape(), shape)) {
            throw new LlamaException(checkpoint.fileOf(name) + ": tensor " + name + " has shape "
                    + t.shapeString() + ", expected " + Arrays.toString(shape) + " from config.json");
        }
        return t;
    }
}
