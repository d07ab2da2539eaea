package dev.llama3j.cli;

import dev.llama3j.SharedData;
import dev.llama3j.convert.GgufFileType;
import dev.llama3j.convert.GgufTokenizers;
import dev.llama3j.convert.LlamaGgufExport;
import dev.llama3j.format.ModelFiles;
import dev.llama3j.model.LlamaWeights;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A model whose weights hold a NaN makes every logit NaN: generation fails with one line naming the position
 * instead of printing a repeated token with NaN logprobs (Meta's code raises in torch.multinomial).
 */
class NonFiniteModelTest {
    @TempDir
    static Path dir;
    static Path model;

    /** tiny-meta with its tokenizer, as an F32 GGUF whose first layer's attention norm has one NaN weight. */
    @BeforeAll
    static void writeModel() {
        Path src = SharedData.require("fixtures/meta/tiny-meta");
        model = dir.resolve("nan.gguf");
        try (LlamaWeights w = ModelFiles.loadWeights(src)) {
            w.layers().getFirst().attentionNorm()[5] = Float.NaN;
            var tokenizer = GgufTokenizers.fromTokenizerModel(src.resolve("tokenizer.model"), false);
            LlamaGgufExport.prepare(w, new LlamaGgufExport.Options("nan", GgufFileType.parse("f32"), tokenizer))
                    .write(model, null);
        }
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
            "greedy                 | --temperature=0    | --max-gen-len=4 | --seed=1",
            "sampled with logprobs  | --temperature=0.6  | --logprobs      | --max-gen-len=4",
            "prompt logprobs only   | --max-gen-len=0    | --logprobs      | --echo",
    })
    void generationFailsWithOneLineNamingThePosition(String what, String a, String b, String c) {
        // "Hello there" is <|begin_of_text|>, Hello, there: the last prompt position is 2
        CliRunner.Run r = CliRunner.run("complete", "-m", model.toString(), a, b, c, "Hello there");
        assertThat(r.exit()).as(r.stderr()).isEqualTo(1);
        assertThat(r.stdout()).doesNotContain("NaN");
        assertThat(r.stderr().lines().toList()).containsExactly("llama3j: the logits at position "
                + (what.startsWith("prompt") ? 0 : 2) + " of prompt 1 are not finite (token 0: NaN): the model's"
                + " weights or activations hold NaN or infinity (a damaged or wrongly converted model file?)");
    }
}
