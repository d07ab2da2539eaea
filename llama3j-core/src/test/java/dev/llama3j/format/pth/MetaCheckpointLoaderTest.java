package dev.llama3j.format.pth;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.llama3j.LlamaException;
import dev.llama3j.SharedData;
import dev.llama3j.model.LayerWeights;
import dev.llama3j.model.LlamaWeights;
import dev.llama3j.model.ModelConfig;
import dev.llama3j.model.RopeScaling;
import dev.llama3j.tensor.DType;
import dev.llama3j.tensor.DenseMatrix;
import dev.llama3j.tensor.Matrix;
import dev.llama3j.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class MetaCheckpointLoaderTest {
    private static final String META = "fixtures/meta/";

    @ParameterizedTest
    @ValueSource(strings = {"tiny-meta", "tiny-sv-meta", "tiny-sv-meta-mp2", "tiny31-sv-meta", "tiny31-sv-meta-mp2"})
    void loadsEveryMetaFixtureWithTheShapesOfItsParams(String name) throws Exception {
        Path dir = SharedData.require(META + name);
        JsonNode params = new ObjectMapper().readTree(dir.resolve("params.json").toFile());
        try (LlamaWeights w = MetaCheckpointLoader.load(dir)) {
            ModelConfig c = w.config();
            int dim = params.get("dim").asInt();
            int vocab = params.get("vocab_size").asInt();
            int kvDim = params.get("n_kv_heads").asInt() * dim / params.get("n_heads").asInt();
            int ffn = name.equals("tiny-meta") ? 128 : 224; // FORMAT.md's table
            assertThat(c.dim()).isEqualTo(dim);
            assertThat(c.nLayers()).isEqualTo(params.get("n_layers").asInt());
            assertThat(c.nHeads()).isEqualTo(params.get("n_heads").asInt());
            assertThat(c.nKvHeads()).isEqualTo(params.get("n_kv_heads").asInt());
            assertThat(c.vocabSize()).isEqualTo(vocab);
            assertThat(c.ffnDim()).isEqualTo(ffn);
            assertThat(c.normEps()).isEqualTo(1e-5f);
            assertThat(c.ropeTheta()).isEqualTo(500000f);
            boolean scaled = name.startsWith("tiny31");
            assertThat(c.ropeScaling()).isEqualTo(scaled ? RopeScaling.LLAMA_3_1 : null);
            assertThat(c.contextLength()).isEqualTo(scaled ? 131072 : 8192);

            assertShape(w.tokenEmbeddings(), vocab, dim);
            assertShape(w.output(), vocab, dim);
            assertThat(w.norm()).hasSize(dim);
            assertThat(w.ropeFreqDivisors()).isNull();
            assertThat(w.layers()).hasSize(c.nLayers());
            for (LayerWeights l : w.layers()) {
                assertShape(l.wq(), dim, dim);
                assertShape(l.wk(), kvDim, dim);
                assertShape(l.wv(), kvDim, dim);
                assertShape(l.wo(), dim, dim);
                assertShape(l.w1(), ffn, dim);
                assertShape(l.w2(), dim, ffn);
                assertShape(l.w3(), ffn, dim);
                assertThat(l.attentionNorm()).hasSize(dim);
                assertThat(l.ffnNorm()).hasSize(dim);
            }
            long bf16Bytes = 2L * (2L * vocab * dim + c.nLayers() * (2L * dim * dim + 2L * kvDim * dim + 3L * ffn * dim));
            assertThat(w.byteSize()).isEqualTo(bf16Bytes);
        }
    }

    private static void assertShape(Matrix m, int rows, int cols) {
        assertThat(m.rows()).isEqualTo(rows);
        assertThat(m.cols()).isEqualTo(cols);
        assertThat(m.type()).isEqualTo(DType.BF16);
    }

    @Test
    void mergedShardsEqualTheSingleFileElementForElement() throws Exception {
        try (LlamaWeights one = MetaCheckpointLoader.load(SharedData.require(META + "tiny-sv-meta"));
             LlamaWeights two = MetaCheckpointLoader.load(SharedData.require(META + "tiny-sv-meta-mp2"))) {
            assertSameMatrix(one.tokenEmbeddings(), two.tokenEmbeddings());
            assertSameMatrix(one.output(), two.output());
            assertThat(two.norm()).containsExactly(one.norm());
            for (int l = 0; l < one.layers().size(); l++) {
                LayerWeights a = one.layers().get(l);
                LayerWeights b = two.layers().get(l);
                assertThat(b.attentionNorm()).containsExactly(a.attentionNorm());
                assertThat(b.ffnNorm()).containsExactly(a.ffnNorm());
                for (var pick : List.<java.util.function.Function<LayerWeights, Matrix>>of(LayerWeights::wq,
                        LayerWeights::wk, LayerWeights::wv, LayerWeights::wo, LayerWeights::w1, LayerWeights::w2,
                        LayerWeights::w3)) {
                    assertSameMatrix(pick.apply(a), pick.apply(b));
                }
            }
        }
    }

    /** Row by row, and column by column through dot products with unit vectors (exact: one nonzero term). */
    private static void assertSameMatrix(Matrix expected, Matrix actual) {
        assertThat(actual.rows()).isEqualTo(expected.rows());
        assertThat(actual.cols()).isEqualTo(expected.cols());
        float[] e = new float[expected.cols()];
        float[] a = new float[actual.cols()];
        for (int r = 0; r < expected.rows(); r++) {
            expected.row(r, e, 0);
            actual.row(r, a, 0);
            assertThat(a).as("row %d", r).containsExactly(e);
        }
        float[] unit = new float[expected.cols()];
        for (int col : new int[] {0, expected.cols() / 2 - 1, expected.cols() / 2, expected.cols() - 1}) {
            unit[col] = 1f;
            for (int r = 0; r < expected.rows(); r += 7) {
                assertThat(actual.dot(r, unit, 0)).isEqualTo(expected.dot(r, unit, 0));
            }
            unit[col] = 0f;
        }
    }

    @Test
    void weightsStayInTheMappedFile() throws Exception {
        Path dir = SharedData.require(META + "tiny-meta"); // 16 MB of bf16 weights, mostly embeddings
        Runtime rt = Runtime.getRuntime();
        System.gc();
        long before = ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
        try (LlamaWeights w = MetaCheckpointLoader.load(dir)) {
            System.gc();
            long after = ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
            // a heap copy of either 8 MB embedding matrix alone would exceed this
            assertThat(after - before).as("heap growth of %d MB total heap", rt.totalMemory() >> 20)
                    .isLessThan(4L << 20);
            List<Matrix> all = new ArrayList<>(List.of(w.tokenEmbeddings(), w.output()));
            w.layers().forEach(l -> all.addAll(List.of(l.wq(), l.wk(), l.wv(), l.wo(), l.w1(), l.w2(), l.w3())));
            for (Matrix m : all) {
                assertThat(m).isInstanceOf(DenseMatrix.class);
                assertThat(((DenseMatrix) m).data().isMapped()).isTrue();
                assertThat(((DenseMatrix) m).data().heapBase()).isEmpty();
            }
        }
    }

    // ---- errors ----

    /** A copy of fixture {@code name} with params.json edited. */
    private static Path copyWithParams(Path tmp, String name, Consumer<ObjectNode> edit) throws IOException {
        Path src = SharedData.require(META + name);
        Path dst = Files.createDirectories(tmp.resolve(name));
        try (var files = Files.list(src)) {
            for (Path f : files.toList()) {
                Files.copy(f, dst.resolve(f.getFileName()));
            }
        }
        ObjectMapper json = new ObjectMapper();
        ObjectNode params = (ObjectNode) json.readTree(src.resolve("params.json").toFile());
        edit.accept(params);
        Files.delete(dst.resolve("params.json"));
        json.writeValue(dst.resolve("params.json").toFile(), params);
        return dst;
    }

    @Test
    void paramsErrorsNameTheFileAndField(@TempDir Path tmp) throws IOException {
        Path noDim = copyWithParams(tmp.resolve("a"), "tiny-sv-meta", p -> p.remove("dim"));
        assertThatThrownBy(() -> MetaCheckpointLoader.load(noDim)).isInstanceOf(LlamaException.class)
                .hasMessage(noDim.resolve("params.json") + ": missing field 'dim'");
        Path textHeads = copyWithParams(tmp.resolve("b"), "tiny-sv-meta", p -> p.put("n_heads", "4"));
        assertThatThrownBy(() -> MetaCheckpointLoader.load(textHeads)).isInstanceOf(LlamaException.class)
                .hasMessage(textHeads.resolve("params.json") + ": field 'n_heads' must be a positive integer, got \"4\"");
        Path badEps = copyWithParams(tmp.resolve("c"), "tiny-sv-meta", p -> p.put("norm_eps", -1));
        assertThatThrownBy(() -> MetaCheckpointLoader.load(badEps)).isInstanceOf(LlamaException.class)
                .hasMessage(badEps.resolve("params.json") + ": field 'norm_eps' must be a positive number, got -1");
        Path badHeads = copyWithParams(tmp.resolve("d"), "tiny-sv-meta", p -> p.put("n_kv_heads", 3));
        assertThatThrownBy(() -> MetaCheckpointLoader.load(badHeads)).isInstanceOf(LlamaException.class)
                .hasMessage(badHeads.resolve("params.json")
                        + ": model config: invalid n_kv_heads (must divide n_heads 4): 3");
        Path notJson = copyWithParams(tmp.resolve("e"), "tiny-sv-meta", p -> {});
        Files.writeString(notJson.resolve("params.json"), "{\"dim\": 64,");
        assertThatThrownBy(() -> MetaCheckpointLoader.load(notJson)).isInstanceOf(LlamaException.class)
                .hasMessageStartingWith(notJson.resolve("params.json") + ": not valid JSON: ");
        Files.delete(notJson.resolve("params.json"));
        assertThatThrownBy(() -> MetaCheckpointLoader.load(notJson)).isInstanceOf(LlamaException.class)
                .hasMessage(notJson.resolve("params.json") + ": file not found (a Meta checkpoint folder needs params.json)");
    }

    @Test
    void defaultsFollowMetaModelArgs(@TempDir Path tmp) throws Exception {
        // without n_kv_heads (= n_heads), rope_theta (500000) and norm_eps (1e-5); the shapes then disagree
        Path dir = copyWithParams(tmp, "tiny-sv-meta", p -> {
            p.remove("n_kv_heads");
            p.remove("rope_theta");
            p.remove("norm_eps");
        });
        ModelConfig c = MetaParams.read(dir.resolve("params.json"));
        assertThat(c.nKvHeads()).isEqualTo(4);
        assertThat(c.ropeTheta()).isEqualTo(500000f);
        assertThat(c.normEps()).isEqualTo(1e-5f);
        assertThatThrownBy(() -> MetaCheckpointLoader.load(dir)).isInstanceOf(LlamaException.class)
                .hasMessage(dir.resolve("consolidated.00.pth")
                        + ": tensor 'layers.0.attention.wk.weight' has shape [32, 64], expected [64, 64]");
    }

    @Test
    void shardErrors(@TempDir Path tmp) throws IOException {
        Path onlyFirst = copyWithParams(tmp.resolve("a"), "tiny-sv-meta-mp2", p -> {});
        Files.delete(onlyFirst.resolve("consolidated.01.pth"));
        assertThatThrownBy(() -> MetaCheckpointLoader.load(onlyFirst)).isInstanceOf(LlamaException.class)
                .hasMessage(onlyFirst.resolve("consolidated.00.pth") + ": holds 1/2 of the model (256 of the 512 rows"
                        + " of tok_embeddings.weight): shard 1 of 2 (consolidated.01.pth) is missing");

        Path onlySecond = copyWithParams(tmp.resolve("b"), "tiny-sv-meta-mp2", p -> {});
        Files.delete(onlySecond.resolve("consolidated.00.pth"));
        assertThatThrownBy(() -> MetaCheckpointLoader.load(onlySecond)).isInstanceOf(LlamaException.class)
                .hasMessage(onlySecond + ": model-parallel shard 0 is missing: found [consolidated.01.pth]");

        Path kv = copyWithParams(tmp.resolve("c"), "tiny-sv-meta-mp2", p -> p.put("n_kv_heads", 1));
        assertThatThrownBy(() -> MetaCheckpointLoader.load(kv)).isInstanceOf(LlamaException.class)
                .hasMessage(kv.resolve("consolidated.00.pth") + ": 2 model-parallel shards cannot split"
                        + " n_kv_heads = 1 evenly (it must be a multiple of the shard count)");

        Path none = Files.createDirectories(tmp.resolve("d"));
        Files.writeString(none.resolve("params.json"), "{\"dim\":64,\"n_layers\":1,\"n_heads\":4,\"vocab_size\":8}");
        assertThatThrownBy(() -> MetaCheckpointLoader.load(none)).isInstanceOf(LlamaException.class)
                .hasMessage(none + ": no consolidated.NN.pth files found");
        assertThatThrownBy(() -> MetaCheckpointLoader.load(tmp.resolve("missing"))).isInstanceOf(LlamaException.class)
                .hasMessageStartingWith(tmp.resolve("missing") + ": not a directory");
    }

    /** consolidated.01.pth a copy of .00 has every expected shape, so only the shards' bytes can tell. */
    @Test
    void aShardCopiedOverAnotherIsRefused(@TempDir Path tmp) throws IOException {
        Path dir = copyWithParams(tmp, "tiny-sv-meta-mp2", p -> {});
        Files.copy(dir.resolve("consolidated.00.pth"), dir.resolve("consolidated.01.pth"),
                StandardCopyOption.REPLACE_EXISTING);
        assertThatThrownBy(() -> MetaCheckpointLoader.load(dir)).isInstanceOf(LlamaException.class)
                .hasMessage(dir.resolve("consolidated.01.pth") + ": is a copy of " + dir.resolve("consolidated.00.pth")
                        + " (the same bytes in tok_embeddings.weight, output.weight, layers.0.attention.wq.weight):"
                        + " each model-parallel shard holds a different part of the model; download it again");
    }

    /** Shards 2 and 3 of a 4-shard checkpoint (made from tiny-sv-meta-mp2's params: 512 rows, 4 heads) are absent. */
    @Test
    void severalMissingShardsAreNamed(@TempDir Path tmp) throws IOException {
        Path dir = copyWithParams(tmp, "tiny-sv-meta-mp2", p -> p.put("vocab_size", 1024));
        assertThatThrownBy(() -> MetaCheckpointLoader.load(dir)).isInstanceOf(LlamaException.class)
                .hasMessage(dir.resolve("consolidated.00.pth") + ": holds 1/4 of the model (256 of the 1024 rows of"
                        + " tok_embeddings.weight): shards 2..3 of 4 (consolidated.02.pth, consolidated.03.pth) are"
                        + " missing");
    }

    /**
     * A fingerprint depends on the shard's bytes alone: the same for a shard opened twice (as two ranks would),
     * different for the two real shards and for a shard with one byte of its embeddings changed.
     */
    @Test
    void fingerprintsAreValuesOfOneShardsBytes() {
        Path dir = SharedData.require(META + "tiny-sv-meta-mp2");
        try (PthCheckpoint a = PthCheckpoint.open(dir.resolve("consolidated.00.pth"));
             PthCheckpoint again = PthCheckpoint.open(dir.resolve("consolidated.00.pth"));
             PthCheckpoint b = PthCheckpoint.open(dir.resolve("consolidated.01.pth"))) {
            ShardFingerprint fa = ShardFingerprint.of(a.tensors());
            assertThat(fa.sha256()).hasSize(64);
            assertThat(ShardFingerprint.of(again.tensors())).isEqualTo(fa);
            assertThat(ShardFingerprint.of(b.tensors())).isNotEqualTo(fa);
            ShardFingerprint.requireDistinct(List.of(fa, ShardFingerprint.of(b.tensors())), List.of("a", "b"));

            Map<String, Tensor> changed = new LinkedHashMap<>(a.tensors());
            Tensor emb = changed.get("tok_embeddings.weight");
            byte[] bytes = emb.data().toArray(java.lang.foreign.ValueLayout.JAVA_BYTE);
            bytes[1] ^= 1;
            changed.put(emb.name(), new Tensor(emb.name(), emb.type(), emb.shape(),
                    java.lang.foreign.MemorySegment.ofArray(bytes)));
            assertThat(ShardFingerprint.of(changed)).isNotEqualTo(fa);
        }
        assertThatThrownBy(() -> ShardFingerprint.requireDistinct(List.of(new ShardFingerprint("1"),
                new ShardFingerprint("2"), new ShardFingerprint("1")), List.of("x.00", "x.01", "x.02")))
                .hasMessageStartingWith("x.02: is a copy of x.00 ");
    }

    @Test
    void missingExtraAndIgnoredTensors(@TempDir Path tmp) throws Exception {
        Path layers3 = copyWithParams(tmp.resolve("a"), "tiny-sv-meta", p -> p.put("n_layers", 3));
        assertThatThrownBy(() -> MetaCheckpointLoader.load(layers3)).isInstanceOf(LlamaException.class)
                .hasMessage(layers3.resolve("consolidated.00.pth")
                        + ": missing tensor 'layers.2.attention_norm.weight' (expected shape [64])");
        Path layers1 = copyWithParams(tmp.resolve("b"), "tiny-sv-meta", p -> p.put("n_layers", 1));
        assertThatThrownBy(() -> MetaCheckpointLoader.load(layers1)).isInstanceOf(LlamaException.class)
                .hasMessage(layers1.resolve("consolidated.00.pth")
                        + ": unexpected tensor 'layers.1.attention.wq.weight' for this params.json");

        Path dir = SharedData.require(META + "tiny-sv-meta");
        ModelConfig config = MetaParams.read(dir.resolve("params.json"));
        try (PthCheckpoint ckpt = PthCheckpoint.open(dir.resolve("consolidated.00.pth"))) {
            Map<String, Tensor> withFreqs = new LinkedHashMap<>(ckpt.tensors());
            Tensor norm = withFreqs.get("norm.weight");
            withFreqs.put("rope.freqs", new Tensor("rope.freqs", DType.BF16, new long[] {64}, norm.data()));
            LlamaWeights w = MetaCheckpointLoader.assemble(config, List.of(withFreqs), List.of("x.pth"), null);
            assertThat(w.norm()).containsExactly(norm.toFloats());
        }
    }
}
