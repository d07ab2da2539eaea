package dev.llama3j;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Reads a JSON object from a file of bounded size, strictly (a repeated key or anything after the object is an
 * error): a hostile file can neither exhaust memory nor be read two ways. Every failure is one
 * {@link LlamaException} line naming the file.
 */
public final class BoundedJson {
    private static final ObjectMapper JSON = JsonMapper.builder()
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .build();

    private BoundedJson() {}

    /**
     * The JSON object in {@code file}, which may hold at most {@code maxBytes}; {@code kind} names the file in the
     * error for a larger one ("a tokenizer file").
     */
    public static JsonNode readObject(Path file, long maxBytes, String kind) {
        try {
            if (!Files.isRegularFile(file)) {
                throw new LlamaException(file + ": file not found");
            }
            long size = Files.size(file);
            if (size > maxBytes) {
                throw new LlamaException(file + ": " + size + " bytes is too large for " + kind + " (limit "
                        + maxBytes + ")");
            }
            return readObject(Files.readAllBytes(file), file.toString());
        } catch (IOException e) {
            throw new LlamaException(file + ": cannot read: " + shown(e.toString()));
        }
    }

    /** The JSON object in {@code bytes} (already bounded by whoever read them); {@code source} names it in errors. */
    public static JsonNode readObject(byte[] bytes, String source) {
        try {
            JsonNode root = JSON.readTree(bytes);
            if (root == null || !root.isObject()) {
                throw new LlamaException(source + ": expected a JSON object");
            }
            return root;
        } catch (JacksonException e) {
            String msg = e.getOriginalMessage() == null ? e.toString() : e.getOriginalMessage();
            String at = e.getLocation() == null ? "" : " at byte " + e.getLocation().getByteOffset();
            throw new LlamaException(source + ": not valid JSON (" + shown(msg) + at + ")");
        } catch (IOException e) {
            throw new LlamaException(source + ": cannot read: " + shown(e.toString()));
        }
    }

    private static String shown(String s) {
        String cut = s.length() > 200 ? s.substring(0, 200) + "..." : s;
        return cut.replaceAll("\\s+", " ");
    }
}
