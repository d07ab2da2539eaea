/**
 * GGUF files: parser, writer, metadata, the weights loader and the tokenizer keys. Depends on {@code format.io},
 * never on {@code format} (which calls it).
 */
package dev.llama3j.format.gguf;
