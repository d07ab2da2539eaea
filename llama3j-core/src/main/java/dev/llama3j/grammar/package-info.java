/**
 * JSON-constrained decoding: compiles a JSON Schema (OpenAI's {@code response_format} subset) into a grammar,
 * matches output bytes against it one byte at a time with persistent states, and computes which tokens of a
 * vocabulary may come next. Entry points: {@link dev.llama3j.grammar.JsonSchema},
 * {@link dev.llama3j.grammar.JsonState} and {@link dev.llama3j.grammar.TokenMasks}. Depends on Jackson only.
 */
package dev.llama3j.grammar;
