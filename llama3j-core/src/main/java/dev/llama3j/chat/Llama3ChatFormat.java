package dev.llama3j.chat;

import dev.llama3j.LlamaException;
import dev.llama3j.tokenizer.IntList;
import dev.llama3j.tokenizer.PythonText;
import dev.llama3j.tokenizer.Tokenizer;

/**
 * The chat format of meta-llama/llama3 {@code ChatFormat}. Like Meta's code it takes any role string
 * (the ground truth includes custom, empty and capitalised roles) and strips the content with Python's
 * {@code str.strip()}. It renders text only: tool calls, context and images belong to the llama-models
 * format and are refused rather than silently dropped; a stop reason is ignored (always eot_id).
 */
final class Llama3ChatFormat extends HeaderChatFormat {
    Llama3ChatFormat(Tokenizer tokenizer) {
        super(tokenizer);
    }

    @Override
    String headerRole(String role) {
        return role;
    }

    @Override
    void appendBody(Message m, IntList out) {
        if (m.content().size() != 1 || !(m.content().getFirst() instanceof Message.Content.Text text)) {
            throw new LlamaException("the llama3 chat format takes one plain text content per message"
                    + " (role '" + m.role() + "' has " + m.content().size() + " parts; use the llama-models format)");
        }
        if (m.context() != null || !m.toolCalls().isEmpty()) {
            throw new LlamaException("the llama3 chat format cannot render context or tool_calls"
                    + " (role '" + m.role() + "'; use the llama-models format)");
        }
        out.addAll(tokenizer.encode(PythonText.strip(text.text()), false, false));
        out.add(tokenizer.eotId());
    }
}
