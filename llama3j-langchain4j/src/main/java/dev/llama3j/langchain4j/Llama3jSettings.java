package dev.llama3j.langchain4j;

import dev.langchain4j.data.message.AiMessage;
import dev.langchain4j.exception.UnsupportedFeatureException;
import dev.langchain4j.internal.Json;
import dev.langchain4j.internal.JsonSchemaElementUtils;
import dev.langchain4j.model.chat.request.ChatRequest;
import dev.langchain4j.model.chat.request.ChatRequestParameters;
import dev.langchain4j.model.chat.request.ResponseFormatType;
import dev.langchain4j.model.chat.request.json.JsonSchema;
import dev.langchain4j.model.chat.response.ChatResponse;
import dev.langchain4j.model.output.FinishReason;
import dev.langchain4j.model.output.TokenUsage;
import dev.llama3j.LlamaException;
import dev.llama3j.api.GenerateOptions;
import dev.llama3j.api.GenerationResult;
import dev.llama3j.api.LlamaModel;
import dev.llama3j.chat.ToolFormat;

import java.nio.file.Path;
import java.util.List;
import java.util.Objects;

/** What the two chat models share: the model, the default parameters, and the mapping of requests and results. */
final class Llama3jSettings implements AutoCloseable {
    private final LlamaModel model;
    private final boolean owned;
    private final ChatRequestParameters defaults;
    private final Long seed;
    private final ToolFormat toolFormat;

    private Llama3jSettings(LlamaModel model, boolean owned, ChatRequestParameters defaults, Long seed,
                            ToolFormat toolFormat) {
        this.model = model;
        this.owned = owned;
        this.defaults = defaults;
        this.seed = seed;
        this.toolFormat = toolFormat;
    }

    LlamaModel model() {
        return model;
    }

    ChatRequestParameters defaults() {
        return defaults;
    }

    /** The request's tool prompt, or null for the plain chat format ({@link Llama3jTools#of}). */
    Llama3jTools tools(ChatRequest request) {
        return Llama3jTools.of(request, toolFormat);
    }

    /** A request's parameters (already merged with the defaults by LangChain4j) as llama3j's options. */
    GenerateOptions options(ChatRequestParameters p) {
        String jsonSchema = null;
        if (p.responseFormat() != null && p.responseFormat().type() == ResponseFormatType.JSON) {
            // LangChain4j's own translation of its schema elements into JSON Schema, as its OpenAI provider uses
            JsonSchema schema = p.responseFormat().jsonSchema();
            jsonSchema = schema == null || schema.rootElement() == null ? "{\"type\": \"object\"}"
                    : Json.toJson(JsonSchemaElementUtils.toMap(schema.rootElement()));
        }
        if (p.topK() != null) {
            throw new UnsupportedFeatureException("llama3j samples by temperature and top_p (Meta's way), not top_k");
        }
        if (p.frequencyPenalty() != null || p.presencePenalty() != null) {
            throw new UnsupportedFeatureException("llama3j's LangChain4j models take no frequency or presence penalty");
        }
        GenerateOptions o = GenerateOptions.defaults().withSeed(seed);
        if (p.temperature() != null) {
            o = o.withTemperature(p.temperature());
        }
        if (p.topP() != null) {
            o = o.withTopP(p.topP());
        }
        if (p.maxOutputTokens() != null) {
            o = o.withMaxTokens(p.maxOutputTokens());
        }
        if (p.stopSequences() != null) {
            o = o.withStop(p.stopSequences());
        }
        try {
            return o.withJsonSchema(jsonSchema);
        } catch (LlamaException e) {
            throw new UnsupportedFeatureException(e.getMessage());
        }
    }

