package dev.llama3j.api;

/**
 * A finished answer: its text, the tokens the prompt and the answer took, and why it ended.
 *
 * @param finish {@link Finish#STOP}: the model ended its turn or a stop string appeared; {@link Finish#LENGTH}: the
 *               token limit or the context's end; {@link Finish#CANCELLED}: {@link Generation#cancel()}
 */
public record GenerationResult(String text, int promptTokens, int generatedTokens, Finish finish) {

    /** Why generation ended. */
    public enum Finish { STOP, LENGTH, CANCELLED }
}
