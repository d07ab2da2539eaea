/**
 * Readers and writers of vocabulary files (tiktoken tokenizer.model, Hugging Face tokenizer.json, a GGUF
 * file's tokenizer arrays) that check them and build a {@link dev.llama3j.tokenizer.Tokenizer}. Depends on the
 * tokenizer core only, not on the model formats.
 */
package dev.llama3j.tokenizer.vocab;
