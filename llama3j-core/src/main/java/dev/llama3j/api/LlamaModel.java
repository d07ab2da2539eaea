package dev.llama3j.api;

import com.fasterxml.jackson.databind.JsonNode;
import dev.llama3j.LlamaException;
import dev.llama3j.chat.Message;
import dev.llama3j.chat.SpelledSpecialTokens;
import dev.llama3j.chat.ToolFormat;
import dev.llama3j.generate.Engine;
import dev.llama3j.generate.Llama;
import dev.llama3j.generate.ModelOptions;
import dev.llama3j.generate.StopStrings;
import dev.llama3j.generate.TokenConstraint;
import dev.llama3j.generate.Utf8Stream;
import dev.llama3j.grammar.Grammar;
import dev.llama3j.grammar.GrammarConstraint;
import dev.llama3j.model.CacheType;
import dev.llama3j.tensor.Numerics;
import dev.llama3j.tokenizer.Tokenizer;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Flow;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.SubmissionPublisher;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;

/**
 * A Llama model loaded for an application. Thread-safe: one copy of the weights in memory, and any number of threads
 * may ask at once; one engine thread runs their requests together, up to {@link Options#parallel()} at a time (the
 * others wait), each with its own KV cache (continuous batching, {@link Engine}). An answer at temperature 0, or with
 * a seed, does not depend on what else is running.
 *
 * <pre>{@code
 * try (LlamaModel model = LlamaModel.load(Path.of("Llama-3.2-1B-Instruct-Q4_0.gguf"))) {
 *     GenerationResult r = model.chat(List.of(Message.user("Hello!")), GenerateOptions.defaults().withMaxTokens(32));
 *     System.out.println(r.text());
 * }
 * }</pre>
 */
public final class LlamaModel implements AutoCloseable {
    private final Llama llama;
    private final Engine engine;
    private final String name;

    /**
     * How a model is set up: its tokenizer (null: the model's own), positions per conversation (prompt and answer),
     * conversations generated at once, the activations' numerics ({@link Numerics#INT8}: integer products for
     * quantized weights, llama.cpp's way; {@link Numerics#EXACT}: float32, Meta's numbers), the KV cache's types
     * and the worker threads of its own (0: the process's, one per core unless set otherwise).
     */
    public record Options(Path tokenizer, int contextLength, int parallel, Numerics numerics, CacheType keyType,
                          CacheType valueType, int threads) {
        public Options {
            if (contextLength < 1 || parallel < 1) {
                throw new LlamaException("context length and parallel must be >= 1, got " + contextLength + " and "
                        + parallel);
            }
            if (threads < 0) {
                throw new LlamaException("threads must be >= 0 (0: the process's), got " + threads);
            }
        }

        /** On the process's threads. */
        public Options(Path tokenizer, int contextLength, int parallel, Numerics numerics, CacheType keyType,
                       CacheType valueType) {
            this(tokenizer, contextLength, parallel, numerics, keyType, valueType, 0);
        }

        /** The model's own tokenizer, 4096 positions, 4 at once, int8 activations, float32 cache. */
        public static Options defaults() {
            return new Options(null, 4096, 4, Numerics.INT8, CacheType.F32, CacheType.F32);
        }

        /** {@code n} worker threads of the model's own (0: the process's). */
        public Options withThreads(int n) {
            return new Options(tokenizer, contextLength, parallel, numerics, keyType, valueType, n);
        }

        public Options withTokenizer(Path p) {
            return new Options(p, contextLength, parallel, numerics, keyType, valueType, threads);
        }

        public Options withContextLength(int n) {
            return new Options(tokenizer, n, parallel, numerics, keyType, valueType, threads);
        }

        public Options withParallel(int n) {
            return new Options(tokenizer, contextLength, n, numerics, keyType, valueType, threads);
        }

        public Options withNumerics(Numerics n) {
            return new Options(tokenizer, contextLength, parallel, n, keyType, valueType, threads);
        }

        public Options withCacheTypes(CacheType keys, CacheType values) {
            return new Options(tokenizer, contextLength, parallel, numerics, keys, values, threads);
        }
    }

    private LlamaModel(Llama llama, Engine engine, String name) {
        this.llama = llama;
        this.engine = engine;
        this.name = name;
    }

    /** {@link #load(Path, Options)} with {@link Options#defaults()}. */
    public static LlamaModel load(Path model) {
        return load(model, Options.defaults());
    }

