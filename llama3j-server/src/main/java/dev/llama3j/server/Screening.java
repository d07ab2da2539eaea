package dev.llama3j.server;

import dev.llama3j.chat.Message;
import dev.llama3j.guard.Guard;
import dev.llama3j.guard.GuardVerdict;
import dev.llama3j.tokenizer.Tokenizer;

import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * What the server screens with a Llama Guard model: each request's prompt before the assistant model runs
 * ({@code input}), each answer before it is returned ({@code output}). A chat is screened on its user and assistant
 * turns ({@link Guard#screenable}: the guard's prompt has no place for system or tool messages), a completion prompt
 * as one user turn whose answer is the completion ({@link #completionTurns}).
 */
public record Screening(Guard guard, boolean input, boolean output) {

    /**
     * What the guard sees of a completion prompt: one user turn, the prompt's text (its tokens decoded, a leading
     * {@code <|begin_of_text|>} left out, special tokens spelled out as plain text).
     */
    static List<Message> completionTurns(Tokenizer tokenizer, int[] prompt) {
        int from = prompt.length > 0 && prompt[0] == tokenizer.bosId() ? 1 : 0;
        return List.of(Message.user(tokenizer.decode(Arrays.copyOfRange(prompt, from, prompt.length))));
    }

    GuardVerdict checkInput(List<Message> dialog) {
        return guard.checkInput(dialog);
    }

    GuardVerdict checkOutput(List<Message> dialog, String answer) {
        return guard.checkOutput(dialog, answer);
    }

    /** {@link #checkInput} run beside other checks. */
    CompletableFuture<GuardVerdict> submitInput(List<Message> dialog) {
        return guard.submitInput(dialog);
    }

    /** {@link #checkOutput} run beside other checks. */
    CompletableFuture<GuardVerdict> submitOutput(List<Message> dialog, String answer) {
        return guard.submitOutput(dialog, answer);
    }
}
