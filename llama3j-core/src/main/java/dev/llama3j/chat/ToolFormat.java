package dev.llama3j.chat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import dev.llama3j.LlamaException;
import dev.llama3j.tokenizer.SpecialTokenNames;
import dev.llama3j.tokenizer.SpecialTokenSet;
import dev.llama3j.tokenizer.Tokenizer;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * How a Llama 3.1+ model is told about OpenAI-shaped tools and how its answer is read for calls: the prompt and
 * the parser of one of Meta's tool-calling formats ({@code --tool-format} of chat and serve).
 */
public enum ToolFormat {
    /** Meta's 3.1 Hugging Face template with JSON calls; answers read for calls of every format. */
    AUTO("auto"),
    /** Meta's 3.1 Hugging Face template; answers {@code {"name": ..., "parameters": {...}}}. */
    LLAMA31_JSON("llama3.1-json"),
    /**
     * The 3.1 template with the tools named brave_search, wolfram_alpha or code_interpreter as its built-in tools;
     * answers {@code <|python_tag|>brave_search.call(query="...")}, code after python_tag, or JSON calls.
     */
    LLAMA31_BUILTIN("llama3.1-builtin"),
    /** llama-models' {@code <function=NAME>{...}</function>} format, its instructions in a user message. */
    FUNCTION_TAG("function-tag"),
    /** Llama 3.2's zero-shot format: functions in the system message, answers {@code [f(a=1), g(b="x")]}. */
    LLAMA32_PYTHONIC("llama3.2-pythonic");

    public static final List<String> NAMES = Arrays.stream(values()).map(ToolFormat::cliName).toList();

    private static final String PYTHON_TAG = "<|python_tag|>";

    private final String cliName;

    ToolFormat(String cliName) {
        this.cliName = cliName;
    }

    public String cliName() {
        return cliName;
    }

    public static ToolFormat forName(String name) {
        for (ToolFormat f : values()) {
            if (f.cliName.equals(name)) {
                return f;
            }
        }
        throw new LlamaException("unknown tool format '" + name + "': expected one of " + String.join(", ", NAMES));
    }

    /** Whether a call is the JSON object {@code {"name", "parameters"}}, what a forced call's grammar writes. */
    public boolean jsonCalls() {
        return this == AUTO || this == LLAMA31_JSON || this == LLAMA31_BUILTIN;
    }

    /** Whether one assistant message may hold several calls (the 3.1 template raises on them). */
    public boolean severalCallsPerMessage() {
        return this == LLAMA32_PYTHONIC;
    }

    /**
     * The prompt tokens of OpenAI-shaped messages (tool call arguments as objects) and tools (null: none), up to
     * the header of the assistant's answer.
     *
     * @param date the "Today Date" of the 3.1 formats
     */
    public int[] encode(Tokenizer tokenizer, JsonNode messages, JsonNode tools, String date) {
        Tokenizer named = tokenizer.withNames(SpecialTokenNames.LLAMA_3_1);
        return switch (this) {
            case AUTO, LLAMA31_JSON -> named.encode(HfToolTemplate.render(false, messages, tools, null, true, date,
                    true), false, false, SpecialTokenSet.ALL, SpecialTokenSet.NONE);
            case LLAMA31_BUILTIN -> encodeBuiltin(named, messages, tools, date);
            case FUNCTION_TAG -> ChatFormat.llamaModels(named, ToolPromptFormat.FUNCTION_TAG)
                    .encodeDialogPrompt(ToolDialog.functionTag(messages, tools, date));
            case LLAMA32_PYTHONIC -> ChatFormat.llamaModels(named, ToolPromptFormat.PYTHON_LIST)
                    .encodeDialogPrompt(ToolDialog.pythonic(messages, tools));
        };
    }

    /** {@link #encode} with the 3.1 template's default date. */
    public int[] encode(Tokenizer tokenizer, JsonNode messages, JsonNode tools) {
        return encode(tokenizer, messages, tools, HfToolTemplate.DEFAULT_DATE);
    }

    /** The tools named as built-in ones go to the template's built-in list, the others stay functions. */
    private static int[] encodeBuiltin(Tokenizer named, JsonNode messages, JsonNode tools, String date) {
        List<String> builtin = new ArrayList<>();
        ArrayNode custom = JsonNodeFactory.instance.arrayNode();
        for (JsonNode t : tools == null ? JsonNodeFactory.instance.arrayNode() : tools) {
            String name = t.path("function").path("name").asText();
            if (ToolCallParser.BUILTIN.contains(name)) {
                builtin.add(name);
            } else {
                custom.add(t);
            }
        }
        String text = HfToolTemplate.render(false, messages, custom.isEmpty() ? null : custom,
                builtin.isEmpty() ? null : builtin, true, date, true);
        return named.encode(text, false, false, SpecialTokenSet.ALL, SpecialTokenSet.NONE);
    }

    /**
     * The calls in an answer (with its leading python_tag, if any), read as this format writes them; empty when
     * the answer is plain text.
     */
    public List<Message.ToolCall> parse(String answer) {
        boolean tag = answer.startsWith(PYTHON_TAG);
        String content = tag ? answer.substring(PYTHON_TAG.length()) : answer;
        return switch (this) {
            case AUTO -> ToolCallParser.parse(content, tag).toolCalls();
            case LLAMA31_JSON -> ToolCallParser.jsonCall(content);
            case LLAMA31_BUILTIN -> {
                List<Message.ToolCall> json = ToolCallParser.jsonCall(content);
                yield json.isEmpty() ? ToolCallParser.builtin(content, tag) : json;
            }
            case FUNCTION_TAG -> ToolCallParser.functionTag(content);
            case LLAMA32_PYTHONIC -> ToolCallParser.pythonList(content);
        };
    }
}
