package dev.llama3j.cli;

import dev.llama3j.model.CacheType;
import picocli.CommandLine.Option;

/** The KV cache's element types, with llama.cpp's option names and values. */
final class CacheOptions {
    @Option(names = {"--cache-type-k", "-ctk"}, defaultValue = "f32", paramLabel = "TYPE",
            description = "how cached keys are stored: f32 (exact), f16 or q8_0 (default: ${DEFAULT-VALUE})")
    String keyType;

    @Option(names = {"--cache-type-v", "-ctv"}, defaultValue = "f32", paramLabel = "TYPE",
            description = "how cached values are stored: f32 (exact), f16 or q8_0 (default: ${DEFAULT-VALUE})")
    String valueType;

    CacheType keys() {
        return CacheType.parse("--cache-type-k", keyType);
    }

    CacheType values() {
        return CacheType.parse("--cache-type-v", valueType);
    }
}
