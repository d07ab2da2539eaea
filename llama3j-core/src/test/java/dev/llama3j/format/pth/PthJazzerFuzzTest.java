package dev.llama3j.format.pth;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.llama3j.FuzzTargets;
import dev.llama3j.LlamaException;
import dev.llama3j.tensor.Tensor;
import org.junit.jupiter.api.Tag;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * Coverage-guided fuzzing (Jazzer) of Meta's {@code consolidated.*.pth} reader (the zip archive and the unpickler):
 * any input either loads or fails with a one-line {@link LlamaException}. Plain test runs replay
 * {@code PthJazzerFuzzTestInputs/readTensors/} (test resources); {@code mvn -o test -Pfuzz} fuzzes.
 */
@Tag("slow")
class PthJazzerFuzzTest {

    @FuzzTest(maxDuration = "30m", maxExecutions = 100_000)
    void readTensors(byte[] input) {
        try {
            for (Tensor t : PthCheckpoint.readTensors("fuzz.pth", MemorySegment.ofArray(input)).values()) {
                if (t.data().byteSize() > 0) {
                    t.data().get(ValueLayout.JAVA_BYTE, t.data().byteSize() - 1);
                }
            }
        } catch (LlamaException rejected) {
            FuzzTargets.requireOneLine(rejected);
        }
    }
}
