package dev.llama3j.format.gguf;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.llama3j.FuzzTargets;
import dev.llama3j.LlamaException;
import dev.llama3j.model.LayerWeights;
import dev.llama3j.model.LlamaWeights;
import dev.llama3j.tensor.Matrix;
import dev.llama3j.tokenizer.vocab.GgufTokenizer;
import org.junit.jupiter.api.Tag;

import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;

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
                exercise(w);
            }
        } catch (LlamaException rejected) {
            FuzzTargets.requireOneLine(rejected);
        }
    }

    /** Reads the first and last row of every matrix and one dot product, as inference would. */
    private static void exercise(LlamaWeights w) {
        List<Matrix> ms = new ArrayList<>(List.of(w.tokenEmbeddings(), w.output()));
        for (LayerWeights l : w.layers()) {
            ms.addAll(List.of(l.wq(), l.wk(), l.wv(), l.wo(), l.w1(), l.w2(), l.w3()));
        }
        for (Matrix m : ms) {
            float[] row = new float[m.cols()];
            m.row(0, row, 0);
            m.row(m.rows() - 1, row, 0);
            m.dot(m.rows() / 2, row, 0);
        }
    }
}
