package dev.llama3j.generate;

import com.fasterxml.jackson.databind.JsonNode;
import dev.llama3j.LlamaException;
import dev.llama3j.chat.ChatFormat;
import dev.llama3j.chat.Message;
import dev.llama3j.chat.ToolFormat;
import dev.llama3j.format.ModelFiles;
import dev.llama3j.model.LlamaWeights;
import dev.llama3j.model.Sequence;
import dev.llama3j.model.Transformer;
import dev.llama3j.tensor.Numerics;
import dev.llama3j.tensor.Parallel;
import dev.llama3j.tokenizer.Tokenizer;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;

/**
 * The application API, as Meta's {@code Llama} class in {@code generation.py}: build a model once, then
 * {@link #textCompletion} and {@link #chatCompletion} over batches of prompts or dialogs.
 *
 * <pre>{@code
 * try (Llama llama = Llama.build(Path.of("Meta-Llama-3-8B-Instruct"), null, 512, 4, 1)) {
 *     var answers = llama.chatCompletion(List.of(List.of(Message.user("Hi!"))), 0.6f, 0.9f, null, false);
 * }
 * }</pre>
 */
public final class Llama implements AutoCloseable {
    /** Meta asserts max_seq_len <= 8192 for Llama 3; Llama 3.1+ models allow their own longer context. */
    public static final int LLAMA3_MAX_SEQ_LEN = 8192;

    private final LlamaWeights weights;
    private final Tokenizer tokenizer;
    private final ChatFormat chatFormat;
    private final Transformer model;
    private final Generator generator;
    private final Sampler sampler;
    private final int[] stopTokens;
    private final long loadNanos;
    /** The model's own threads ({@link ModelOptions#threads}), or null for the process's. */
    private final Parallel.Workers workers;

    private Llama(LlamaWeights weights, Tokenizer tokenizer, ChatFormat chatFormat, int[] stopTokens,
                  ModelOptions o, long loadNanos) {
        this.weights = weights;
        this.tokenizer = tokenizer;
        this.chatFormat = chatFormat;
        this.workers = o.threads() > 0 ? Parallel.newWorkers(o.threads()) : null;
        try {
            this.model = new Transformer(weights, o.maxBatchSize(), o.maxSeqLen(),
                    (int) Math.min(Integer.MAX_VALUE, (long) o.maxBatchSize() * o.maxSeqLen()), o.keyType(),
                    o.valueType(), workers);
        } catch (RuntimeException e) {
            if (workers != null) {
                workers.close();
            }
            throw e;
        }
        this.generator = new Generator(model, stopTokens);
        this.stopTokens = stopTokens.clone();
        this.sampler = new Sampler(o.seed());
        this.loadNanos = loadNanos;
    }

    /**
     * Loads a model and its tokenizer.
     *
     * @param modelPath     a Meta checkpoint directory (consolidated.NN.pth + params.json), a Hugging Face
     *                      directory, or a GGUF file
     * @param tokenizerPath tokenizer.model, tokenizer.json or a .gguf file whose tokenizer to use; null for the
     *                      model's own (see {@link ModelFiles#loadTokenizer})
     * @param seed          the sampling seed: the same seed gives the same output
     */
    public static Llama build(Path modelPath, Path tokenizerPath, int maxSeqLen, int maxBatchSize, long seed) {
        return build(modelPath, tokenizerPath, maxSeqLen, maxBatchSize, seed, Numerics.EXACT);
    }

    /** {@link #build(Path, Path, int, int, long)} with the given numerics (see {@link Numerics}). */
    public static Llama build(Path modelPath, Path tokenizerPath, int maxSeqLen, int maxBatchSize, long seed,
                              Numerics numerics) {
        return build(modelPath, tokenizerPath, ModelOptions.of(maxSeqLen, maxBatchSize).withSeed(seed)
                .withNumerics(numerics));
    }

