/**
 * The OpenAI HTTP API ({@code llama3j serve}) over a {@link dev.llama3j.generate.Engine}: request JSON to engine
 * requests, tokens to text (whole, or streamed as server-sent events), OpenAI's error shapes. Depends on
 * {@code generate}, {@code chat}, {@code tokenizer} and Helidon's web server; nothing depends on it but {@code cli}.
 */
package dev.llama3j.server;
