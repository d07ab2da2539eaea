package dev.llama3j.convert;

import dev.llama3j.format.gguf.GgufFile;
import dev.llama3j.format.gguf.GgufModelLoader;
import dev.llama3j.model.LlamaWeights;
import dev.llama3j.model.ModelConfig;
import dev.llama3j.model.Transformer;
import dev.llama3j.tensor.DType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/** Random-weight files: real shapes, deterministic, loadable, and computing what the weights they hold say. */
class SynthTest {
    @TempDir
    Path dir;

    private Path synth(SynthShape shape, GgufFileType type, long seed, String file) {
        Path out = dir.resolve(file);
        LlamaWeights w = RandomWeights.create(shape.config(), shape.tiedEmbeddings, seed);
        LlamaGgufExport.prepare(w, new LlamaGgufExport.Options("synthetic", type, null)).write(out, null);
        return out;
    }

    @Test
    void sameSeedSameBytesOtherSeedOtherWeights() throws Exception {
        Path a = synth(SynthShape.TINY, GgufFileType.Q4_K_M, 7, "a.gguf");
        Path b = synth(SynthShape.TINY, GgufFileType.Q4_K_M, 7, "b.gguf");
        Path c = synth(SynthShape.TINY, GgufFileType.Q4_K_M, 8, "c.gguf");
        assertThat(Files.readAllBytes(a)).isEqualTo(Files.readAllBytes(b));
        assertThat(Files.mismatch(a, c)).isPositive();
        try (GgufFile f = GgufFile.open(a)) {
            // dim 64 is not a multiple of 256: Q4_K falls back to Q5_0 and Q6_K to Q8_0, as llama-quantize does
            assertThat(f.tensor("blk.0.attn_q.weight").type()).isEqualTo(DType.Q5_0);
            assertThat(f.tensor("output.weight").type()).isEqualTo(DType.Q8_0);
            assertThat(f.tensor("rope_freqs.weight").type()).isEqualTo(DType.F32);
        }
    }

    @Test
    void synthesizedFileLoadsAndComputesLikeItsWeights() throws Exception {
        Path file = synth(SynthShape.TINY, GgufFileType.F32, 3, "f32.gguf");
        LlamaWeights direct = RandomWeights.create(SynthShape.TINY.config(), false, 3);
        int[][] tokens = {{1, 17, 300, 511, 42}};
        float[] fromMemory;
        try (LlamaWeights loaded = GgufModelLoader.load(file)) {
            float[] fromFile = new Transformer(loaded, 1, 8).forward(tokens, 0, false)[0];
            fromMemory = new Transformer(direct, 1, 8).forward(tokens, 0, false)[0];
            assertThat(fromFile).hasSize(512);
            for (int i = 0; i < fromFile.length; i++) {
                assertThat(fromFile[i]).isFinite().isCloseTo(fromMemory[i], within(1e-4f));
            }
            float[] sd = loaded.layers().get(1).ffnNorm();
            assertThat(sd[0]).isCloseTo(1f, within(0.3f));
        }
        Path q4 = synth(SynthShape.TINY, GgufFileType.Q4_0, 3, "q4.gguf");
        try (LlamaWeights loaded = GgufModelLoader.load(q4)) {
            // 4-bit weights compute nearly the same logits
            float[] logits = new Transformer(loaded, 1, 8).forward(tokens, 0, false)[0];
            float max = 0;
            for (float v : fromMemory) {
                max = Math.max(max, Math.abs(v));
            }
            for (int i = 0; i < logits.length; i++) {
                assertThat(logits[i]).isCloseTo(fromMemory[i], within(0.25f * max));
            }
        }
    }

    @Test
    void realShapesMatchThePublishedConfigs() {
        ModelConfig c = SynthShape.LLAMA_3_2_1B.config();
        assertThat(new int[] {c.dim(), c.nLayers(), c.nHeads(), c.nKvHeads(), c.ffnDim(), c.vocabSize(), c.headDim()})
                .containsExactly(2048, 16, 32, 8, 8192, 128256, 64);
        assertThat(c.ropeScaling().factor()).isEqualTo(32f);
        assertThat(SynthShape.LLAMA_3_2_1B.tiedEmbeddings).isTrue();
        c = SynthShape.LLAMA_3_2_3B.config();
        assertThat(new int[] {c.dim(), c.nLayers(), c.nHeads(), c.nKvHeads(), c.ffnDim(), c.headDim()})
                .containsExactly(3072, 28, 24, 8, 8192, 128);
        c = SynthShape.LLAMA_3_8B.config();
        assertThat(new int[] {c.dim(), c.nLayers(), c.nHeads(), c.nKvHeads(), c.ffnDim(), c.contextLength()})
                .containsExactly(4096, 32, 32, 8, 14336, 8192);
        assertThat(c.ropeScaling()).isNull();
        c = SynthShape.LLAMA_3_70B.config();
        assertThat(new int[] {c.dim(), c.nLayers(), c.nHeads(), c.nKvHeads(), c.ffnDim()})
                .containsExactly(8192, 80, 64, 8, 28672);
    }

    @Test
    void q4KMTypesFollowLlamaQuantizeForRealShapes() {
        TensorTypes t8b = new TensorTypes(GgufFileType.Q4_K_M, SynthShape.LLAMA_3_8B.config(), false);
        assertThat(t8b.choose(TensorTypes.Role.OUTPUT, 0, 4096)).isEqualTo(DType.Q6_K);
        assertThat(t8b.choose(TensorTypes.Role.TOKEN_EMBEDDINGS, 0, 4096)).isEqualTo(DType.Q4_K);
        // use_more_bits for 32 layers: 0-3, 28-31 and every third from 6
        assertThat(java.util.stream.IntStream.range(0, 32)
                .filter(i -> t8b.choose(TensorTypes.Role.ATTN_V, i, 4096) == DType.Q6_K).boxed().toList())
                .containsExactly(0, 1, 2, 3, 6, 9, 12, 15, 18, 21, 24, 27, 28, 29, 30, 31);
        assertThat(t8b.choose(TensorTypes.Role.FFN_DOWN, 5, 14336)).isEqualTo(DType.Q4_K);
        assertThat(t8b.choose(TensorTypes.Role.OTHER, 5, 4096)).isEqualTo(DType.Q4_K);
        TensorTypes t1b = new TensorTypes(GgufFileType.Q4_0, SynthShape.LLAMA_3_2_1B.config(), true);
        assertThat(t1b.choose(TensorTypes.Role.TOKEN_EMBEDDINGS, 0, 2048)).isEqualTo(DType.Q6_K);
        assertThat(t1b.choose(TensorTypes.Role.ATTN_V, 0, 2048)).isEqualTo(DType.Q4_0);
        TensorTypes t70b = new TensorTypes(GgufFileType.Q4_K_M, SynthShape.LLAMA_3_70B.config(), false);
        assertThat(t70b.choose(TensorTypes.Role.ATTN_V, 20, 8192)).isEqualTo(DType.Q5_K);
        assertThat(t70b.choose(TensorTypes.Role.ATTN_V, 0, 8192)).isEqualTo(DType.Q6_K);
    }
}
