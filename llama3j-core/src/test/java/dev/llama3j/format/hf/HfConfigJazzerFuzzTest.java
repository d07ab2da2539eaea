package dev.llama3j.format.hf;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.llama3j.FuzzTargets;
import dev.llama3j.LlamaException;
import org.junit.jupiter.api.Tag;

import java.nio.file.Path;

/**
 * Coverage-guided fuzzing (Jazzer) of the Hugging Face {@code config.json} reader: any input either loads or fails
 * with a one-line {@link LlamaException}. Plain test runs replay {@code HfConfigJazzerFuzzTestInputs/readConfig/}
 * (test resources); {@code mvn -o test -Pfuzz} fuzzes.
 */
@Tag("slow")
class HfConfigJazzerFuzzTest {
    private static final Path DIR = FuzzTargets.scratchDir("hf-config");

    @FuzzTest(maxDuration = "30m", maxExecutions = 100_000)
    void readConfig(byte[] input) {
        try {
            FuzzTargets.write(DIR, HfConfigParser.CONFIG, input);
            HfConfigParser.read(DIR);
        } catch (LlamaException rejected) {
            FuzzTargets.requireOneLine(rejected);
        }
    }
}
