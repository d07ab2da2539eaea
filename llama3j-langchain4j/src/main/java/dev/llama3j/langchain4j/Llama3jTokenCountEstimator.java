package dev.llama3j.langchain4j;

import dev.langchain4j.data.message.ChatMessage;
import dev.langchain4j.model.TokenCountEstimator;
import dev.llama3j.api.LlamaModel;

import java.util.ArrayList;
import java.util.List;

/**
 * Token counts from the model's own tokenizer, not estimates: text alone; a message's turn as the chat models'
 * prompt holds it; a list of messages as the whole prompt (begin-of-text and the answer's header included).
 */
public final class Llama3jTokenCountEstimator implements TokenCountEstimator {
    private final LlamaModel model;

    public Llama3jTokenCountEstimator(LlamaModel model) {
        this.model = model;
    }

    @Override
    public int estimateTokenCountInText(String text) {
        return model.countTokens(text);
    }

    /**
     * The tokens of the message's turn (header, text, end of turn): a prompt's tokens with it minus those without
     * it, so that per-message counts add up (the prompt's begin-of-text and answer header are counted once, by
     * {@link #estimateTokenCountInMessages}).
     */
    @Override
    public int estimateTokenCountInMessage(ChatMessage message) {
        return model.countPromptTokens(List.of(Llama3jMessages.toLlama(message))) - model.countPromptTokens(List.of());
    }

    @Override
    public int estimateTokenCountInMessages(Iterable<ChatMessage> messages) {
        List<ChatMessage> all = new ArrayList<>();
        messages.forEach(all::add);
        return model.countPromptTokens(Llama3jMessages.toLlama(all));
    }
}
