package dev.llama3j.tokenizer;

import dev.llama3j.LlamaException;

import java.util.List;

/**
 * The chat format of meta-llama/llama3 {@code ChatFormat}. Like Meta's code it takes any role string
 * (the ground truth includes custom, empty and capitalised roles) and strips the content with Python's
 * {@code str.strip()}. It renders text only: tool calls, context and images belong to the llama-models
 * format and are refused rather than silently dropped; a stop reason is ignored (always eot_id).
 */
final class Llama3ChatFormat implements ChatFormat {
    private final Tokenizer tokenizer;
    private final int startHeader;
    private final int endHeader;
    private final int eot;

    Llama3ChatFormat(Tokenizer tokenizer) {
        this.tokenizer = tokenizer;
        this.startHeader = tokenizer.specialTokenId("<|start_header_id|>");
        this.endHeader = tokenizer.specialTokenId("<|end_header_id|>");
        this.eot = tokenizer.eotId();
    }

    @Override
    public int[] encodeHeader(String role) {
        IntList out = new IntList(8);
        appendHeader(role, out);
        return out.toArray();
    }

    @Override
    public int[] encodeMessage(Message message) {
        IntList out = new IntList(32);
        appendMessage(message, out);
        return out.toArray();
    }

    @Override
    public int[] encodeDialogPrompt(List<Message> dialog) {
        IntList out = new IntList(64);
        out.add(tokenizer.bosId());
        for (Message m : dialog) {
            appendMessage(m, out);
        }
        appendHeader("assistant", out);
        return out.toArray();
    }

    private void appendHeader(String role, IntList out) {
        out.add(startHeader);
        out.addAll(tokenizer.encode(role, false, false));
        out.add(endHeader);
        out.addAll(tokenizer.encode("\n\n", false, false));
    }

    private void appendMessage(Message m, IntList out) {
        if (m.content().size() != 1 || !(m.content().getFirst() instanceof Message.Content.Text text)) {
            throw new LlamaException("the llama3 chat format takes one plain text content per message"
                    + " (role '" + m.role() + "' has " + m.content().size() + " parts; use the llama-models format)");
        }
        if (m.context() != null || !m.toolCalls().isEmpty()) {
            throw new LlamaException("the llama3 chat format cannot render context or tool_calls"
                    + " (role '" + m.role() + "'; use the llama-models format)");
        }
        appendHeader(m.role(), out);
        out.addAll(tokenizer.encode(PythonText.strip(text.text()), false, false));
        out.add(eot);
    }
}
