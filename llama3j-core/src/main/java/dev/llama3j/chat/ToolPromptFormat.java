package dev.llama3j.chat;

import dev.llama3j.LlamaException;

/** How llama-models renders a call of a custom (non built-in) tool. */
public enum ToolPromptFormat {
    /** {@code {"type": "function", "name": ..., "parameters": {...}}} (the default) */
    JSON("json"),
    /** {@code <function=name>{...}</function>} */
    FUNCTION_TAG("function_tag"),
    /** {@code [name(k="v", n=3)]} */
    PYTHON_LIST("python_list");

    private final String jsonName;

    ToolPromptFormat(String jsonName) {
        this.jsonName = jsonName;
    }

    public static ToolPromptFormat fromJsonName(String name) {
        for (ToolPromptFormat f : values()) {
            if (f.jsonName.equals(name)) {
                return f;
            }
        }
        throw new LlamaException("unknown tool_prompt_format '" + name + "': expected json, function_tag or python_list");
    }
}
