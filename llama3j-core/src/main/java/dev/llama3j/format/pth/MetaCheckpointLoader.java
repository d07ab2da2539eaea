package dev.llama3j.format.pth;

import dev.llama3j.LlamaException;
import dev.llama3j.model.LayerWeights;
import dev.llama3j.model.LlamaWeights;
import dev.llama3j.model.ModelConfig;
import dev.llama3j.model.ModelSplit;
import dev.llama3j.model.RankGroup;
import dev.llama3j.model.RankSlicer;
import dev.llama3j.tensor.ColConcatMatrix;
import dev.llama3j.tensor.Matrix;
import dev.llama3j.tensor.Numerics;
import dev.llama3j.tensor.RowConcatMatrix;
import dev.llama3j.tensor.Tensor;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Loads a Meta native checkpoint folder ({@code params.json} + {@code consolidated.NN.pth}) in place.
 * With N model-parallel shards the full matrices are views over the shards, merged the way Meta's
 * fairscale layers split them: column-parallel layers (wq, wk, wv, w1, w3, output) and the
 * vocab-parallel embedding are split on dim 0, row-parallel layers (wo, w2) on dim 1, and RMSNorm
 * weights are replicated (shard 0 is used).
 */
public final class MetaCheckpointLoader {
    private static final Pattern SHARD = Pattern.compile("consolidated\\.(\\d+)\\.pth");
    /** Llama 1/2 checkpoints stored the RoPE frequencies; they are recomputed from the config. */
    private static final String ROPE_FREQS = "rope.freqs";

    /** How one tensor is divided among shards. */
    private enum Split { ROWS, COLS, REPLICATED }

    /** A tensor every shard must hold, with its per-shard shape. */
    private record Expected(String name, Split split, long... shardShape) {
    }

    private MetaCheckpointLoader() {}

    public static LlamaWeights load(Path dir) {
        return load(dir, null);
    }

    /**
     * The checkpoint in {@code dir}, or with a {@code group} this rank's part of it ({@link ModelSplit}): where the
     * ranks are as many as the shards, rank r opens {@code consolidated.r.pth} alone, its tensors being exactly its
     * part; otherwise every shard is opened and the rank's rows and columns are cut across them.
     */
    public static LlamaWeights load(Path dir, RankGroup group) {
        if (!Files.isDirectory(dir)) {
            throw new LlamaException(dir + ": not a directory (expected a Meta checkpoint folder with params.json"
                    + " and consolidated.NN.pth)");
        }
        ModelConfig config = MetaParams.read(dir.resolve("params.json"));
        List<Path> files = shardFiles(dir);
        boolean ownShard = group != null && group.ranks() == files.size() && files.size() > 1;
        ModelSplit split = group == null ? null : new ModelSplit(group.rank(), group.ranks(), config, group);
        List<PthCheckpoint> shards = new ArrayList<>();
        try {
            for (Path f : ownShard ? List.of(files.get(group.rank())) : files) {
                shards.add(PthCheckpoint.open(f));
            }
            List<Map<String, Tensor>> tensors = shards.stream().map(PthCheckpoint::tensors).toList();
            List<String> names = shards.stream().map(PthCheckpoint::toString).toList();
            AutoCloseable resources = () -> shards.forEach(PthCheckpoint::close);
            if (ownShard) {
                return ownShard(config, tensors, names, resources, files, split, group);
            }
            return assemble(config, tensors, names, resources, files.size(), split,
                    split == null ? null : new RankSlicer(split));
        } catch (RuntimeException e) {
            shards.forEach(PthCheckpoint::close);
            throw e;
        }
    }

    /**
     * The weights of shards given as tensor maps ({@code names} label them in errors).
     * Every shard is checked to hold exactly the expected tensors in the expected shapes.
     */
    static LlamaWeights assemble(ModelConfig config, List<Map<String, Tensor>> shards, List<String> names,
                                 AutoCloseable resources) {
        return assemble(config, shards, names, resources, shards.size(), null, null);
    }

    /**
     * Rank r's shard r as its part; its fingerprint goes to the group, which compares them over the ranks once all
     * have loaded (a shard copied over another).
     */
    private static LlamaWeights ownShard(ModelConfig config, List<Map<String, Tensor>> tensors, List<String> names,
                                         AutoCloseable resources, List<Path> files, ModelSplit split,
                                         RankGroup group) {
        LlamaWeights w = assemble(config, tensors, names, resources, files.size(), split, null);
        group.identify(files.get(group.rank()).toString(), ShardFingerprint.of(tensors.getFirst()).sha256());
        return w;
    }

