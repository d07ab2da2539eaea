package dev.llama3j.format.safetensors;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.llama3j.FuzzTargets;
import dev.llama3j.LlamaException;
import dev.llama3j.tensor.Tensor;
import org.junit.jupiter.api.Tag;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * Coverage-guided fuzzing (Jazzer) of the safetensors header and tensor extents: any input either loads or fails with
 * a one-line {@link LlamaException}. Plain test runs replay {@code SafetensorsJazzerFuzzTestInputs/readTensors/}
 * (test resources); {@code mvn -o test -Pfuzz} fuzzes.
 */
@Tag("slow")
class SafetensorsJazzerFuzzTest {

    @FuzzTest(maxDuration = "30m", maxExecutions = 100_000)
    void readTensors(byte[] input) {
        try {
            for (Tensor t : SafetensorsFile.readTensors("fuzz.safetensors", MemorySegment.ofArray(input)).values()) {
                if (t.data().byteSize() > 0) {
                    t.data().get(ValueLayout.JAVA_BYTE, t.data().byteSize() - 1);
                }
            }
        } catch (LlamaException rejected) {
            FuzzTargets.requireOneLine(rejected);
        }
    }
}
