package dev.llama3j.langchain4j;

import dev.langchain4j.agent.tool.ToolExecutionRequest;
import dev.langchain4j.data.message.AiMessage;
import dev.langchain4j.model.chat.Capability;
import dev.langchain4j.model.chat.StreamingChatModel;
import dev.langchain4j.model.chat.request.ChatRequest;
import dev.langchain4j.model.chat.request.ChatRequestParameters;
import dev.langchain4j.model.chat.response.ChatResponse;
import dev.langchain4j.model.chat.response.CompleteToolCall;
import dev.langchain4j.model.chat.response.PartialToolCall;
import dev.langchain4j.model.chat.response.StreamingChatResponseHandler;
import dev.llama3j.api.GenerateOptions;
import dev.llama3j.api.Generation;
import dev.llama3j.api.LlamaModel;

import java.util.List;
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

    /** JSON Schema answers, as {@link Llama3jChatModel#supportedCapabilities()}; tools have no capability. */
    @Override
    public Set<Capability> supportedCapabilities() {
        return Set.of(Capability.RESPONSE_FORMAT_JSON_SCHEMA);
    }

    @Override
    public ChatRequestParameters defaultRequestParameters() {
        return settings.defaults();
    }

    /**
     * With tool specifications the answer is held back until it is known to be calls or text, as the server holds
     * it: calls arrive through {@link StreamingChatResponseHandler#onPartialToolCall} and
     * {@link StreamingChatResponseHandler#onCompleteToolCall} (each whole) before the response, text in one piece.
     */
    @Override
    public void doChat(ChatRequest request, StreamingChatResponseHandler handler) {
        Llama3jTools tools;
        Generation g;
        try {
            GenerateOptions options = settings.options(request.parameters());
            tools = settings.tools(request);
            LlamaModel model = settings.model();
            if (tools == null) {
                g = model.chat(Llama3jMessages.toLlama(request.messages()), options, handler::onPartialResponse);
            } else {
                g = model.generate(tools.prompt(model), tools.options(options),
                        tools.readsCalls() ? null : handler::onPartialResponse);
            }
        } catch (RuntimeException e) {
            handler.onError(e);
            return;
        }
        g.result().whenComplete((r, e) -> {
            if (e != null) {
                handler.onError(e);
                return;
            }
            ChatResponse response;
            try {
                response = settings.response(tools == null ? AiMessage.from(r.text()) : tools.answer(r.text()), r);
            } catch (RuntimeException x) {
                handler.onError(x);
                return;
            }
            if (tools != null) {
                deliverHeldBack(response.aiMessage(), tools.readsCalls(), handler);
            }
            handler.onCompleteResponse(response);
        });
    }

    /** What was held back: each call, whole, or the text in one piece. */
    private static void deliverHeldBack(AiMessage answer, boolean heldBack, StreamingChatResponseHandler handler) {
        List<ToolExecutionRequest> calls = answer.toolExecutionRequests();
        for (int i = 0; i < calls.size(); i++) {
            ToolExecutionRequest c = calls.get(i);
            handler.onPartialToolCall(PartialToolCall.builder().index(i).id(c.id()).name(c.name())
                    .partialArguments(c.arguments()).build());
            handler.onCompleteToolCall(new CompleteToolCall(i, c));
        }
        if (heldBack && calls.isEmpty() && !answer.text().isEmpty()) {
            handler.onPartialResponse(answer.text());
        }
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
