package dev.llama3j.chat;

import dev.llama3j.LlamaException;
import dev.llama3j.tokenizer.Tokenizer;

import java.util.List;

/** Turns chat messages into prompt tokens. */
public interface ChatFormat {
    /** Names accepted by {@link #forName}. */
    List<String> NAMES = List.of("llama3", "llama-models");

    /** start_header_id, the role, end_header_id, "\n\n". */
    int[] encodeHeader(String role);

    /** The header, the content, and the end-of-turn (or end-of-message) token. */
    int[] encodeMessage(Message message);

    /** begin_of_text, every message, and the header of the assistant message the model is to write. */
    int[] encodeDialogPrompt(List<Message> dialog);

    /** meta-llama/llama3 {@code ChatFormat}: content is {@code str.strip()}ped. */
    static ChatFormat llama3(Tokenizer tokenizer) {
        return new Llama3ChatFormat(tokenizer);
    }

    /** The Llama 3.1+ format of meta-llama/llama-models. */
    static ChatFormat llamaModels(Tokenizer tokenizer, ToolPromptFormat toolPromptFormat) {
        return new LlamaModelsChatFormat(tokenizer, toolPromptFormat);
    }

    /** "llama3" or "llama-models" (the tool prompt format matters only to the latter). */
    static ChatFormat forName(String name, Tokenizer tokenizer, ToolPromptFormat toolPromptFormat) {
        return switch (name) {
            case "llama3" -> llama3(tokenizer);
            case "llama-models" -> llamaModels(tokenizer, toolPromptFormat);
            default -> throw new LlamaException("unknown chat format '" + name + "': expected one of " + NAMES);
        };
    }
}
