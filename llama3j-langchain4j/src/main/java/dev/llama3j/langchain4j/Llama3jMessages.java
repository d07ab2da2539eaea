package dev.llama3j.langchain4j;

import dev.langchain4j.data.message.AiMessage;
import dev.langchain4j.data.message.ChatMessage;
import dev.langchain4j.data.message.Content;
import dev.langchain4j.data.message.SystemMessage;
import dev.langchain4j.data.message.TextContent;
import dev.langchain4j.data.message.ToolExecutionResultMessage;
import dev.langchain4j.data.message.UserMessage;
import dev.langchain4j.exception.UnsupportedFeatureException;
import dev.llama3j.chat.Message;
import dev.llama3j.chat.StopReason;

import java.util.ArrayList;
import java.util.List;

/** LangChain4j's messages as Llama 3's turns: system, user, assistant, and tool results as ipython turns. */
final class Llama3jMessages {
    private Llama3jMessages() {}

    static List<Message> toLlama(List<ChatMessage> messages) {
        List<Message> out = new ArrayList<>(messages.size());
        for (ChatMessage m : messages) {
            out.add(toLlama(m));
        }
        return out;
    }

    static Message toLlama(ChatMessage m) {
        return switch (m) {
            case SystemMessage s -> Message.system(s.text());
            case UserMessage u -> Message.user(text(u));
            case AiMessage a -> {
                String text = a.text() == null ? "" : a.text();
                if (!a.hasToolExecutionRequests()) {
                    yield Message.assistant(text);
                }
                // the chat models prompt tool turns in a tool format (Llama3jTools); this is for token counts
                yield new Message("assistant", List.of(new Message.Content.Text(text)), null, StopReason.END_OF_TURN,
                        a.toolExecutionRequests().stream().map(Llama3jToolJson::call).toList());
            }
            case ToolExecutionResultMessage t -> new Message("ipython", t.text());
            default -> throw new UnsupportedFeatureException("llama3j cannot read a " + m.type() + " message");
        };
    }

    /** A user message's text parts, joined; images, audio and other parts are refused. */
    static String text(UserMessage u) {
        StringBuilder sb = new StringBuilder();
        for (Content c : u.contents()) {
            if (!(c instanceof TextContent t)) {
                throw new UnsupportedFeatureException("llama3j reads text only, not " + c.type() + " content");
            }
            sb.append(t.text());
        }
        return sb.toString();
    }
}
