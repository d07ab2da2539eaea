package dev.llama3j.langchain4j;

import dev.langchain4j.data.message.AiMessage;
import dev.langchain4j.model.chat.Capability;
import dev.langchain4j.model.chat.ChatModel;
import dev.langchain4j.model.chat.request.ChatRequest;
import dev.langchain4j.model.chat.request.ChatRequestParameters;
import dev.langchain4j.model.chat.response.ChatResponse;
import dev.llama3j.api.GenerateOptions;
import dev.llama3j.api.GenerationResult;
import dev.llama3j.api.LlamaModel;

import java.util.Set;

/**
 * A LangChain4j {@link ChatModel} on a local Llama model. Thread-safe: requests from many threads are generated
 * together ({@link LlamaModel}).
 *
 * <pre>{@code
 * ChatModel model = Llama3jChatModel.builder().modelPath(Path.of("Llama-3.2-1B-Instruct-Q4_0.gguf"))
 *         .temperature(0.0).maxTokens(64).build();
 * String answer = model.chat("Hello");
 * }</pre>
 */
public final class Llama3jChatModel implements ChatModel, AutoCloseable {
    private final Llama3jSettings settings;

    private Llama3jChatModel(Llama3jSettings settings) {
        this.settings = settings;
    }

    public static Builder builder() {
        return new Builder();
    }

    /**
     * JSON Schema answers: AI services' structured outputs are then constrained, not asked for in the prompt. Tools
     * have no capability of their own in LangChain4j: requests with tool specifications are simply answered.
     */
    @Override
    public Set<Capability> supportedCapabilities() {
        return Set.of(Capability.RESPONSE_FORMAT_JSON_SCHEMA);
    }

    @Override
    public ChatRequestParameters defaultRequestParameters() {
        return settings.defaults();
    }

    /** With tool specifications (or tool turns) the prompt is Meta's tool format's, and the answer read for calls. */
    @Override
    public ChatResponse doChat(ChatRequest request) {
        GenerateOptions options = settings.options(request.parameters());
        Llama3jTools tools = settings.tools(request);
        if (tools == null) {
            GenerationResult r = settings.model().chat(Llama3jMessages.toLlama(request.messages()), options);
            return settings.response(AiMessage.from(r.text()), r);
        }
        GenerationResult r = settings.model().generate(tools.prompt(settings.model()), tools.options(options));
        return settings.response(tools.answer(r.text()), r);
    }

    /** The model, when this chat model loaded it ({@link Builder#modelPath}). */
    @Override
    public void close() {
        settings.close();
    }

    /** Settings of a {@link Llama3jChatModel}; each request's own parameters take precedence. */
    public static final class Builder extends Llama3jSettings.Builder<Builder> {
        public Llama3jChatModel build() {
            return new Llama3jChatModel(settings());
        }
    }
}
