package dev.llama3j.generate;

/**
 * What a request's next token may be, step by step: for output that must follow a grammar, such as a JSON schema
 * ({@code grammar.JsonConstraint}). One instance follows one output; the engine calls it on its own thread.
 */
public interface TokenConstraint {
    /** Sets to negative infinity the logits ({@code logits[off .. off + vocab)}) of tokens that may not come next. */
    void restrict(float[] logits, int off, int vocab);

    /** Goes past {@code token}, one that {@link #restrict} left allowed (a stop token ends the output instead). */
    void accept(int token);
}