    /**
     * Loads a model: a GGUF file, a Hugging Face folder, or a Meta checkpoint folder (consolidated.NN.pth and
     * params.json).
     *
     * @throws LlamaException naming the file and what is wrong with it
     */
    public static LlamaModel load(Path model, Options o) {
        ModelOptions mo = ModelOptions.of(o.contextLength(), o.parallel()).withNumerics(o.numerics())
                .withCacheTypes(o.keyType(), o.valueType()).withThreads(o.threads());
        Llama llama = Llama.build(model, o.tokenizer(), mo);
        try {
            return new LlamaModel(llama, llama.newEngine(o.parallel()), model.getFileName().toString());
        } catch (RuntimeException e) {
            llama.close();
            throw e;
        }
    }

    /** The model's file or folder name. */
    public String name() {
        return name;
    }

    public Tokenizer tokenizer() {
        return llama.tokenizer();
    }

    /** Tokens in {@code text} alone (no begin-of-text, special-token names read as text). */
    public int countTokens(String text) {
        return llama.tokenizer().encode(text, false, false).length;
    }

    /** Tokens of the prompt that {@link #chat} reads for {@code dialog} (chat headers included). */
    public int countPromptTokens(List<Message> dialog) {
        return llama.chatFormat().encodeDialogPrompt(dialog).length;
    }

    /** The assistant's answer to {@code dialog}, when it is done. */
    public GenerationResult chat(List<Message> dialog, GenerateOptions options) {
        return join(chat(dialog, options, null));
    }

    /**
     * Starts the assistant's answer to {@code dialog} (rendered in the model's chat format); {@code onText}, if not
     * null, gets the text as it is generated (whole characters, never a stop string), on a thread of its own.
     */
    public Generation chat(List<Message> dialog, GenerateOptions options, Consumer<String> onText) {
        return generate(llama.chatFormat().encodeDialogPrompt(dialog), options, onText);
    }

    /**
     * The assistant's answer to {@code dialog} as a {@link Flow.Publisher} of text pieces: each subscription
     * generates an answer of its own, delivered as the subscriber asks for it (the model does not wait: pieces not
     * yet asked for are buffered); cancelling the subscription stops the generation; an error (a prompt too long, a
     * closed model) arrives through {@code onError}.
     */
    public Flow.Publisher<String> chatPublisher(List<Message> dialog, GenerateOptions options) {
        int[] prompt = llama.chatFormat().encodeDialogPrompt(dialog);
        return subscriber -> {
            SubmissionPublisher<String> out = new SubmissionPublisher<>(
                    task -> Thread.ofVirtual().name("llama3j-publisher").start(task), Flow.defaultBufferSize());
            out.subscribe(subscriber);
            AtomicReference<Generation> running = new AtomicReference<>();
            Generation g = generate(prompt, options, piece -> {
                if (out.getNumberOfSubscribers() == 0) {
                    Generation r = running.get();
                    if (r != null) {
                        r.cancel();
                    }
                } else {
                    out.submit(piece);
                }
            });
            running.set(g);
            g.result().whenComplete((r, e) -> {
                if (e != null) {
                    out.closeExceptionally(e);
                } else {
                    out.close();
                }
            });
        };
    }

    /** Fails unless this model takes tools: Llama 3.1 and later (a {@link LlamaException} saying why). */
    public void checkToolSupport() {
        llama.checkToolSupport();
    }

    /**
     * The prompt of OpenAI-shaped {@code messages} (tool call arguments as JSON objects, results as "tool"
     * messages) and OpenAI's {@code tools} list (null: none) in a tool format, as the server and {@code chat --tools}
     * prompt them; answer it with {@link #generate} and read the answer's calls with {@link ToolFormat#parse}.
     *
     * @throws LlamaException for a model without tools (Llama 3), a string that spells a special token (it would be
     *                        read as that token), or a dialog the template refuses
     */
    public int[] toolPrompt(ToolFormat format, JsonNode messages, JsonNode tools) {
        llama.checkToolSupport();
        for (JsonNode node : new JsonNode[] {messages, tools}) {
            String special = SpelledSpecialTokens.first(llama.tokenizer(), node);
            if (special != null) {
                throw new LlamaException("a message or tool spells the special token " + special
                        + ", which the tool prompt would read as that token");
            }
        }
        return llama.toolPrompt(format, messages, tools);
    }

    /** The answer to prompt tokens ({@link #toolPrompt}, say) as they are, when it is done. */
    public GenerationResult generate(int[] prompt, GenerateOptions options) {
        return join(generate(prompt, options, null));
    }

    /** The continuation of {@code prompt} (begin-of-text first), when it is done. */
    public GenerationResult complete(String prompt, GenerateOptions options) {
        return join(complete(prompt, options, null));
    }

    /** Starts the continuation of {@code prompt}; {@code onText} as for {@link #chat}. */
    public Generation complete(String prompt, GenerateOptions options, Consumer<String> onText) {
        return generate(llama.tokenizer().encode(prompt, true, false), options, onText);
    }

