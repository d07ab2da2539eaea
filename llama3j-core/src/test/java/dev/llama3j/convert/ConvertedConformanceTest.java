package dev.llama3j.convert;

import dev.llama3j.SharedData;
import dev.llama3j.conformance.ConformanceRunner;
import dev.llama3j.format.ModelFiles;
import dev.llama3j.model.LlamaWeights;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Files written by the converter (float and quantized, Meta and HF sources, Llama 3 and 3.1) reproduce Meta's reference outputs within the fixture tolerances
 * (the byte-identity tests cover every type; these run the model end to end).
 */
@Tag("slow")
class ConvertedConformanceTest {
    @TempDir
    Path dir;

    @ParameterizedTest(name = "{0} --type {1} vs {2}")
    @CsvSource({
            "meta/tiny-sv-meta, bf16, pub-sv, false",
            "meta/tiny-sv-meta-mp2, q4_0, pub-sv-q4_0, true",
            "hf/tiny31-sv-hf, q8_0, pub-sv31-q8_0, true",
    })
    void convertedModelMatchesTheReference(String source, String type, String ref, boolean quantized) throws Exception {
        Path fixtures = SharedData.require("fixtures");
        Path out = dir.resolve("model.gguf");
        try (LlamaWeights w = ModelFiles.loadWeights(fixtures.resolve(source))) {
            LlamaGgufExport.prepare(w, new LlamaGgufExport.Options("converted", GgufFileType.parse(type), null))
                    .write(out, null);
        }
        ConformanceRunner.FixtureResult r = new ConformanceRunner(ModelFiles::loadWeights)
                .runModel(fixtures, out, ref, quantized, "converted", dir.resolve("out"));
        assertThat(r.loaded()).as(r.detail()).isTrue();
        assertThat(r.failures()).isEmpty();
        assertThat(r.checks()).isNotEmpty();
    }
}
