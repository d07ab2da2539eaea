package dev.llama3j.cli;

import dev.llama3j.LlamaException;
import dev.llama3j.format.pth.Checklist;
import dev.llama3j.generate.Llama;
import dev.llama3j.generate.ModelOptions;
import dev.llama3j.grammar.GbnfGrammar;
import dev.llama3j.grammar.Grammar;
import dev.llama3j.grammar.GrammarConstraint;
import dev.llama3j.grammar.JsonSchema;
import dev.llama3j.tensor.Numerics;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;

/**
 * Options shared by {@code complete} and {@code chat}, named as in Meta's example scripts: each also takes Meta's
 * own spelling ({@code --ckpt_dir}, {@code --top_p}, ...), so a script's command line works as it is.
 */
final class GenerationOptions {
    @Option(names = {"--ckpt-dir", "--ckpt_dir", "-m", "--model"}, required = true, paramLabel = "PATH",
            description = "the model: a Meta checkpoint folder (params.json and consolidated.*.pth files), a Hugging "
                    + "Face folder (config.json and *.safetensors files) or a GGUF file; or a Hugging Face repository, "
                    + "org/name (its safetensors) or org/name:QUANT (its GGUF file of that quantization, default "
                    + "Q4_K_M), found in the hub's cache or downloaded there on first use")
    Path ckptDir;

    @Option(names = {"--tokenizer-path", "--tokenizer_path"}, paramLabel = "FILE",
            description = "tokenizer.model, tokenizer.json or a GGUF file (default: the model's own, that is "
                    + "tokenizer.model beside a Meta checkpoint, the tokenizer.json of a Hugging Face folder or "
                    + "the GGUF file's metadata)")
    Path tokenizerPath;

    @Option(names = "--temperature", defaultValue = "0.6", paramLabel = "T",
            description = "sampling temperature; 0 is greedy (default: ${DEFAULT-VALUE})")
    float temperature;

    @Option(names = {"--top-p", "--top_p"}, defaultValue = "0.9", paramLabel = "P",
            description = "nucleus sampling threshold, in (0, 1] (default: ${DEFAULT-VALUE})")
    float topP;

    @Option(names = {"--max-batch-size", "--max_batch_size"}, defaultValue = "4", paramLabel = "N",
            description = "most prompts or dialogs at once (default: ${DEFAULT-VALUE})")
    int maxBatchSize;

    @Option(names = "--seed", defaultValue = "1", paramLabel = "N",
            description = "random seed for sampling (default: ${DEFAULT-VALUE})")
    long seed;

    @Option(names = "--logprobs", description = "print each generated token with its log-probability")
    boolean logprobs;

    @Option(names = "--verify", description = "first check the files against the download's checklist.chk (MD5)")
    boolean verify;

    @Option(names = "--timing", negatable = true, defaultValue = "true", fallbackValue = "true",
            description = "print the load time and tokens/s on stderr (default: on)")
    boolean timing;

    @Mixin
    NumericsOptions numericsOptions = new NumericsOptions();

    @Option(names = "--json-schema", paramLabel = "FILE", description = "answers follow this JSON Schema: each token "
            + "is sampled among those that continue a valid answer (the keywords serve's response_format takes)")
    Path jsonSchema;

    @Option(names = "--grammar", paramLabel = "FILE", description = "answers follow this GBNF grammar (llama.cpp's "
            + "notation: the answer is what its root rule matches), as --json-schema follows a schema")
    Path grammarFile;

    /** The --json-schema or --grammar file compiled by {@link #check}, or null. */
    private Grammar grammar;

    @Mixin
    CacheOptions cache = new CacheOptions();

    /** Kept so that scripts written for it still run: int8 activations are now the default. */
    @Option(names = "--int8-activations", hidden = true, description = "deprecated, no effect (the default)")
    boolean int8Activations;

    /**
     * The checks that need no model, made before it is loaded (and so before any output) for {@code count}
     * {@code what} ("prompts", "dialogs") at once.
     */
    void check(int maxSeqLen, Integer maxGenLen, int count, String what) {
        if (!(temperature >= 0) || Float.isInfinite(temperature)) {
            throw new LlamaException("--temperature must be a finite number >= 0, got " + temperature);
        }
        if (!(topP > 0 && topP <= 1)) {
            throw new LlamaException("--top-p must be a number in (0, 1], got " + topP);
        }
        if (maxBatchSize < 1) {
            throw new LlamaException("--max-batch-size must be an integer >= 1, got " + maxBatchSize);
        }
        if (count > maxBatchSize) {
            throw new LlamaException(count + " " + what + ", but --max-batch-size is " + maxBatchSize);
        }
        if (maxSeqLen < 1) {
            throw new LlamaException("--max-seq-len must be an integer >= 1, got " + maxSeqLen);
        }
        if (maxGenLen != null && maxGenLen < 0) {
            throw new LlamaException("--max-gen-len must be an integer >= 0, got " + maxGenLen);
        }
        if (jsonSchema != null && grammarFile != null) {
            throw new LlamaException("--json-schema and --grammar are exclusive: give one");
        }
        if (jsonSchema != null) {
            grammar = compile(jsonSchema, "--json-schema");
        } else if (grammarFile != null) {
            grammar = compile(grammarFile, "--grammar");
        }
    }

    /**
     * The schema or grammar file compiled; a missing file, bad JSON, an unsupported keyword or a GBNF error (its line
     * and column) is a one-line error naming the file.
     */
    private static Grammar compile(Path file, String option) {
        String text;
        try {
            text = Files.readString(file);
        } catch (NoSuchFileException e) {
            throw new LlamaException(file + ": file not found (" + option + ")");
        } catch (IOException e) {
            throw new LlamaException(file + ": cannot read it: " + e.getMessage());
        }
        try {
            return option.equals("--grammar") ? GbnfGrammar.compile(text) : JsonSchema.compile(text);
        } catch (IllegalArgumentException e) {
            throw new LlamaException(file + ": " + e.getMessage());
        }
    }

    Llama build(int maxSeqLen) {
        return build(maxSeqLen, maxBatchSize);
    }

    Llama build(int maxSeqLen, int batchSize) {
        ckptDir = ModelLocation.resolve(ckptDir);
        if (verify) {
            verifyChecklist();
        }
        Llama llama = Llama.build(ckptDir, tokenizerPath, ModelOptions.of(maxSeqLen, batchSize).withSeed(seed)
                .withNumerics(numerics()).withCacheTypes(cache.keys(), cache.values()));
        StartupClock.modelLoaded();
        if (grammar != null) {
            Grammar g = grammar;
            llama.constrainOutputs(() -> new GrammarConstraint(g, GrammarConstraint.masks(llama.tokenizer()),
                    llama.stopTokens()));
        }
        return llama;
    }

    Numerics numerics() {
        return numericsOptions.numerics();
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