    /** Starts the answer to prompt tokens as they are (no begin-of-text added); {@code onText} as for {@link #chat}. */
    public Generation generate(int[] promptTokens, GenerateOptions o, Consumer<String> onText) {
        int[] prompt = promptTokens.clone();   // the engine reads it later, on its own thread
        long seed = o.seed() != null ? o.seed() : ThreadLocalRandom.current().nextLong();
        int maxTokens = o.maxTokens() != null ? o.maxTokens() : Integer.MAX_VALUE;
        Grammar grammar = GenerateOptions.compile(o.jsonSchema(), o.grammar());
        TokenConstraint constraint = grammar == null ? null : new GrammarConstraint(grammar,
                GrammarConstraint.masks(llama.tokenizer()), llama.stopTokens());
        Engine.Request request = new Engine.Request(prompt, maxTokens, (float) o.temperature(), (float) o.topP(), seed,
                false, true, 0, false, Engine.Penalties.NONE, constraint);
        LinkedBlockingQueue<Object> events = new LinkedBlockingQueue<>();
        Engine.Handle handle;
        try {
            handle = engine.submit(request, (Engine.Listener) events::add);
        } catch (RuntimeException e) {
            // refused before it started (a prompt too long, a closed model): the same failure as one that fails later
            return new Generation(null, CompletableFuture.failedFuture(e));
        }
        handle.result().whenComplete((c, e) -> events.add(new End(c, e)));
        CompletableFuture<GenerationResult> result = new CompletableFuture<>();
        // a caller that gives up on the future (cancel, orTimeout) frees the engine's slot too
        result.whenComplete((r, e) -> {
            if (result.isCompletedExceptionally()) {
                handle.cancel();
            }
        });
        Generation generation = new Generation(handle, result);
        Thread.ofVirtual().name("llama3j-answer")
                .start(() -> deliver(prompt.length, o, events, handle, onText, result));
        return generation;
    }

    private record End(Engine.Completion completion, Throwable failure) {}

    /** Turns the engine's tokens into text for the listener and the result, off the engine thread. */
    private void deliver(int promptTokens, GenerateOptions o, LinkedBlockingQueue<Object> events, Engine.Handle handle,
                         Consumer<String> onText, CompletableFuture<GenerationResult> result) {
        Tokenizer tokenizer = llama.tokenizer();
        Utf8Stream utf8 = new Utf8Stream(Tokenizer::decodeUtf8);
        StopStrings stops = new StopStrings(o.stop());
        StringBuilder text = new StringBuilder();
        try {
            while (true) {
                Object ev = events.take();
                if (ev instanceof Engine.Token t) {
                    if (!stops.stopped()) {
                        String piece = stops.push(utf8.push(tokenizer.tokenBytes(t.id())));
                        if (stops.stopped()) {
                            handle.cancel();
                        }
                        emit(piece, text, onText);
                    }
                    continue;
                }
                End end = (End) ev;
                if (end.failure() != null) {
                    Throwable cause = end.failure() instanceof ExecutionException x ? x.getCause() : end.failure();
                    result.completeExceptionally(cause);
                    return;
                }
                if (!stops.stopped()) {
                    emit(stops.push(utf8.flush()) + stops.flush(), text, onText);
                }
                Engine.Completion c = end.completion();
                GenerationResult.Finish finish = stops.stopped() || c.finish() == Engine.Finish.STOP
                        ? GenerationResult.Finish.STOP
                        : c.finish() == Engine.Finish.CANCELLED ? GenerationResult.Finish.CANCELLED
                        : GenerationResult.Finish.LENGTH;
                result.complete(new GenerationResult(text.toString(), promptTokens, c.tokens().length, finish));
                return;
            }
        } catch (InterruptedException e) {
            handle.cancel();
            result.completeExceptionally(e);
        } catch (RuntimeException e) {
            // the listener failed: stop generating, and say why
            handle.cancel();
            result.completeExceptionally(e);
        }
    }

    private static void emit(String piece, StringBuilder text, Consumer<String> onText) {
        if (!piece.isEmpty()) {
            text.append(piece);
            if (onText != null) {
                onText.accept(piece);
            }
        }
    }

    private static GenerationResult join(Generation g) {
        try {
            return g.result().get();
        } catch (InterruptedException e) {
            g.cancel();
            Thread.currentThread().interrupt();
            throw new LlamaException("interrupted while generating");
        } catch (ExecutionException e) {
            throw e.getCause() instanceof LlamaException le ? le
                    : new LlamaException(String.valueOf(e.getCause()), e.getCause());
        }
    }

    /** Stops the engine (unfinished answers end, finish CANCELLED) and frees the model's memory. */
    @Override
    public void close() {
        engine.close();
        llama.close();
    }
}