    /** Loads a model and its tokenizer (see {@link #build(Path, Path, int, int, long)}) as {@code options} say. */
    public static Llama build(Path modelPath, Path tokenizerPath, ModelOptions options) {
        long t0 = System.nanoTime();
        int maxSeqLen = options.maxSeqLen();
        int maxBatchSize = options.maxBatchSize();
        Numerics numerics = options.numerics();
        if (maxBatchSize < 1) {
            throw new LlamaException("max_batch_size must be >= 1, got " + maxBatchSize);
        }
        ModelFiles.LoadedModel loaded = ModelFiles.load(modelPath, tokenizerPath, numerics);
        LlamaWeights weights = loaded.weights();
        try {
            int limit = Math.max(LLAMA3_MAX_SEQ_LEN, weights.config().contextLength());
            if (maxSeqLen < 1 || maxSeqLen > limit) {
                throw new LlamaException("max_seq_len must be in 1.." + limit + " for this model, got " + maxSeqLen);
            }
            boolean llama31 = weights.isLlama31();
            ModelFiles.ModelTokenizer modelTokenizer = llama31 ? loaded.tokenizer().withLlama31Names() : loaded.tokenizer();
            Tokenizer tokenizer = modelTokenizer.tokenizer();
            if (weights.config().vocabSize() != tokenizer.vocabSize()) {
                throw new LlamaException("the model's vocab_size " + weights.config().vocabSize() + " does not match the "
                        + tokenizer.vocabSize() + " tokens of " + modelTokenizer.source());
            }
            ChatFormat format = llama31 ? ChatFormat.llamaModels(tokenizer, null) : ChatFormat.llama3(tokenizer);
            int[] stops = modelTokenizer.stopTokens().stream().mapToInt(Integer::intValue).toArray();
            return new Llama(weights, tokenizer, format, stops, options, System.nanoTime() - t0);
        } catch (RuntimeException e) {
            closeQuietly(weights);
            throw e;
        }
    }

    public Tokenizer tokenizer() {
        return tokenizer;
    }

    /** The ids that end generation: the tokenizer's and those the model's files name. */
    public int[] stopTokens() {
        return stopTokens.clone();
    }

    public LlamaWeights weights() {
        return weights;
    }

    public int maxSeqLen() {
        return model.maxSeqLen();
    }

    public int maxBatchSize() {
        return model.maxBatch();
    }

    public double loadSeconds() {
        return loadNanos / 1e9;
    }

    /** One completion: the generated text, and with logprobs each token's text and log-probability. */
    public record CompletionPrediction(String generation, List<String> tokens, float[] logprobs) {}

    /** One chat answer: the assistant message, and with logprobs each token's text and log-probability. */
    public record ChatPrediction(Message generation, List<String> tokens, float[] logprobs) {}

    /** {@code generate} on token ids, exactly generation.py's semantics (see {@link Generator}). */
    public Generator.Result generate(List<int[]> promptTokens, int maxGenLen, float temperature, float topP,
                                     boolean logprobs, boolean echo, TokenListener listener) {
        checkSampling(temperature, topP);
        return generator.generate(promptTokens, maxGenLen, temperature, topP, logprobs, echo, sampler, listener,
                outputConstraints);
    }

    private Supplier<TokenConstraint> outputConstraints;

    /**
     * Every later answer ({@link #textCompletion}, {@link #chatCompletion}, {@link #chatTurn}) is sampled under a
     * new constraint from {@code constraints} (a JSON Schema's, say); null: free text again.
     */
    public void constrainOutputs(Supplier<TokenConstraint> constraints) {
        this.outputConstraints = constraints;
    }

    /** generation.py {@code text_completion}: prompts are encoded with BOS; max_gen_len null = max_seq_len - 1. */
    public List<CompletionPrediction> textCompletion(List<String> prompts, float temperature, float topP,
                                                     Integer maxGenLen, boolean logprobs, boolean echo,
                                                     TokenListener listener) {
        List<int[]> tokens = new ArrayList<>();
        for (String p : prompts) {
            tokens.add(tokenizer.encode(p, true, false));
        }
        Generator.Result r = generate(tokens, genLen(maxGenLen), temperature, topP, logprobs, echo, listener);
        lastStats = r.stats();
        List<CompletionPrediction> out = new ArrayList<>();
        for (int i = 0; i < prompts.size(); i++) {
            int[] t = r.tokens().get(i);
            out.add(new CompletionPrediction(tokenizer.decode(t), logprobs ? pieces(t) : null,
                    logprobs ? r.logprobs().get(i) : null));
        }
        return out;
    }

    /** generation.py {@code chat_completion}: each dialog is formatted by the chat format, answered by the model. */
    public List<ChatPrediction> chatCompletion(List<List<Message>> dialogs, float temperature, float topP,
                                               Integer maxGenLen, boolean logprobs, TokenListener listener) {
        List<int[]> tokens = new ArrayList<>();
        for (List<Message> d : dialogs) {
            tokens.add(chatFormat.encodeDialogPrompt(d));
        }
        Generator.Result r = generate(tokens, genLen(maxGenLen), temperature, topP, logprobs, false, listener);
        lastStats = r.stats();
        List<ChatPrediction> out = new ArrayList<>();
        for (int i = 0; i < dialogs.size(); i++) {
            int[] t = r.tokens().get(i);
            out.add(new ChatPrediction(Message.assistant(tokenizer.decode(t)), logprobs ? pieces(t) : null,
                    logprobs ? r.logprobs().get(i) : null));
        }
        return out;
    }

