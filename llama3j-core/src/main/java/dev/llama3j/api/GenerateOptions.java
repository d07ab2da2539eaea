package dev.llama3j.api;

import dev.llama3j.LlamaException;
import java.util.List;

/**
 * How one answer is generated: sampling temperature (0: always the likeliest token) and nucleus {@code topP}, at most
 * {@code maxTokens} tokens (null: up to the context's end), the sampling seed (null: a new one each time; set it for
 * answers that repeat), and stop strings that end the answer where they first appear (not included in it).
 *
 * <pre>{@code
 * GenerateOptions greedy = GenerateOptions.defaults().withTemperature(0).withMaxTokens(64);
 * }</pre>
 */
public record GenerateOptions(double temperature, double topP, Integer maxTokens, Long seed, List<String> stop) {

    public GenerateOptions {
        if (!(temperature >= 0) || Double.isInfinite(temperature)) {
            throw new LlamaException("temperature must be a finite number >= 0, got " + temperature);
        }
        if (!(topP > 0 && topP <= 1)) {
            throw new LlamaException("top_p must be a number in (0, 1], got " + topP);
        }
        if (maxTokens != null && maxTokens < 0) {
            throw new LlamaException("max_tokens must be an integer >= 0, got " + maxTokens);
        }
        stop = stop == null ? List.of() : List.copyOf(stop);
        if (stop.contains("")) {
            throw new LlamaException("a stop string must not be empty (it would end every answer at once)");
        }
    }

    /** Meta's example defaults: temperature 0.6, top_p 0.9; no token limit, a fresh seed, no stop strings. */
    public static GenerateOptions defaults() {
        return new GenerateOptions(0.6, 0.9, null, null, List.of());
    }

    public GenerateOptions withTemperature(double t) {
        return new GenerateOptions(t, topP, maxTokens, seed, stop);
    }

    public GenerateOptions withTopP(double p) {
        return new GenerateOptions(temperature, p, maxTokens, seed, stop);
    }

    public GenerateOptions withMaxTokens(Integer n) {
        return new GenerateOptions(temperature, topP, n, seed, stop);
    }

    public GenerateOptions withSeed(Long s) {
        return new GenerateOptions(temperature, topP, maxTokens, s, stop);
    }

    public GenerateOptions withStop(List<String> strings) {
        return new GenerateOptions(temperature, topP, maxTokens, seed, strings);
    }
}
