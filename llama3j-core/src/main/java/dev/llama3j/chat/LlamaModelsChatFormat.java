package dev.llama3j.chat;

import dev.llama3j.LlamaException;
import dev.llama3j.tokenizer.IntList;
import dev.llama3j.tokenizer.SpecialTokenNames;
import dev.llama3j.tokenizer.Tokenizer;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The Llama 3.1+ chat format of meta-llama/llama-models ({@code models/llama3/chat_format.py}):
 * content is not stripped; role "tool" is written as "ipython"; a user message's context follows its
 * content after "\n\n"; an assistant message renders its tool calls after its content, starts with
 * python_tag when the first call is code_interpreter, and ends with eom_id when it stopped at
 * END_OF_MESSAGE. Every text part is a separate tokenizer call, as in the reference.
 */
final class LlamaModelsChatFormat extends HeaderChatFormat {
    /** llama-models replaces the image token (128011) by 128256 in the model input: the vision model's id. */
    static final int VISION_TOKEN_ID = 128256;

    private final ToolPromptFormat toolPromptFormat;

    LlamaModelsChatFormat(Tokenizer tokenizer, ToolPromptFormat toolPromptFormat) {
        super(tokenizer.withNames(SpecialTokenNames.LLAMA_3_1));
        this.toolPromptFormat = toolPromptFormat;
    }

    @Override
    String headerRole(String role) {
        return switch (role) {
            case "system", "user", "assistant" -> role;
            case "tool", "ipython" -> "ipython";
            default -> throw new LlamaException("unknown role '" + role
                    + "' in dialog: expected system, user, assistant, tool (or ipython)");
        };
    }

    @Override
    void appendBody(Message m, IntList out) {
        boolean assistant = m.role().equals("assistant");
        if (assistant && !m.toolCalls().isEmpty() && m.toolCalls().getFirst().toolName().equals("code_interpreter")) {
            out.add(tokenizer.specialTokenId("<|python_tag|>"));
        }
        for (Message.Content part : m.content()) {
            switch (part) {
                case Message.Content.Text text -> out.addAll(tokenizer.encode(text.text(), false, false));
                case Message.Content.Image image -> out.add(VISION_TOKEN_ID);
            }
        }
        if (m.role().equals("user") && m.context() != null) {
            out.addAll(tokenizer.encode("\n\n", false, false));
            out.addAll(tokenizer.encode(m.context(), false, false));
        }
        if (assistant) {
            for (Message.ToolCall call : m.toolCalls()) {
                out.addAll(tokenizer.encode(renderToolCall(call), false, false));
            }
        }
        boolean endOfMessage = assistant && m.stopReason() == StopReason.END_OF_MESSAGE;
        out.add(tokenizer.specialTokenId(endOfMessage ? "<|eom_id|>" : "<|eot_id|>"));
    }

    /** llama-models {@code ToolUtils.encode_tool_call}. */
    private String renderToolCall(Message.ToolCall call) {
        String name = call.toolName();
        return switch (name) {
            case "brave_search", "wolfram_alpha", "photogen" ->
                    name + ".call(query=\"" + stringArgument(call, "query") + "\")";
            case "code_interpreter" -> stringArgument(call, "code");
            default -> switch (toolPromptFormat) {
                case JSON -> {
                    Map<String, Object> wrapper = new LinkedHashMap<>();
                    wrapper.put("type", "function");
                    wrapper.put("name", name);
                    wrapper.put("parameters", call.arguments());
                    yield PythonLiterals.jsonDumps(wrapper);
                }
                case FUNCTION_TAG -> "<function=" + name + ">" + PythonLiterals.jsonDumps(call.arguments()) + "</function>";
                case PYTHON_LIST -> "[" + name + "(" + PythonLiterals.keywordArguments(call.arguments()) + ")]";
            };
        };
    }

    private static String stringArgument(Message.ToolCall call, String key) {
        if (!(call.arguments().get(key) instanceof String value)) {
            throw new LlamaException("tool call " + call.toolName() + " needs a string argument '" + key
                    + "', got " + call.arguments());
        }
        return value;
    }
}
