package dev.llama3j.grammar;

import java.nio.charset.StandardCharsets;

/** A compiled schema: immutable and shareable; each output starts from its own {@link #start()} state. */
public final class JsonGrammar {
    private final Shape root;

    JsonGrammar(Shape root) {
        this.root = root;
    }

    /**
     * A fresh state before the first byte. Fresh so that the transitions each output remembers are dropped with
     * it instead of piling up on a state shared by all outputs.
     */
    public JsonState start() {
        return JsonState.start(root);
    }

    /** Whether {@code text} is, as a whole, an output that this grammar allows. */
    public boolean matches(String text) {
        JsonState s = start().accept(text.getBytes(StandardCharsets.UTF_8));
        return s != null && s.canEnd();
    }
}