    /**
     * {@code shards} of {@code shardCount} (all of them, or the one of a rank whose part it is), whole or cut for
     * one rank ({@code slicer}); {@code split} is what the weights are a part of.
     */
    private static LlamaWeights assemble(ModelConfig config, List<Map<String, Tensor>> shards, List<String> names,
                                         AutoCloseable resources, int shardCount, ModelSplit split,
                                         RankSlicer slicer) {
        int n = shardCount;
        checkShardCount(config, shards.getFirst(), n, names.getFirst());
        checkDivisible(config, n, names.getFirst());
        Map<String, Expected> expected = expectedTensors(config, n);
        List<ShardFingerprint> fingerprints = new ArrayList<>();
        for (int s = 0; s < shards.size(); s++) {
            checkTensors(shards.get(s), expected, names.get(s));
            if (shards.size() > 1) {
                fingerprints.add(ShardFingerprint.of(shards.get(s)));
            }
        }
        ShardFingerprint.requireDistinct(fingerprints, names);
        Assembler a = new Assembler(shards, expected, slicer);
        List<LayerWeights> layers = new ArrayList<>();
        for (int l = 0; l < config.nLayers(); l++) {
            String p = "layers." + l + ".";
            layers.add(new LayerWeights(a.vector(p + "attention_norm.weight"),
                    a.matrix(p + "attention.wq.weight"), a.matrix(p + "attention.wk.weight"),
                    a.matrix(p + "attention.wv.weight"), a.matrix(p + "attention.wo.weight"),
                    a.vector(p + "ffn_norm.weight"),
                    a.matrix(p + "feed_forward.w1.weight"), a.matrix(p + "feed_forward.w2.weight"),
                    a.matrix(p + "feed_forward.w3.weight")));
        }
        return new LlamaWeights(config, a.matrix("tok_embeddings.weight"), List.copyOf(layers),
                a.vector("norm.weight"), a.matrix("output.weight"), null, resources, split);
    }

    /** {@code consolidated.NN.pth} in shard order; the numbers must run 0..N-1 with none missing. */
    private static List<Path> shardFiles(Path dir) {
        Map<Integer, Path> byIndex = new HashMap<>();
        try (Stream<Path> list = Files.list(dir)) {
            for (Path p : list.toList()) {
                Matcher m = SHARD.matcher(p.getFileName().toString());
                if (m.matches() && m.group(1).length() < 6) {
                    byIndex.put(Integer.parseInt(m.group(1)), p);
                }
            }
        } catch (IOException e) {
            throw new LlamaException(dir + ": cannot list the folder: " + e.getMessage(), e);
        }
        if (byIndex.isEmpty()) {
            throw new LlamaException(dir + ": no consolidated.NN.pth files found");
        }
        List<Path> files = byIndex.entrySet().stream()
                .sorted(Map.Entry.comparingByKey()).map(Map.Entry::getValue).toList();
        for (int i = 0; i < files.size(); i++) {
            if (!byIndex.containsKey(i)) {
                throw new LlamaException(dir + ": model-parallel shard " + i + " is missing: found "
                        + files.stream().map(p -> p.getFileName().toString()).sorted(Comparator.naturalOrder()).toList());
            }
        }
        return files;
    }

    /**
     * Shard 0 tells how many shards there are: it holds {@code vocab_size/N} rows of tok_embeddings.weight. Missing
     * shards at the end of the numbering (consolidated.01.pth of 2 deleted) are reported as such, not as a shape.
     */
    private static void checkShardCount(ModelConfig c, Map<String, Tensor> first, int found, String file) {
        Tensor t = first.get("tok_embeddings.weight");
        if (t == null || t.rank() != 2 || t.dim(1) != c.dim() || t.dim(0) == 0 || c.vocabSize() % t.dim(0) != 0) {
            return; // the tensor checks report what is wrong
        }
        int total = c.vocabSize() / t.dim(0);
        if (total == found) {
            return;
        }
        String holds = file + ": holds 1/" + total + " of the model (" + t.dim(0) + " of the " + c.vocabSize()
                + " rows of tok_embeddings.weight)";
        if (total < found) {
            throw new LlamaException(holds + " but the folder has " + found + " consolidated.NN.pth files: shards of"
                    + " different downloads mixed?");
        }
        List<String> missing = new ArrayList<>();
        for (int i = found; i < total; i++) {
            missing.add(String.format("consolidated.%02d.pth", i));
        }
        throw new LlamaException(holds + ": " + (missing.size() == 1 ? "shard " : "shards ") + found
                + (missing.size() == 1 ? "" : ".." + (total - 1)) + " of " + total + " (" + String.join(", ", missing)
                + (missing.size() == 1 ? ") is" : ") are") + " missing");
    }

