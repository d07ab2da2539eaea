package dev.llama3j.generate;

/** Receives each generated token as soon as it is chosen (for streaming output). */
@FunctionalInterface
public interface TokenListener {
    TokenListener NONE = (row, token) -> {};

    /** Token {@code token} was generated for batch row {@code row}; stop tokens are not reported. */
    void onToken(int row, int token);
}
