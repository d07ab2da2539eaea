package dev.llama3j.tokenizer.vocab;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.llama3j.FuzzTargets;
import dev.llama3j.LlamaException;
import org.junit.jupiter.api.Tag;

import java.nio.file.Path;

/**
 * Coverage-guided fuzzing (Jazzer) of the tiktoken {@code tokenizer.model} reader and the tokenizer built from it:
 * any input either loads or fails with a one-line {@link LlamaException}. Plain test runs replay
 * {@code TiktokenJazzerFuzzTestInputs/loadTokenizerModel/} (test resources); {@code mvn -o test -Pfuzz} fuzzes.
 */
@Tag("slow")
class TiktokenJazzerFuzzTest {
    private static final Path DIR = FuzzTargets.scratchDir("tiktoken");

    @FuzzTest(maxDuration = "30m", maxExecutions = 100_000)
    void loadTokenizerModel(byte[] input) {
        try {
            TiktokenFile.load(FuzzTargets.write(DIR, "tokenizer.model", input));
        } catch (LlamaException rejected) {
            FuzzTargets.requireOneLine(rejected);
        }
    }
}
