package dev.llama3j.cli;

import dev.llama3j.tensor.Numerics;
import picocli.CommandLine.Option;

/** How the model's products treat activations: {@code --exact}, shared by the commands that run a model. */
final class NumericsOptions {
    @Option(names = "--exact", description = "float32 activations in every product: Meta's numbers. Without it, "
            + "Q4_0, Q4_K and Q6_K weights (and Q8_0 where the native kernels run) take int8 activations, as "
            + "llama.cpp does (faster; logits drift ~1e-2 relative)")
    boolean exact;

    Numerics numerics() {
        return exact ? Numerics.EXACT : Numerics.INT8;
    }
}
