/**
 * Hugging Face checkpoints: config.json and the safetensors weights loader. Depends on {@code format.safetensors},
 * never on {@code format} (which calls it).
 */
package dev.llama3j.format.hf;
