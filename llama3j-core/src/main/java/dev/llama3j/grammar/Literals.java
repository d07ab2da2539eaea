package dev.llama3j.grammar;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.nio.charset.StandardCharsets;

/** The one serialization of fixed values (enum and const values, property names): Jackson's compact JSON. */
final class Literals {
    private Literals() {}

    private static final ObjectMapper JSON = new ObjectMapper();

    /** {@code value} as compact JSON: non-ASCII characters as themselves, control characters escaped. */
    static String toJson(Object value) {
        try {
            return JSON.writeValueAsString(value);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException(e.getMessage(), e);
        }
    }

    static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
