/**
 * Chat messages and dialogs, the Llama 3 chat formats that turn them into prompt tokens, and the tool-call
 * prompt formats. Depends on the {@code dev.llama3j.tokenizer} core only.
 */
package dev.llama3j.chat;
