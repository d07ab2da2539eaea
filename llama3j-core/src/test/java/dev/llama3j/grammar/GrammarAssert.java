package dev.llama3j.grammar;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.nio.charset.StandardCharsets;

/** Helpers for the grammar tests: schemas from JSON text, and where a grammar first rejects an output. */
final class GrammarAssert {
    private GrammarAssert() {}

    static final ObjectMapper JSON = new ObjectMapper();

    static JsonNode json(String text) {
        try {
            return JSON.readTree(text);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException(e);
        }
    }

    static JsonGrammar grammar(String schema) {
        return JsonSchema.compile(json(schema));
    }

    /** The index of the first byte rejected, the length when all are accepted but the value cannot end, or -1. */
    static int firstRejected(Grammar grammar, byte[] bytes) {
        GrammarState<?> s = grammar.start();
        for (int i = 0; i < bytes.length; i++) {
            s = s.accept(bytes[i]);
            if (s == null) return i;
        }
        return s.canEnd() ? -1 : bytes.length;
    }

    static int firstRejected(Grammar grammar, String text) {
        return firstRejected(grammar, text.getBytes(StandardCharsets.UTF_8));
    }

    static void accepts(Grammar grammar, String... outputs) {
        for (String o : outputs) assertThat(firstRejected(grammar, o)).as("first byte rejected in %s", o).isEqualTo(-1);
    }

    /** {@code output} is rejected exactly at the byte marked by the first {@code |}, which is removed. */
    static void rejectsAt(Grammar grammar, String marked) {
        int at = marked.indexOf('|');
        String output = marked.substring(0, at) + marked.substring(at + 1);
        int expected = marked.substring(0, at).getBytes(StandardCharsets.UTF_8).length;
        assertThat(firstRejected(grammar, output)).as("first byte rejected in %s", output).isEqualTo(expected);
    }
}