    /**
     * Meta gives each shard {@code n_heads/N} query heads, {@code n_kv_heads/N} kv heads (model.py:
     * {@code n_local_kv_heads = n_kv_heads // world_size}, so fewer kv heads than shards cannot be loaded),
     * {@code vocab/N} embedding rows and {@code ffn/N} hidden units.
     */
    private static void checkDivisible(ModelConfig c, int n, String file) {
        record Part(String what, int value) {
        }
        for (Part p : List.of(new Part("n_heads", c.nHeads()), new Part("n_kv_heads", c.nKvHeads()),
                new Part("vocab_size", c.vocabSize()), new Part("FFN hidden size", c.ffnDim()))) {
            if (p.value % n != 0) {
                throw new LlamaException(file + ": " + n + " model-parallel shards cannot split " + p.what + " = "
                        + p.value + " evenly (it must be a multiple of the shard count)");
            }
        }
    }

    private static Map<String, Expected> expectedTensors(ModelConfig c, int n) {
        long dim = c.dim();
        long q = (long) c.nHeads() * c.headDim() / n;
        long kv = (long) c.kvDim() / n;
        long ffn = c.ffnDim() / n;
        List<Expected> list = new ArrayList<>(List.of(
                new Expected("tok_embeddings.weight", Split.ROWS, c.vocabSize() / n, dim),
                new Expected("norm.weight", Split.REPLICATED, dim),
                new Expected("output.weight", Split.ROWS, c.vocabSize() / n, dim)));
        for (int l = 0; l < c.nLayers(); l++) {
            String p = "layers." + l + ".";
            list.add(new Expected(p + "attention_norm.weight", Split.REPLICATED, dim));
            list.add(new Expected(p + "attention.wq.weight", Split.ROWS, q, dim));
            list.add(new Expected(p + "attention.wk.weight", Split.ROWS, kv, dim));
            list.add(new Expected(p + "attention.wv.weight", Split.ROWS, kv, dim));
            list.add(new Expected(p + "attention.wo.weight", Split.COLS, dim, q));
            list.add(new Expected(p + "ffn_norm.weight", Split.REPLICATED, dim));
            list.add(new Expected(p + "feed_forward.w1.weight", Split.ROWS, ffn, dim));
            list.add(new Expected(p + "feed_forward.w2.weight", Split.COLS, dim, ffn));
            list.add(new Expected(p + "feed_forward.w3.weight", Split.ROWS, ffn, dim));
        }
        Map<String, Expected> byName = new LinkedHashMap<>();
        list.forEach(e -> byName.put(e.name, e));
        return byName;
    }

    private static void checkTensors(Map<String, Tensor> tensors, Map<String, Expected> expected, String file) {
        for (Expected e : expected.values()) {
            Tensor t = tensors.get(e.name);
            if (t == null) {
                throw new LlamaException(file + ": missing tensor '" + e.name + "' (expected shape "
                        + Arrays.toString(e.shardShape) + ")");
            }
            if (!Arrays.equals(t.shape(), e.shardShape)) {
                throw new LlamaException(file + ": tensor '" + e.name + "' has shape " + t.shapeString()
                        + ", expected " + Arrays.toString(e.shardShape));
            }
        }
        for (String name : tensors.keySet()) {
            if (!expected.containsKey(name) && !name.equals(ROPE_FREQS)) {
                throw new LlamaException(file + ": unexpected tensor '" + name + "' for this params.json");
            }
        }
    }

    /** Builds merged views of checked tensors. */
    private record Assembler(List<Map<String, Tensor>> shards, Map<String, Expected> expected, RankSlicer slicer) {
        Matrix matrix(String name) {
            if (slicer != null) {
                return rankPart(name);
            }
            List<Matrix> parts = shards.stream().map(s -> s.get(name).asMatrix()).toList();
            if (parts.size() == 1) {
                return parts.getFirst();
            }
            return switch (expected.get(name).split) {
                case ROWS -> new RowConcatMatrix(parts);
                case COLS -> new ColConcatMatrix(parts);
                case REPLICATED -> throw new IllegalStateException(name + " is not a matrix");
            };
        }

        /** This rank's rows or columns of the merged tensor, by what the tensor is (Meta's names). */
        private Matrix rankPart(String name) {
            List<Tensor> parts = shards.stream().map(s -> s.get(name)).toList();
            String what = name.substring(name.lastIndexOf('.', name.length() - ".weight".length() - 1) + 1);
            return switch (what) {
                case "wq.weight" -> slicer.queryRows(parts).asMatrix();
                case "wk.weight", "wv.weight" -> slicer.kvRows(parts).asMatrix();
                case "wo.weight" -> slicer.queryColumns(parts, Numerics.EXACT);
                case "w1.weight", "w3.weight" -> slicer.ffnRows(parts).asMatrix();
                case "w2.weight" -> slicer.ffnColumns(parts, Numerics.EXACT);
                case "tok_embeddings.weight", "output.weight" -> slicer.vocabRows(parts).asMatrix();
                default -> throw new IllegalStateException(name + " is not a matrix");
            };
        }

        float[] vector(String name) {
            return shards.getFirst().get(name).toFloats();
        }
    }
}
