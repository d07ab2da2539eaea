/**
 * The Llama 3 BPE tokenizer core: rank table, pre-tokenizer, byte-pair merging, special tokens and UTF-8
 * handling, with Meta's tokenizer semantics. Reads no files and depends on nothing else in llama3j.
 */
package dev.llama3j.tokenizer;
