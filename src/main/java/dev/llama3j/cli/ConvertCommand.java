package dev.llama3j.cli;

import dev.llama3j.LlamaException;
import dev.llama3j.convert.GgufFileType;
import dev.llama3j.convert.LlamaGgufExport;
import dev.llama3j.format.ModelFiles;
import dev.llama3j.model.LlamaWeights;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;

/** {@code llama3j convert}: a Meta checkpoint or Hugging Face directory to a GGUF file llama.cpp can load. */
@Command(name = "convert", mixinStandardHelpOptions = true,
        description = {"Converts a Meta or Hugging Face checkpoint to GGUF.",
                "SRC is a Meta checkpoint folder (params.json and consolidated.*.pth files) or a Hugging Face folder "
                        + "(config.json and *.safetensors files); the weights are quantized as llama.cpp does."})
final class ConvertCommand implements Callable<Integer> {

    @Parameters(index = "0", paramLabel = "SRC", description = "Meta checkpoint folder or Hugging Face folder")
    Path source;

    @Option(names = {"-o", "--output"}, required = true, paramLabel = "OUT.gguf", description = "file to write")
    Path out;

    @Option(names = "--type", defaultValue = "bf16", paramLabel = "TYPE",
            description = "f32, f16, bf16, q8_0, q4_0 or q4_k_m (default: ${DEFAULT-VALUE})")
    String type;

    @Option(names = "--tokenizer", paramLabel = "tokenizer.model",
            description = "tiktoken tokenizer.model to embed (default: SRC/tokenizer.model or SRC/original/tokenizer.model)")
    Path tokenizer;

    @Option(names = "--name", paramLabel = "NAME", description = "general.name (default: the name of SRC)")
    String name;

    @Option(names = "--force", description = "overwrite OUT if it exists")
    boolean force;

    @Override
    public Integer call() {
        GgufFileType fileType = GgufFileType.parse(type);
        ModelFiles.Format format = ModelFiles.detect(source);
        if (format == ModelFiles.Format.GGUF) {
            throw new LlamaException(source + ": is already a GGUF file (convert reads Meta or Hugging Face checkpoints)");
        }
        GgufOutput.checkWritable(out, force);
        Path tokenizerModel = tokenizer != null ? tokenizer : findTokenizer(source);
        if (tokenizer != null && !Files.isRegularFile(tokenizer)) {
            throw new LlamaException(tokenizer + ": file not found (--tokenizer)");
        }
        String modelName = name != null ? name : source.toAbsolutePath().normalize().getFileName().toString();
        try (LlamaWeights weights = ModelFiles.loadWeights(source)) {
            var options = new LlamaGgufExport.Options(modelName, fileType, GgufOutput.tokenizer(tokenizerModel,
                    weights.isLlama31()));
            GgufOutput.write(LlamaGgufExport.prepare(weights, options), out, format + " -> " + fileType.cliName);
        }
        return 0;
    }

    /** Meta ships tokenizer.model next to the weights; Hugging Face repositories keep it in original/. */
    private static Path findTokenizer(Path dir) {
        for (Path p : new Path[] {dir.resolve("tokenizer.model"), dir.resolve("original").resolve("tokenizer.model")}) {
            if (Files.isRegularFile(p)) {
                return p;
            }
        }
        return null;
    }
}
