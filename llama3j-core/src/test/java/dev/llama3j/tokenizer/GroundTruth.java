package dev.llama3j.tokenizer;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.llama3j.SharedData;
import dev.llama3j.tokenizer.vocab.TiktokenFile;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** The Meta/tiktoken reference cases in {@code ../shared/llama3}. */
public final class GroundTruth {
    private GroundTruth() {}

    public static final ObjectMapper JSON = new ObjectMapper();

    private static Tokenizer tokenizer;

    public static synchronized Tokenizer tokenizer() {
        if (tokenizer == null) {
            tokenizer = TiktokenFile.load(modelPath());
        }
        return tokenizer;
    }

    public static Path modelPath() {
        return SharedData.require("llama3/tokenizer.model");
    }

    /** Every line of {@code llama3/<name>} parsed, in order. */
    public static List<JsonNode> cases(String name) {
        Path file = SharedData.require("llama3/" + name);
        try {
            List<JsonNode> out = new ArrayList<>();
            for (String line : Files.readAllLines(file)) {
                if (!line.isBlank()) {
                    out.add(JSON.readTree(line));
                }
            }
            return out;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public static int[] ints(JsonNode array) {
        int[] out = new int[array.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = array.get(i).intValue();
        }
        return out;
    }

    public static String describe(JsonNode c) {
        String s = c.toString();
        return s.length() > 200 ? s.substring(0, 200) + "..." : s;
    }
}
