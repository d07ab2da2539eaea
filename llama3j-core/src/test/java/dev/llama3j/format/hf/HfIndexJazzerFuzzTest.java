package dev.llama3j.format.hf;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.llama3j.FuzzTargets;
import dev.llama3j.LlamaException;
import org.junit.jupiter.api.Tag;

import java.nio.file.Path;

/**
 * Coverage-guided fuzzing (Jazzer) of the {@code model.safetensors.index.json} reader (its shards are absent, so a
 * valid index ends in a clean missing-shard error): any input either loads or fails with a one-line
 * {@link LlamaException}. Plain test runs replay {@code HfIndexJazzerFuzzTestInputs/openIndex/} (test resources);
 * {@code mvn -o test -Pfuzz} fuzzes.
 */
@Tag("slow")
class HfIndexJazzerFuzzTest {
    private static final Path DIR = FuzzTargets.scratchDir("hf-index");

    @FuzzTest(maxDuration = "30m", maxExecutions = 100_000)
    void openIndex(byte[] input) {
        try {
            FuzzTargets.write(DIR, HfCheckpoint.INDEX, input);
            HfCheckpoint.open(DIR).close();
        } catch (LlamaException rejected) {
            FuzzTargets.requireOneLine(rejected);
        }
    }
}
