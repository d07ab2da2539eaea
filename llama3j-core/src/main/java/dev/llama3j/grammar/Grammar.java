package dev.llama3j.grammar;

import java.nio.charset.StandardCharsets;

/**
 * A compiled grammar that constrains an output: a JSON Schema's ({@link JsonGrammar}) or a GBNF grammar's
 * ({@link GbnfGrammar}). Immutable and shareable; each output starts from its own {@link #start()} state.
 */
public sealed interface Grammar permits JsonGrammar, GbnfGrammar {
    /**
     * A fresh state before the first byte. Fresh so that the transitions each output remembers are dropped with
     * it instead of piling up on a state shared by all outputs.
     */
    GrammarState<?> start();

    /** Whether {@code text} is, as a whole, an output that this grammar allows. */
    default boolean matches(String text) {
        GrammarState<?> s = start().accept(text.getBytes(StandardCharsets.UTF_8));
        return s != null && s.canEnd();
    }
}
