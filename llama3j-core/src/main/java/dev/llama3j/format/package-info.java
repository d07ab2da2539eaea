/**
 * Opening a model: {@link dev.llama3j.format.ModelFiles} detects the format at a path and loads weights, tokenizer
 * and stop tokens through one {@link dev.llama3j.format.ModelFormat} per format. This package depends on the
 * format subpackages; they never depend on it (what they share is in {@code format.io}).
 */
package dev.llama3j.format;
