package dev.llama3j.cli;

import dev.llama3j.LlamaException;
import dev.llama3j.format.pth.Checklist;
import dev.llama3j.generate.Llama;
import dev.llama3j.tensor.kernel.Int8Activations;
import picocli.CommandLine.Option;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/** Options shared by {@code complete} and {@code chat}, named as in Meta's example scripts. */
final class GenerationOptions {
    @Option(names = {"--ckpt-dir", "-m", "--model"}, required = true, paramLabel = "PATH",
            description = {"model: a Meta checkpoint directory (consolidated.NN.pth + params.json), a Hugging Face",
                    "directory (config.json + *.safetensors) or a .gguf file"})
    Path ckptDir;

    @Option(names = "--tokenizer-path", paramLabel = "FILE",
            description = {"tokenizer.model, tokenizer.json or a .gguf file (default: the model's own:",
                    "tokenizer.model beside a Meta checkpoint, tokenizer.json of a HF directory, GGUF metadata)"})
    Path tokenizerPath;

    @Option(names = "--temperature", defaultValue = "0.6", description = "sampling temperature; 0 = greedy (default: ${DEFAULT-VALUE})")
    float temperature;

    @Option(names = "--top-p", defaultValue = "0.9", description = "nucleus sampling threshold (default: ${DEFAULT-VALUE})")
    float topP;

    @Option(names = "--max-batch-size", defaultValue = "4", description = "most prompts/dialogs at once (default: ${DEFAULT-VALUE})")
    int maxBatchSize;

    @Option(names = "--seed", defaultValue = "1", description = "random seed for sampling (default: ${DEFAULT-VALUE})")
    long seed;

    @Option(names = "--logprobs", description = "print each generated token with its log-probability")
    boolean logprobs;

    @Option(names = "--verify", description = "check the files against the download's checklist.chk (MD5) first")
    boolean verify;

    @Option(names = "--timing", negatable = true, defaultValue = "true", fallbackValue = "true",
            description = "print load time and tokens/s on stderr at the end (default: on)")
    boolean timing;

    @Option(names = "--int8-activations", description = "decode with activations quantized to int8 blocks, as llama.cpp "
            + "does (faster for Q4_0 weights, slower for Q8_0 and Q4_K; logits drift ~1e-2 relative from the float32 "
            + "default)")
    boolean int8Activations;

    Llama build(int maxSeqLen) {
        return build(maxSeqLen, maxBatchSize);
    }

    Llama build(int maxSeqLen, int batchSize) {
        if (verify) {
            verifyChecklist();
        }
        Int8Activations.enable(int8Activations);
        Llama llama = Llama.build(ckptDir, tokenizerPath, maxSeqLen, batchSize, seed);
        StartupClock.modelLoaded();
        return llama;
    }

    /**
     * Only Meta's download has a checklist.chk (download.sh checks the MD5 of every file it lists); asked to verify
     * anything else, fail rather than let a script believe the files were checked. A missing path is left to the
     * loader's message.
     */
    private void verifyChecklist() {
        if (Files.isRegularFile(ckptDir)) {
            throw new LlamaException("--verify: " + ckptDir + " is a single file; only a Meta checkpoint folder has a "
                    + Checklist.FILE_NAME + " (MD5 of each file) to check it against");
        }
        if (Files.isDirectory(ckptDir) && !Files.exists(ckptDir.resolve(Checklist.FILE_NAME))) {
            throw new LlamaException("--verify: " + ckptDir + " has no " + Checklist.FILE_NAME + " (Meta's download"
                    + " puts one beside consolidated.NN.pth; Hugging Face and other downloads have none)");
        }
        if (Files.isDirectory(ckptDir)) {
            List<String> files = Checklist.verify(ckptDir);
            System.err.println("llama3j: verified " + files.size() + " files against " + Checklist.FILE_NAME);
        }
    }
}
