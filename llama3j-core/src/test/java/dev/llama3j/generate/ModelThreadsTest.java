package dev.llama3j.generate;

import dev.llama3j.SharedData;
import dev.llama3j.tensor.Numerics;
import dev.llama3j.tensor.Parallel;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Thread counts are a model's option ({@link ModelOptions#threads}): two models with different counts live in one
 * JVM, each on its own threads, the process's pool untouched, and the results do not depend on the count.
 */
class ModelThreadsTest {
    @Test
    void twoModelsWithTheirOwnThreadCountsGiveTheSameTokens() {
        Path model = SharedData.require("fixtures/gguf/tiny-gguf-q8_0.gguf");
        int before = Parallel.threads();
        ModelOptions base = ModelOptions.of(64, 2).withNumerics(Numerics.INT8);
        try (Llama one = Llama.build(model, null, base.withThreads(1));
             Llama three = Llama.build(model, null, base.withThreads(3));
             Llama shared = Llama.build(model, null, base)) {
            List<String> prompts = List.of("The capital of France is", "Once upon a time");
            var a = one.textCompletion(prompts, 0f, 0.9f, 12, true, false, TokenListener.NONE);
            var b = three.textCompletion(prompts, 0f, 0.9f, 12, true, false, TokenListener.NONE);
            var c = shared.textCompletion(prompts, 0f, 0.9f, 12, true, false, TokenListener.NONE);
            for (int i = 0; i < prompts.size(); i++) {
                assertThat(b.get(i).tokens()).isEqualTo(a.get(i).tokens()).isEqualTo(c.get(i).tokens());
                assertThat(b.get(i).logprobs()).isEqualTo(a.get(i).logprobs()).isEqualTo(c.get(i).logprobs());
            }
        }
        assertThat(Parallel.threads()).isEqualTo(before);
    }
}
