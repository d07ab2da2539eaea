package dev.llama3j.langchain4j;

import dev.langchain4j.data.message.ChatMessage;
import dev.langchain4j.model.TokenCountEstimator;
import dev.llama3j.api.LlamaModel;

import java.util.ArrayList;
import java.util.List;

/**
 * Token counts from the model's own tokenizer: exact for text, and for messages the tokens of the prompt the chat
 * models read (chat headers included), not an estimate.
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

    @Override
    public int estimateTokenCountInMessage(ChatMessage message) {
        return model.countPromptTokens(List.of(Llama3jMessages.toLlama(message)));
    }

    @Override
    public int estimateTokenCountInMessages(Iterable<ChatMessage> messages) {
        List<ChatMessage> all = new ArrayList<>();
        messages.forEach(all::add);
        return model.countPromptTokens(Llama3jMessages.toLlama(all));
    }
}
