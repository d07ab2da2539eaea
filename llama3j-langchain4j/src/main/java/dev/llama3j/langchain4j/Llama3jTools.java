package dev.llama3j.langchain4j;

import com.fasterxml.jackson.databind.node.ArrayNode;
import dev.langchain4j.agent.tool.ToolSpecification;
import dev.langchain4j.data.message.AiMessage;
import dev.langchain4j.data.message.ChatMessage;
import dev.langchain4j.data.message.ToolExecutionResultMessage;
import dev.langchain4j.exception.InvalidRequestException;
import dev.langchain4j.exception.UnsupportedFeatureException;
import dev.langchain4j.model.chat.request.ChatRequest;
import dev.langchain4j.model.chat.request.ChatRequestParameters;
import dev.langchain4j.model.chat.request.ToolChoice;
import dev.llama3j.LlamaException;
import dev.llama3j.api.GenerateOptions;
import dev.llama3j.api.LlamaModel;
import dev.llama3j.chat.ForcedToolCall;
import dev.llama3j.chat.Message;
import dev.llama3j.chat.ToolFormat;

import java.util.List;
import java.util.concurrent.ThreadLocalRandom;

/**
 * A request with tools, prompted as the server prompts OpenAI's {@code tools} ({@link LlamaModel#toolPrompt}: Meta's
 * tool format, Llama 3.1+ models), and its answer read for calls. REQUIRED tool choice constrains the answer to a call
 * of one of the tools ({@link ForcedToolCall}), as the server's {@code tool_choice: "required"}.
 */
final class Llama3jTools {
    private final ToolFormat format;
    private final ArrayNode messages;
    private final ArrayNode tools;
    private final boolean forced;

    private Llama3jTools(ToolFormat format, ArrayNode messages, ArrayNode tools, boolean forced) {
        this.format = format;
        this.messages = messages;
        this.tools = tools;
        this.forced = forced;
    }

    /**
     * The request's tool prompt, or null when it neither offers tools (tool choice NONE offers none) nor holds tool
     * requests or results, and the model's plain chat format prompts it.
     */
    static Llama3jTools of(ChatRequest request, ToolFormat format) {
        ChatRequestParameters p = request.parameters();
        List<ToolSpecification> specs = p.toolSpecifications() == null ? List.of() : p.toolSpecifications();
        boolean offered = !specs.isEmpty() && p.toolChoice() != ToolChoice.NONE;
        boolean forced = p.toolChoice() == ToolChoice.REQUIRED;
        if (forced && !offered) {
            throw new InvalidRequestException("tool choice REQUIRED asks for a tool call, but the request has no"
                    + " tools");
        }
        if (forced && !format.jsonCalls()) {
            throw new UnsupportedFeatureException("tool choice REQUIRED constrains the answer to a JSON call, which"
                    + " tool format " + format.cliName() + " does not read: use " + ToolFormat.AUTO.cliName());
        }
        if (!offered && !hasToolTurns(request.messages())) {
            return null;
        }
        return new Llama3jTools(format, Llama3jToolJson.messages(request.messages()),
                offered ? Llama3jToolJson.tools(specs) : null, forced);
    }

    private static boolean hasToolTurns(List<ChatMessage> messages) {
        for (ChatMessage m : messages) {
            if (m instanceof ToolExecutionResultMessage || m instanceof AiMessage a && a.hasToolExecutionRequests()) {
                return true;
            }
        }
        return false;
    }

    /** The prompt tokens; a model without tools (Llama 3), or a dialog the template refuses, is unsupported. */
    int[] prompt(LlamaModel model) {
        try {
            return model.toolPrompt(format, messages, tools);
        } catch (LlamaException e) {
            throw new UnsupportedFeatureException(model.name() + ": " + e.getMessage());
        }
    }

    /** {@code o}, with REQUIRED tool choice a call of one of the tools instead of any response format. */
    GenerateOptions options(GenerateOptions o) {
        if (!forced) {
            return o;
        }
        try {
            return o.withJsonSchema(ForcedToolCall.schema(tools, null).toString());
        } catch (LlamaException e) {
            throw new UnsupportedFeatureException(e.getMessage());   // a keyword the grammar does not take, say
        }
    }

    /** Whether answers are read for calls (the request offers tools): their text is then held back until the end. */
    boolean readsCalls() {
        return tools != null;
    }

    /** The answer: its calls as tool requests (with ids of their own), or its text where it holds none. */
    AiMessage answer(String text) {
        List<Message.ToolCall> calls = readsCalls() ? format.parse(text) : List.of();
        if (calls.isEmpty()) {
            return AiMessage.from(text);
        }
        String prefix = "call_" + Long.toHexString(ThreadLocalRandom.current().nextLong() >>> 1);
        return AiMessage.from(Llama3jToolJson.requests(calls, prefix));
    }
}
