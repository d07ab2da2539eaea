package dev.llama3j.convert;

import dev.llama3j.SharedData;
import dev.llama3j.format.ModelFiles;
import dev.llama3j.format.gguf.GgufFile;
import dev.llama3j.format.gguf.GgufModelLoader;
import dev.llama3j.tensor.DType;
import dev.llama3j.tensor.Tensor;
import dev.llama3j.model.LlamaWeights;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/**
 * Converting the Meta and Hugging Face fixtures gives files byte-identical to the GGUF fixtures that
 * llama.cpp's tools (gguf-py, llama-quantize) wrote from the same weights: header, metadata, tensor infos,
 * padding and every tensor's bytes.
 */
@Tag("slow")
class ConvertFixturesTest {
    @TempDir
    Path dir;

    /**
     * No Meta source exists for the Q4_K_M fixture, so its own weights, dequantized by llama3j's kernels, are
     * quantized again. The per-tensor types must be llama-quantize's; ggml's Q4_K reference quantizer reproduces
     * the fixture's Q4_K tensors byte for byte from their dequantized values. The fixture's Q6_K blocks were
     * written by a tool with another scale convention (positive sub-block scales, the largest 127, where ggml's
     * quantize_row_q6_K_ref makes it -128), so those only have to read back as the same weights.
     */
    @Test
    void requantizingTheQ4KMFixtureReproducesItsTypesAndQ4KBytes() throws Exception {
        Path expected = SharedData.require("fixtures/gguf/tiny-k-gguf-q4_k_m.gguf");
        Path out = dir.resolve("k.gguf");
        try (LlamaWeights w = GgufModelLoader.load(expected)) {
            LlamaGgufExport.prepare(w, new LlamaGgufExport.Options("tiny-k-gguf-q4_k_m", GgufFileType.Q4_K_M, null))
                    .write(out, null);
        }
        try (GgufFile a = GgufFile.open(out); GgufFile e = GgufFile.open(expected)) {
            assertThat(a.metadata().keys()).containsExactlyElementsOf(e.metadata().keys());
            assertThat(a.tensors().keySet()).containsExactlyElementsOf(e.tensors().keySet());
            int q6k = 0;
            for (Tensor te : e.tensors().values()) {
                Tensor ta = a.tensor(te.name());
                assertThat(ta.type()).as(te.name()).isEqualTo(te.type());
                if (te.type() == DType.Q6_K) {
                    q6k++;
                    float[] want = te.toFloats();
                    float[] got = ta.toFloats();
                    float max = 0;
                    for (float v : want) {
                        max = Math.max(max, Math.abs(v));
                    }
                    for (int i = 0; i < want.length; i++) {
                        assertThat(got[i]).as(te.name() + "[" + i + "]").isCloseTo(want[i], within(0.02f * max));
                    }
                } else {
                    assertThat(ta.data().mismatch(te.data())).as(te.name() + " first differing byte").isEqualTo(-1L);
                }
            }
            assertThat(q6k).isEqualTo(3);
        }
    }

    @ParameterizedTest(name = "{0} --type {1} = {2}")
    @CsvSource({
            "meta/tiny-sv-meta, f32, tiny-sv-gguf-f32",
            "meta/tiny-sv-meta, bf16, tiny-sv-gguf-bf16",
            "meta/tiny-sv-meta, f16, tiny-sv-gguf-f16",
            "meta/tiny-sv-meta, q8_0, tiny-sv-gguf-q8_0",
            "meta/tiny-sv-meta, q4_0, tiny-sv-gguf-q4_0",
            "meta/tiny-sv-meta-mp2, q8_0, tiny-sv-gguf-q8_0",
            "hf/tiny-sv-hf, q4_0, tiny-sv-gguf-q4_0",
            "hf/tiny-sv-hf-sharded, bf16, tiny-sv-gguf-bf16",
            "meta/tiny31-sv-meta, f32, tiny31-sv-gguf-f32",
            "meta/tiny31-sv-meta, q8_0, tiny31-sv-gguf-q8_0",
            "hf/tiny31-sv-hf, q8_0, tiny31-sv-gguf-q8_0",
    })
    void convertedFileIsByteIdenticalToTheFixture(String source, String type, String fixture) throws Exception {
        Path src = SharedData.require("fixtures/" + source);
        Path expected = SharedData.require("fixtures/gguf/" + fixture + ".gguf");
        Path out = dir.resolve(fixture + ".gguf");
        try (LlamaWeights w = ModelFiles.loadWeights(src)) {
            LlamaGgufExport.prepare(w, new LlamaGgufExport.Options(fixture, GgufFileType.parse(type), null))
                    .write(out, null);
        }
        GgufAssert.assertSameBytes(out, expected);
    }

    /** With the real tokenizer: tiny-meta (bf16) to Q8_0 is the file llama.cpp's tools wrote, tokenizer keys included. */
    @Test
    void convertingTinyMetaWithItsTokenizerReproducesLlamaCppsFile() throws Exception {
        Path src = SharedData.require("fixtures/meta/tiny-meta");
        Path out = dir.resolve("tiny-gguf-q8_0.gguf");
        try (LlamaWeights w = ModelFiles.loadWeights(src)) {
            var tokenizer = GgufTokenizers.fromTokenizerModel(src.resolve("tokenizer.model"), false);
            LlamaGgufExport.prepare(w, new LlamaGgufExport.Options("tiny-gguf-q8_0", GgufFileType.parse("q8_0"),
                    tokenizer)).write(out, null);
        }
        GgufAssert.assertSameBytes(out, SharedData.require("fixtures/gguf/tiny-gguf-q8_0.gguf"));
    }
}
