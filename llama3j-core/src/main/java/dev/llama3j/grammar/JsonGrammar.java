package dev.llama3j.grammar;

/** A compiled schema: immutable and shareable; each output starts from its own {@link #start()} state. */
public final class JsonGrammar implements Grammar {
    private final Shape root;

    JsonGrammar(Shape root) {
        this.root = root;
    }

    @Override
    public JsonState start() {
        return JsonState.start(root);
    }
}
