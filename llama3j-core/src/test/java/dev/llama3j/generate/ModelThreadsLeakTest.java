package dev.llama3j.generate;

import dev.llama3j.LlamaException;
import dev.llama3j.SharedData;
import dev.llama3j.model.CacheType;
import dev.llama3j.tensor.Numerics;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** A model whose build fails after its threads were started stops them: retrying does not pile threads up. */
class ModelThreadsLeakTest {
    private static long modelWorkers() {
        return Thread.getAllStackTraces().keySet().stream()
                .filter(t -> t.isAlive() && t.getName().startsWith("llama3j-model-worker-")).count();
    }

    @Test
    void aFailedBuildStopsItsThreads() throws InterruptedException {
        Path model = SharedData.require("fixtures/gguf/tiny-gguf-q8_0.gguf");
        long before = modelWorkers();
        for (int i = 0; i < 3; i++) {
            // a KV cache of 2^31 positions: more than any machine's memory, refused after the threads started
            ModelOptions huge = new ModelOptions(4096, 1 << 19, 1, Numerics.EXACT, CacheType.F32, CacheType.F32, 4);
            assertThatThrownBy(() -> Llama.build(model, null, huge)).isInstanceOf(LlamaException.class)
                    .hasMessageContaining("KV cache");
        }
        long deadline = System.nanoTime() + 5_000_000_000L;
        while (modelWorkers() > before && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        assertThat(modelWorkers()).isEqualTo(before);
    }
}
