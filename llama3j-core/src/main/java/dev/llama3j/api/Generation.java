package dev.llama3j.api;

import dev.llama3j.LlamaException;
import dev.llama3j.generate.Engine;

import java.util.concurrent.CompletableFuture;

/**
 * An answer being generated ({@link LlamaModel#chat(java.util.List, GenerateOptions, java.util.function.Consumer)}):
 * its result when done, and a way to stop it early (the result then holds the text so far, finish CANCELLED).
 *
 * <pre>{@code
 * Generation g = model.chat(List.of(Message.user("Count to 100")), GenerateOptions.defaults(), System.out::print);
 * g.cancel();
 * System.out.println(g.result().join().finish()); // CANCELLED
 * }</pre>
 */
public final class Generation {
    /** null for a request the engine refused at once */
    private final Engine.Handle handle;
    private final CompletableFuture<GenerationResult> result;

    Generation(Engine.Handle handle, CompletableFuture<GenerationResult> result) {
        this.handle = handle;
        this.result = result;
    }

    /** Completes with the answer, or exceptionally with a {@link LlamaException} (for example a prompt too long). */
    public CompletableFuture<GenerationResult> result() {
        return result;
    }

    /** Stops generating: the model leaves this answer at its next step. */
    public void cancel() {
        if (handle != null) {
            handle.cancel();
        }
    }
}
