/**
 * Meta's checkpoints: params.json and the consolidated.NN.pth zip/pickle reader. Depends on {@code format.io}, never
 * on {@code format} (which calls it).
 */
package dev.llama3j.format.pth;
