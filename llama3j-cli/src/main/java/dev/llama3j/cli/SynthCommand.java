package dev.llama3j.cli;

import dev.llama3j.convert.GgufFileType;
import dev.llama3j.convert.LlamaGgufExport;
import dev.llama3j.convert.RandomWeights;
import dev.llama3j.convert.SynthShape;
import dev.llama3j.model.LlamaWeights;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.Iterator;
import java.util.concurrent.Callable;

/** {@code llama3j synth}: a GGUF file of a real Llama 3 shape with random weights, for benchmarks. */
@Command(name = "synth", mixinStandardHelpOptions = true,
        description = {"Writes a GGUF file of a Llama 3 shape with random weights.",
                "The shape is exactly that of a released Llama 3 model (or tiny, for tests); the weights are the same "
                        + "for the same seed, generated and quantized on all cores while the file is written."})
final class SynthCommand implements Callable<Integer> {

    @Option(names = "--shape", required = true, paramLabel = "SHAPE", completionCandidates = Shapes.class,
            description = "one of ${COMPLETION-CANDIDATES}")
    String shape;

    /** Every shape --shape accepts, for the help. */
    static final class Shapes implements Iterable<String> {
        @Override
        public Iterator<String> iterator() {
            return Arrays.stream(SynthShape.values()).map(s -> s.cliName).iterator();
        }
    }

    @Option(names = "--type", defaultValue = "q8_0", paramLabel = "TYPE",
            description = "f32, f16, bf16, q8_0, q4_0 or q4_k_m (default: ${DEFAULT-VALUE})")
    String type;

    @Option(names = {"-o", "--output"}, required = true, paramLabel = "FILE.gguf", description = "file to write")
    Path out;

    @Option(names = "--tokenizer", paramLabel = "FILE", description = "tokenizer.model or tokenizer.json to embed")
    Path tokenizer;

    @Option(names = "--seed", defaultValue = "42", paramLabel = "N", description = "random seed (default: ${DEFAULT-VALUE})")
    long seed;

    @Option(names = "--force", description = "overwrite FILE if it exists")
    boolean force;

    @Override
    public Integer call() {
        SynthShape s = SynthShape.parse(shape);
        GgufFileType fileType = GgufFileType.parse(type);
        GgufOutput.checkWritable(out, force);
        LlamaWeights weights = RandomWeights.create(s.config(), s.tiedEmbeddings, seed);
        var options = new LlamaGgufExport.Options("synthetic " + s.cliName, fileType, GgufOutput.tokenizer(tokenizer,
                weights.isLlama31()));
        GgufOutput.write(LlamaGgufExport.prepare(weights, options), out,
                s.cliName + " " + fileType.cliName + ", seed " + seed);
        return 0;
    }
}
