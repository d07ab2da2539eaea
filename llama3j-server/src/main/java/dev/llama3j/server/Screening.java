package dev.llama3j.server;

import dev.llama3j.chat.Message;
import dev.llama3j.guard.Guard;
import dev.llama3j.guard.GuardVerdict;

import java.util.List;

/**
 * What the server screens with a Llama Guard model: each chat request's last user message before the assistant
 * model runs ({@code input}), each answer before it is returned ({@code output}). The guard sees the user and
 * assistant turns only ({@link Guard#screenable}: its prompt has no place for system or tool messages).
 */
public record Screening(Guard guard, boolean input, boolean output) {

    GuardVerdict checkInput(List<Message> dialog) {
        return guard.checkInput(dialog);
    }

    GuardVerdict checkOutput(List<Message> dialog, String answer) {
        return guard.checkOutput(dialog, answer);
    }
}
