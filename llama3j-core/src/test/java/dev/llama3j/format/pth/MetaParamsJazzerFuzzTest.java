package dev.llama3j.format.pth;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.llama3j.FuzzTargets;
import dev.llama3j.LlamaException;
import org.junit.jupiter.api.Tag;

import java.nio.file.Path;

/**
 * Coverage-guided fuzzing (Jazzer) of Meta's {@code params.json} reader: any input either loads or fails with a
 * one-line {@link LlamaException}. Plain test runs replay {@code MetaParamsJazzerFuzzTestInputs/readParams/} (test
 * resources); {@code mvn -o test -Pfuzz} fuzzes.
 */
@Tag("slow")
class MetaParamsJazzerFuzzTest {
    private static final Path DIR = FuzzTargets.scratchDir("params");

    @FuzzTest(maxDuration = "30m", maxExecutions = 100_000)
    void readParams(byte[] input) {
        try {
            MetaParams.read(FuzzTargets.write(DIR, "params.json", input));
        } catch (LlamaException rejected) {
            FuzzTargets.requireOneLine(rejected);
        }
    }
}
