package dev.llama3j.guard;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.llama3j.LlamaException;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Custom categories for a guard's prompt, from a JSON object of code to text in order, as the Llama Guard 3 1B
 * template's {@code categories} takes them: {@code {"S1": "Violent Crimes.", "S2": "Medical advice."}}.
 */
public final class GuardPolicyFile {
    private GuardPolicyFile() {}

    /** The file's categories, or a one-line error naming the file and what is wrong. */
    public static Map<String, String> read(Path file) {
        JsonNode root;
        try {
            root = new ObjectMapper().readTree(Files.readString(file));
        } catch (java.nio.file.NoSuchFileException e) {
            throw new LlamaException("categories file " + file + " does not exist");
        } catch (com.fasterxml.jackson.core.JacksonException e) {
            throw new LlamaException(file + ": invalid JSON: " + e.getOriginalMessage());
        } catch (IOException e) {
            throw new LlamaException(file + ": " + e.getMessage());
        }
        if (root == null || !root.isObject() || root.isEmpty()) {
            throw new LlamaException(file + ": expected a JSON object of categories, e.g. {\"S1\": \"Violent Crimes.\"}");
        }
        Map<String, String> out = new LinkedHashMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = root.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            String text = e.getValue().isTextual() ? e.getValue().asText() : null;
            if (!e.getKey().matches("[A-Z]\\d+") || text == null || text.isBlank() || text.contains("\n")) {
                throw new LlamaException(file + ": category '" + e.getKey() + "' must be a code like S1 with one line"
                        + " of text");
            }
            out.put(e.getKey(), text);
        }
        return out;
    }
}
