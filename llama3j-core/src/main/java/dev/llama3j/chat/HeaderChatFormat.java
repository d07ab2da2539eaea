package dev.llama3j.chat;

import dev.llama3j.tokenizer.IntList;
import dev.llama3j.tokenizer.Tokenizer;

import java.util.List;

/**
 * The shape both Llama 3 chat formats share: begin_of_text, then per message a header
 * (start_header_id, role, end_header_id, "\n\n") and its content, and finally the header of the
 * assistant message the model is to write. Subclasses decide how a role is written and how content ends.
 */
abstract class HeaderChatFormat implements ChatFormat {
    final Tokenizer tokenizer;
    private final int startHeader;
    private final int endHeader;

    HeaderChatFormat(Tokenizer tokenizer) {
        this.tokenizer = tokenizer;
        this.startHeader = tokenizer.specialTokenId("<|start_header_id|>");
        this.endHeader = tokenizer.specialTokenId("<|end_header_id|>");
    }

    /** The role as the header writes it. */
    abstract String headerRole(String role);

    /** Appends a message's content and its closing token. */
    abstract void appendBody(Message message, IntList out);

    @Override
    public final int[] encodeHeader(String role) {
        IntList out = new IntList(8);
        appendHeader(role, out);
        return out.toArray();
    }

    @Override
    public final int[] encodeMessage(Message message) {
        IntList out = new IntList(32);
        appendHeader(message.role(), out);
        appendBody(message, out);
        return out.toArray();
    }

    @Override
    public final int[] encodeDialogPrompt(List<Message> dialog) {
        IntList out = new IntList(64);
        out.add(tokenizer.bosId());
        for (Message m : dialog) {
            appendHeader(m.role(), out);
            appendBody(m, out);
        }
        appendHeader("assistant", out);
        return out.toArray();
    }

    private void appendHeader(String role, IntList out) {
        out.add(startHeader);
        out.addAll(tokenizer.encode(headerRole(role), false, false));
        out.add(endHeader);
        out.addAll(tokenizer.encode("\n\n", false, false));
    }
}
