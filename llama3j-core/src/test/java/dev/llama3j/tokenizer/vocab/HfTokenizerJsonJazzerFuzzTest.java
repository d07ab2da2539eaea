package dev.llama3j.tokenizer.vocab;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.llama3j.FuzzTargets;
import dev.llama3j.LlamaException;
import org.junit.jupiter.api.Tag;

import java.nio.file.Path;

/**
 * Coverage-guided fuzzing (Jazzer) of the Hugging Face {@code tokenizer.json} reader and the tokenizer built from it:
 * any input either loads or fails with a one-line {@link LlamaException}. Plain test runs replay
 * {@code HfTokenizerJsonJazzerFuzzTestInputs/loadTokenizerJson/} (test resources); {@code mvn -o test -Pfuzz} fuzzes.
 */
@Tag("slow")
class HfTokenizerJsonJazzerFuzzTest {
    private static final Path DIR = FuzzTargets.scratchDir("tokenizer-json");

    @FuzzTest(maxDuration = "30m", maxExecutions = 100_000)
    void loadTokenizerJson(byte[] input) {
        try {
            HfTokenizerJson.load(FuzzTargets.write(DIR, HfTokenizerJson.FILE_NAME, input));
        } catch (LlamaException rejected) {
            FuzzTargets.requireOneLine(rejected);
        }
    }
}
