/**
 * File access shared by the format readers (a memory-mapped file). It depends on no other {@code format} package,
 * so every reader can use it without a cycle.
 */
package dev.llama3j.format.io;
