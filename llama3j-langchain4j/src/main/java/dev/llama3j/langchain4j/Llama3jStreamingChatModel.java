package dev.llama3j.langchain4j;

import dev.langchain4j.data.message.AiMessage;
import dev.langchain4j.model.chat.Capability;
import dev.langchain4j.model.chat.StreamingChatModel;
import dev.langchain4j.model.chat.request.ChatRequest;
import dev.langchain4j.model.chat.request.ChatRequestParameters;
import dev.langchain4j.model.chat.response.StreamingChatResponseHandler;
import dev.llama3j.api.Generation;
import dev.llama3j.api.LlamaModel;

import java.util.Set;

/**
 * A LangChain4j {@link StreamingChatModel} on a local Llama model: the answer's text arrives in pieces (whole
 * characters) through {@link StreamingChatResponseHandler#onPartialResponse(String)}, then the whole response.
 * Thread-safe ({@link LlamaModel}).
 *
 * <pre>{@code
 * StreamingChatModel model = Llama3jStreamingChatModel.builder().modelPath(Path.of("model.gguf")).build();
 * model.chat("Tell me a story", handler);
 * }</pre>
 */
public final class Llama3jStreamingChatModel implements StreamingChatModel, AutoCloseable {
    private final Llama3jSettings settings;

    private Llama3jStreamingChatModel(Llama3jSettings settings) {
        this.settings = settings;
    }

    public static Builder builder() {
        return new Builder();
    }

    /** JSON Schema answers: AI services' structured outputs are then constrained, not asked for in the prompt. */
    @Override
    public Set<Capability> supportedCapabilities() {
        return Set.of(Capability.RESPONSE_FORMAT_JSON_SCHEMA);
    }

    @Override
    public ChatRequestParameters defaultRequestParameters() {
        return settings.defaults();
    }

    @Override
    public void doChat(ChatRequest request, StreamingChatResponseHandler handler) {
        Generation g;
        try {
            g = settings.model().chat(Llama3jMessages.toLlama(request.messages()),
                    settings.options(request.parameters()), handler::onPartialResponse);
        } catch (RuntimeException e) {
            handler.onError(e);
            return;
        }
        g.result().whenComplete((r, e) -> {
            if (e != null) {
                handler.onError(e);
            } else {
                handler.onCompleteResponse(settings.response(AiMessage.from(r.text()), r));
            }
        });
    }

    /** The model, when this chat model loaded it ({@link Builder#modelPath}). */
    @Override
    public void close() {
        settings.close();
    }

    /** Settings of a {@link Llama3jStreamingChatModel}; each request's own parameters take precedence. */
    public static final class Builder extends Llama3jSettings.Builder<Builder> {
        public Llama3jStreamingChatModel build() {
            return new Llama3jStreamingChatModel(settings());
        }
    }
}
