package dev.llama3j.format.gguf;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.llama3j.FuzzTargets;
import dev.llama3j.LlamaException;
import dev.llama3j.model.LlamaWeights;
import dev.llama3j.tokenizer.vocab.GgufTokenizer;
import org.junit.jupiter.api.Tag;

import java.lang.foreign.MemorySegment;

/**
 * Coverage-guided fuzzing (Jazzer) of the GGUF parser, model loader and tokenizer metadata: any input either
 * loads or fails with a {@link LlamaException}. Plain test runs replay the committed inputs under
 * {@code GgufJazzerFuzzTestInputs/parseAndLoad/} (test resources); {@code mvn -o test -Pfuzz} fuzzes.
 */
@Tag("slow")
class GgufJazzerFuzzTest {

    @FuzzTest(maxDuration = "30m", maxExecutions = 100_000)
    void parseAndLoad(byte[] input) {
        try (GgufFile f = GgufFile.parse(MemorySegment.ofArray(input), "fuzz.gguf", null)) {
            if (GgufTokenizer.present(f.metadata())) {
                try {
                    GgufTokenizer.load(f.metadata(), "fuzz.gguf");
                } catch (LlamaException rejected) {
                    FuzzTargets.requireOneLine(rejected);   // the weights are still tried
                }
            }
            try (LlamaWeights w = GgufModelLoader.load(f)) {
                GgufFuzzTest.exercise(w);
            }
        } catch (LlamaException rejected) {
            FuzzTargets.requireOneLine(rejected);
        }
    }
}