    /**
     * A continuous-batching engine over this model ({@link Engine}): up to {@code parallel} requests at once, sharing
     * the KV cache of max_batch_size x max_seq_len positions; close it before this model.
     */
    public Engine newEngine(int parallel) {
        return new Engine(model, stopTokens, parallel);
    }

    /** The chat format the model's dialogs are rendered in (Llama 3, or llama-models' for Llama 3.1+). */
    public ChatFormat chatFormat() {
        return chatFormat;
    }

    /** The prompt of OpenAI-shaped messages and tools (null: none) in a tool format, for a model that takes tools. */
    public int[] toolPrompt(ToolFormat format, JsonNode messages, JsonNode tools) {
        checkToolSupport();
        return format.encode(tokenizer, messages, tools);
    }

    /** Fails unless this model takes tools: Llama 3.1 and later, whose special tokens the tool formats use. */
    public void checkToolSupport() {
        if (!weights.isLlama31()) {
            throw new LlamaException("tools need a Llama 3.1 or later model; this one is Llama 3");
        }
    }

    /** A new sequence in the model's KV cache, for {@link #chatTurn}; close it to give its room back. */
    public Sequence newSequence() {
        return model.newSequence();
    }

    /**
     * {@link #chatCompletion} of one dialog on a sequence kept between turns: the tokens it still holds from the
     * dialog's earlier turns are not processed again ({@link Generator#generate(Sequence, int[], int, float, float,
     * boolean, Sampler, TokenListener)}).
     */
    public ChatPrediction chatTurn(Sequence seq, List<Message> dialog, float temperature, float topP,
                                   Integer maxGenLen, boolean logprobs, TokenListener listener) {
        return chatTurn(seq, chatFormat.encodeDialogPrompt(dialog), temperature, topP, maxGenLen, logprobs, listener);
    }

    /** {@link #chatTurn(Sequence, List, float, float, Integer, boolean, TokenListener)} of prompt tokens. */
    public ChatPrediction chatTurn(Sequence seq, int[] prompt, float temperature, float topP,
                                   Integer maxGenLen, boolean logprobs, TokenListener listener) {
        checkSampling(temperature, topP);
        Generator.Result r = generator.generate(seq, prompt, genLen(maxGenLen), temperature, topP, logprobs, sampler,
                listener, outputConstraints == null ? null : outputConstraints.get());
        lastStats = r.stats();
        int[] t = r.tokens().get(0);
        return new ChatPrediction(Message.assistant(tokenizer.decode(t)), logprobs ? pieces(t) : null,
                logprobs ? r.logprobs().get(0) : null);
    }

    private Generator.Stats lastStats;

    /** Tokens the chat format makes of {@code dialog} (to keep a conversation within max_seq_len). */
    public int promptLength(List<Message> dialog) {
        return chatFormat.encodeDialogPrompt(dialog).length;
    }

    /** Timing of the last completion call. */
    public Generator.Stats lastStats() {
        return lastStats;
    }

    private int genLen(Integer maxGenLen) {
        return maxGenLen == null ? maxSeqLen() - 1 : maxGenLen;
    }

    private List<String> pieces(int[] tokens) {
        List<String> p = new ArrayList<>(tokens.length);
        for (int t : tokens) {
            p.add(tokenizer.decode(new int[] {t}));
        }
        return p;
    }

    private static void checkSampling(float temperature, float topP) {
        if (!(temperature >= 0) || Float.isInfinite(temperature)) {
            throw new LlamaException("temperature must be a finite number >= 0, got " + temperature);
        }
        if (!(topP > 0 && topP <= 1)) {
            throw new LlamaException("top_p must be a number in (0, 1], got " + topP);
        }
    }

    private static void closeQuietly(AutoCloseable c) {
        try {
            c.close();
        } catch (Exception ignored) {
            // already failing: the original error is the one to report
        }
    }

    @Override
    public void close() {
        model.close();
        closeQuietly(weights);
        if (workers != null) {
            workers.close();
        }
    }
}
