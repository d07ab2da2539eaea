package dev.llama3j.grammar;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.llama3j.FuzzTargets;
import org.junit.jupiter.api.Tag;

import java.nio.charset.StandardCharsets;

/**
 * Coverage-guided fuzzing (Jazzer) of GBNF grammars, which requests send: any text either compiles or fails with a
 * one-line {@link GbnfException}, within the bounds of {@link GbnfLimits}; a grammar that compiles then reads the
 * input's own bytes as an output, and fails, if at all, only by its ambiguity bound. Plain test runs replay
 * {@code GbnfJazzerFuzzTestInputs/compileAndMatch/} (test resources); {@code mvn -o test -Pfuzz} fuzzes.
 */
@Tag("slow")
class GbnfJazzerFuzzTest {
    @FuzzTest(maxDuration = "30m", maxExecutions = 100_000)
    void compileAndMatch(byte[] input) {
        GbnfGrammar grammar;
        try {
            grammar = GbnfGrammar.compile(new String(input, StandardCharsets.UTF_8));
        } catch (GbnfException rejected) {
            FuzzTargets.requireOneLine(rejected);
            return;
        }
        try {
            GrammarState<?> s = grammar.start();
            s.isComplete();
            for (int i = 0; i < input.length && s != null; i++) s = s.accept(input[i]);
        } catch (GbnfException tooAmbiguous) {
            FuzzTargets.requireOneLine(tooAmbiguous);
        }
    }
}
