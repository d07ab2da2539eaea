/**
 * The application API: {@link dev.llama3j.api.LlamaModel} loads a model once and answers requests from any thread
 * ({@link dev.llama3j.api.GenerateOptions} say how; {@link dev.llama3j.api.Generation} is an answer under way). The
 * other packages are the engine's parts, usable but not designed as an API.
 */
package dev.llama3j.api;
