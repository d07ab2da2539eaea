package dev.llama3j.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.llama3j.LlamaException;

import java.io.IOException;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * {@code chat --tools FILE}: OpenAI's {@code tools} list, {@code [{"type": "function", "function": {"name",
 * "description", "parameters"}}]}. A file that is not one is a one-line error naming it and what is wrong.
 */
final class ToolsFile {
    private ToolsFile() {}

    /** OpenAI's rule for function names; the pythonic and function-tag formats could not read others back. */
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9_-]{1,64}");

    static JsonNode read(Path file) throws IOException {
        JsonNode root = StrictUtf8.readJsonFile(file, "tools file");
        if (root == null || !root.isArray()) {
            throw new LlamaException(file + ": expected a JSON list of tools, each {\"type\": \"function\", "
                    + "\"function\": {\"name\", \"description\", \"parameters\"}}");
        }
        if (root.isEmpty()) {
            throw new LlamaException(file + ": no tools");
        }
        Set<String> names = new HashSet<>();
        for (int i = 0; i < root.size(); i++) {
            String where = file + ": tool " + (i + 1);
            JsonNode tool = root.get(i);
            if (!"function".equals(tool.path("type").asText(null)) || !tool.path("function").isObject()) {
                throw new LlamaException(where + ": expected {\"type\": \"function\", \"function\": {...}}, got "
                        + shown(tool));
            }
            JsonNode fn = tool.get("function");
            String name = fn.path("name").isTextual() ? fn.get("name").asText() : null;
            if (name == null || !NAME.matcher(name).matches()) {
                throw new LlamaException(where + ": function.name must be 1 to 64 letters, digits, _ or -, got "
                        + shown(fn.get("name")));
            }
            if (!names.add(name)) {
                throw new LlamaException(where + ": a second function named " + name);
            }
            if (fn.has("description") && !fn.get("description").isTextual()) {
                throw new LlamaException(where + " (" + name + "): description must be a string");
            }
            if (fn.has("parameters") && !fn.get("parameters").isObject()) {
                throw new LlamaException(where + " (" + name + "): parameters must be a JSON Schema object, got "
                        + shown(fn.get("parameters")));
            }
        }
        return root;
    }

    private static String shown(JsonNode node) {
        String s = String.valueOf(node);
        return s.length() > 80 ? s.substring(0, 80) + "..." : s;
    }
}
