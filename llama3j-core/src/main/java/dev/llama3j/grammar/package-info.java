/**
 * Constrained decoding: compiles a JSON Schema (OpenAI's {@code response_format} subset) or a GBNF grammar
 * (llama.cpp's notation) into a {@link dev.llama3j.grammar.Grammar}, matches output bytes against it one byte at a
 * time with persistent states ({@link dev.llama3j.grammar.GrammarState}), and computes which tokens of a vocabulary
 * may come next. Entry points: {@link dev.llama3j.grammar.JsonSchema}, {@link dev.llama3j.grammar.GbnfGrammar},
 * {@link dev.llama3j.grammar.TokenMasks} and {@link dev.llama3j.grammar.GrammarConstraint}. Depends on Jackson only.
 */
package dev.llama3j.grammar;
