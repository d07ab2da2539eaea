package dev.llama3j.api;

import dev.llama3j.LlamaException;
import dev.llama3j.grammar.GbnfGrammar;
import dev.llama3j.grammar.Grammar;
import dev.llama3j.grammar.JsonSchema;

import java.util.List;

/**
 * How one answer is generated: sampling temperature (0: always the likeliest token) and nucleus {@code topP}, at most
 * {@code maxTokens} tokens (null: up to the context's end), the sampling seed (null: a new one each time; set it for
 * answers that repeat), stop strings that end the answer where they first appear (not included in it), and a JSON
 * Schema (JSON text) or a GBNF grammar (llama.cpp's notation) that the answer must follow, at most one of them
 * (null: free text): each token is then sampled among those that continue a valid answer
 * ({@link dev.llama3j.grammar.JsonSchema} lists the keywords it takes, {@link GbnfGrammar} the notation).
 *
 * <pre>{@code
 * GenerateOptions greedy = GenerateOptions.defaults().withTemperature(0).withMaxTokens(64);
 * GenerateOptions json = greedy.withJsonSchema("{\"type\": \"object\"}");
 * GenerateOptions yesNo = greedy.withGrammar("root ::= \"yes\" | \"no\"");
 * }</pre>
 */
public record GenerateOptions(double temperature, double topP, Integer maxTokens, Long seed, List<String> stop,
                              String jsonSchema, String grammar) {

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
        if (jsonSchema != null && grammar != null) {
            throw new LlamaException("a JSON Schema and a grammar are exclusive: give one");
        }
        compile(jsonSchema, grammar);
    }

    /** Without a grammar. */
    public GenerateOptions(double temperature, double topP, Integer maxTokens, Long seed, List<String> stop,
                           String jsonSchema) {
        this(temperature, topP, maxTokens, seed, stop, jsonSchema, null);
    }

    /** Without a JSON Schema or grammar. */
    public GenerateOptions(double temperature, double topP, Integer maxTokens, Long seed, List<String> stop) {
        this(temperature, topP, maxTokens, seed, stop, null, null);
    }

    /**
     * The schema or grammar compiled, or null for neither; an unsupported keyword, malformed JSON or a grammar that
     * does not compile is a {@link LlamaException}.
     */
    static Grammar compile(String jsonSchema, String grammar) {
        try {
            return jsonSchema != null ? JsonSchema.compile(jsonSchema)
                    : grammar != null ? GbnfGrammar.compile(grammar) : null;
        } catch (IllegalArgumentException e) {
            throw new LlamaException((jsonSchema != null ? "the JSON Schema: " : "the grammar: ") + e.getMessage());
        }
    }

    /** Meta's example defaults: temperature 0.6, top_p 0.9; no token limit, a fresh seed, no stop strings. */
    public static GenerateOptions defaults() {
        return new GenerateOptions(0.6, 0.9, null, null, List.of());
    }

    public GenerateOptions withTemperature(double t) {
        return new GenerateOptions(t, topP, maxTokens, seed, stop, jsonSchema, grammar);
    }

    public GenerateOptions withTopP(double p) {
        return new GenerateOptions(temperature, p, maxTokens, seed, stop, jsonSchema, grammar);
    }

    public GenerateOptions withMaxTokens(Integer n) {
        return new GenerateOptions(temperature, topP, n, seed, stop, jsonSchema, grammar);
    }

    public GenerateOptions withSeed(Long s) {
        return new GenerateOptions(temperature, topP, maxTokens, s, stop, jsonSchema, grammar);
    }

    public GenerateOptions withStop(List<String> strings) {
        return new GenerateOptions(temperature, topP, maxTokens, seed, strings, jsonSchema, grammar);
    }

    /** Answers that follow {@code schema} (JSON Schema text), or free text for null. */
    public GenerateOptions withJsonSchema(String schema) {
        return new GenerateOptions(temperature, topP, maxTokens, seed, stop, schema, grammar);
    }

    /** Answers that {@code gbnf} (a GBNF grammar, llama.cpp's notation) matches, or free text for null. */
    public GenerateOptions withGrammar(String gbnf) {
        return new GenerateOptions(temperature, topP, maxTokens, seed, stop, jsonSchema, gbnf);
    }
}
