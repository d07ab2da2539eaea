package dev.llama3j.chat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.llama3j.tokenizer.Tokenizer;

import java.util.Map;

/**
 * Special tokens spelled out in OpenAI-shaped JSON. The tool formats tokenize their text with its special tokens
 * read as such, so a message or tool that spells one would forge the prompt's structure: callers refuse it.
 */
public final class SpelledSpecialTokens {
    private SpelledSpecialTokens() {}

    /** The special token spelled first in the first string of {@code node} (keys too) that spells one, or null. */
    public static String first(Tokenizer tokenizer, JsonNode node) {
        if (node == null) {
            return null;
        }
        if (node.isTextual()) {
            return first(tokenizer, node.asText());
        }
        for (Map.Entry<String, JsonNode> e : node.properties()) {
            String found = first(tokenizer, e.getKey());
            found = found != null ? found : first(tokenizer, e.getValue());
            if (found != null) {
                return found;
            }
        }
        if (node.isArray()) {
            for (JsonNode n : node) {
                String found = first(tokenizer, n);
                if (found != null) {
                    return found;
                }
            }
        }
        return null;
    }

    /** The special token that starts earliest in {@code text}, or null. */
    public static String first(Tokenizer tokenizer, String text) {
        if (!text.contains("<|")) {
            return null;
        }
        String first = null;
        int at = Integer.MAX_VALUE;
        for (String name : tokenizer.specialTokens()) {
            int i = text.indexOf(name);
            if (i >= 0 && i < at) {
                first = name;
                at = i;
            }
        }
        return first;
    }
}
