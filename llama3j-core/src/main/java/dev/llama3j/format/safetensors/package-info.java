/**
 * The safetensors file format (header and tensor views). Depends on {@code format.io}, never on {@code format}.
 */
package dev.llama3j.format.safetensors;
