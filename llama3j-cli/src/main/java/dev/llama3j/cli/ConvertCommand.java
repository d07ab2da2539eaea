package dev.llama3j.cli;

import dev.llama3j.LlamaException;
import dev.llama3j.cluster.Cluster;
import dev.llama3j.convert.GgufFileType;
import dev.llama3j.convert.LlamaGgufExport;
import dev.llama3j.format.ModelFiles;
import dev.llama3j.model.LlamaWeights;
import dev.llama3j.tokenizer.vocab.HfTokenizerJson;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;

/** {@code llama3j convert}: a Meta checkpoint or Hugging Face directory to a GGUF file llama.cpp can load. */
@Command(name = "convert", mixinStandardHelpOptions = true,
        description = {"Converts a Meta or Hugging Face checkpoint to GGUF.",
                "SRC is a Meta checkpoint folder (params.json and consolidated.*.pth files) or a Hugging Face folder "
                        + "(config.json and *.safetensors files); the weights are quantized as llama.cpp does."})
final class ConvertCommand implements Callable<Integer> {

    @Parameters(index = "0", paramLabel = "SRC", description = "Meta checkpoint folder or Hugging Face folder")
    Path source;

    @Option(names = {"-o", "--output"}, required = true, paramLabel = "OUT", description = "GGUF file to write")
    Path out;

    @Option(names = "--type", defaultValue = "bf16", paramLabel = "TYPE",
            description = "f32, f16, bf16, q8_0, q4_0 or q4_k_m (default: ${DEFAULT-VALUE})")
    String type;

    @Option(names = "--tokenizer", paramLabel = "FILE",
            description = "tokenizer.model or tokenizer.json to embed (default: the one found in SRC)")
    Path tokenizer;

    @Option(names = "--no-tokenizer", description = "write no tokenizer (tokenizer.ggml.model = none: token ids only;"
            + " llama.cpp cannot load such a file)")
    boolean noTokenizer;

    @Option(names = "--name", paramLabel = "NAME", description = "general.name (default: the name of SRC)")
    String name;

    @Option(names = "--force", description = "overwrite OUT if it exists")
    boolean force;

    @Override
    public Integer call() {
        if (Cluster.launchedRanks() > 1) {
            throw new LlamaException("convert writes one whole file: run it in one process, without mpirun");
        }
        GgufFileType fileType = GgufFileType.parse(type);
        ModelFiles.Format format = ModelFiles.detect(source);
        if (format == ModelFiles.Format.GGUF) {
            throw new LlamaException(source + ": is already a GGUF file (convert reads Meta or Hugging Face checkpoints)");
        }
        GgufOutput.checkWritable(out, force);
        if (tokenizer != null && noTokenizer) {
            throw new LlamaException("--tokenizer and --no-tokenizer contradict each other: give one of them");
        }
        if (tokenizer != null && !Files.isRegularFile(tokenizer)) {
            throw new LlamaException(tokenizer + ": file not found (--tokenizer)");
        }
        Path tokenizerFile = noTokenizer ? null : tokenizer != null ? tokenizer : findTokenizer(source, format);
        String modelName = name != null ? name : source.toAbsolutePath().normalize().getFileName().toString();
        try (LlamaWeights weights = ModelFiles.loadWeights(source)) {
            var options = new LlamaGgufExport.Options(modelName, fileType, GgufOutput.tokenizer(tokenizerFile,
                    weights.isLlama31()));
            GgufOutput.write(LlamaGgufExport.prepare(weights, options), out, format + " -> " + fileType.cliName
                    + ", tokenizer " + (tokenizerFile == null ? "none" : tokenizerFile.getFileName()));
        }
        return 0;
    }

    /**
     * Meta ships tokenizer.model next to the weights; a Hugging Face directory has tokenizer.json (Meta's own
     * repositories also keep tokenizer.model in original/), the order in which llama3j's loader looks for them.
     * A GGUF without a tokenizer cannot be loaded by llama.cpp, so none found is an error.
     */
    private static Path findTokenizer(Path dir, ModelFiles.Format format) {
        List<String> names = format == ModelFiles.Format.HF
                ? List.of(HfTokenizerJson.FILE_NAME, "original/tokenizer.model", "tokenizer.model")
                : List.of("tokenizer.model");
        for (String n : names) {
            if (Files.isRegularFile(dir.resolve(n))) {
                return dir.resolve(n);
            }
        }
        throw new LlamaException(dir + " has no tokenizer (looked for " + String.join(", ", names) + "): give"
                + " --tokenizer FILE, or --no-tokenizer to write token ids only (llama.cpp cannot load that)");
    }
}
