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
                if (a.hasToolExecutionRequests()) {
                    throw new UnsupportedFeatureException("llama3j's LangChain4j models do not call tools yet");
                }
                yield Message.assistant(a.text() == null ? "" : a.text());
            }
            case ToolExecutionResultMessage t -> new Message("ipython", t.text());
            default -> throw new UnsupportedFeatureException("llama3j cannot read a " + m.type() + " message");
        };
    }

    /** A user message's text parts, joined; images, audio and other parts are refused. */
    private static String text(UserMessage u) {
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
