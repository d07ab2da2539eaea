package dev.llama3j.chat;

import java.util.List;
import java.util.Objects;

/**
 * One message of a chat dialog. Most messages are just a role and a text; the other fields carry what
 * the Llama 3.1+ format of meta-llama/llama-models renders (retrieval context of a user message, tool
 * calls and stop reason of an assistant message, images). The Llama 3 format uses only role and text.
 *
 * @param role       "system", "user", "assistant", or "tool"/"ipython" (Llama 3 accepts any string)
 * @param content    text and image parts, in order
 * @param context    retrieval context appended to a user message (llama-models), or null
 * @param stopReason how an assistant message ended (END_OF_MESSAGE renders eom_id), or null
 * @param toolCalls  tool calls of an assistant message (llama-models)
 */
public record Message(String role, List<Content> content, String context, StopReason stopReason,
                      List<ToolCall> toolCalls) {

    public Message {
        Objects.requireNonNull(role, "role");
        content = List.copyOf(content);
        toolCalls = List.copyOf(toolCalls);
    }

    /** A plain text message. */
    public Message(String role, String text) {
        this(role, List.of(new Content.Text(text)), null, null, List.of());
    }

    /** The text parts joined (what a plain message holds). */
    public String text() {
        StringBuilder b = new StringBuilder();
        for (Content c : content) {
            if (c instanceof Content.Text t) {
                b.append(t.text());
            }
        }
        return b.toString();
    }

    public static Message system(String text) {
        return new Message("system", text);
    }

    public static Message user(String text) {
        return new Message("user", text);
    }

    public static Message assistant(String text) {
        return new Message("assistant", text);
    }

    /** One part of a message's content. */
    public sealed interface Content {
        record Text(String text) implements Content {
            public Text {
                Objects.requireNonNull(text, "text");
            }
        }

        /** An image: the llama-models format renders it as the vision token (id 128256); pixels are not modelled. */
        record Image() implements Content {}
    }

    /**
     * A tool call of an assistant message.
     *
     * @param toolName  a built-in tool (brave_search, wolfram_alpha, photogen, code_interpreter) or a custom function
     * @param arguments JSON-like values: String, Boolean, Integer/Long/BigInteger, Double, null, List, Map (ordered)
     */
    public record ToolCall(String toolName, java.util.Map<String, Object> arguments) {
        public ToolCall {
            Objects.requireNonNull(toolName, "toolName");
            Objects.requireNonNull(arguments, "arguments");
        }
    }
}