    /** A finished answer as LangChain4j's response: the message, token usage, finish reason, model name. */
    ChatResponse response(AiMessage message, GenerationResult r) {
        FinishReason finish = message.hasToolExecutionRequests() ? FinishReason.TOOL_EXECUTION : switch (r.finish()) {
            case STOP -> FinishReason.STOP;
            case LENGTH -> FinishReason.LENGTH;
            case CANCELLED -> FinishReason.OTHER;
        };
        return ChatResponse.builder().aiMessage(message).modelName(model.name())
                .tokenUsage(new TokenUsage(r.promptTokens(), r.generatedTokens())).finishReason(finish).build();
    }

    @Override
    public void close() {
        if (owned) {
            model.close();
        }
    }

    /** The builder methods of both chat models. */
    abstract static class Builder<B extends Builder<B>> {
        private Path modelPath;
        private LlamaModel model;
        private LlamaModel.Options options = LlamaModel.Options.defaults();
        private Double temperature;
        private Double topP;
        private Integer maxTokens;
        private Long seed;
        private Integer threads;
        private List<String> stop;
        private ToolFormat toolFormat = ToolFormat.AUTO;

        @SuppressWarnings("unchecked")
        private B self() {
            return (B) this;
        }

        /** A model file or folder to load (a GGUF file, a Hugging Face or Meta folder); closed with the chat model. */
        public B modelPath(Path path) {
            this.modelPath = path;
            return self();
        }

        /** A model already loaded, shared with others (not closed with the chat model). */
        public B model(LlamaModel loaded) {
            this.model = loaded;
            return self();
        }

        /** How {@link #modelPath} is loaded: context length, parallel requests, numerics, cache types. */
        public B options(LlamaModel.Options o) {
            this.options = Objects.requireNonNull(o, "options");
            return self();
        }

        /** Sampling temperature (default 0.6; 0: always the likeliest token). */
        public B temperature(Double t) {
            this.temperature = t;
            return self();
        }

        /** Nucleus sampling's top_p (default 0.9). */
        public B topP(Double p) {
            this.topP = p;
            return self();
        }

        /** At most this many tokens per answer (default: up to the context's end). */
        public B maxTokens(Integer n) {
            this.maxTokens = n;
            return self();
        }

        /** The sampling seed: the same request then gives the same answer (default: a new seed each time). */
        public B seed(Long s) {
            this.seed = s;
            return self();
        }

        /** Strings that end an answer where they first appear. */
        public B stopSequences(List<String> strings) {
            this.stop = strings;
            return self();
        }

        /**
         * Worker threads of the model the builder loads ({@link LlamaModel.Options#withThreads}; default: the
         * process's, one per core).
         */
        public B threads(Integer n) {
            this.threads = n;
            return self();
        }

        /**
         * Meta's tool format that requests with tools are prompted in and answers read in (the server's and chat's
         * {@code --tool-format}; default {@link ToolFormat#AUTO}: the 3.1 template, answers read in every format).
         */
        public B toolFormat(ToolFormat format) {
            this.toolFormat = Objects.requireNonNull(format, "format");
            return self();
        }

        Llama3jSettings settings() {
            if ((modelPath == null) == (model == null)) {
                throw new IllegalStateException("give the builder exactly one of modelPath(...) and model(...)");
            }
            if (threads != null && model != null) {
                throw new IllegalStateException("threads(...) sets up the model the builder loads: give a loaded"
                        + " model its threads in LlamaModel.Options.withThreads");
            }
            ChatRequestParameters sampling = ChatRequestParameters.builder().temperature(temperature).topP(topP)
                    .maxOutputTokens(maxTokens).stopSequences(stop).build();
            // checks the defaults now, before loading, rather than at the first request
            new Llama3jSettings(null, false, sampling, seed, toolFormat).options(sampling);
            LlamaModel m = model != null ? model : LlamaModel.load(modelPath,
                    threads == null ? options : options.withThreads(threads));
            ChatRequestParameters defaults = ChatRequestParameters.builder().modelName(m.name())
                    .overrideWith(sampling).build();
            return new Llama3jSettings(m, model == null, defaults, seed, toolFormat);
        }
    }
}
