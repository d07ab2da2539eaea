package dev.llama3j.generate;

import dev.llama3j.LlamaException;
import dev.llama3j.model.Sequence;
import dev.llama3j.model.Transformer;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Continuous batching over one model: callers on any thread submit requests, one engine thread runs the steps. A step
 * is one {@link Transformer#forward(List)} over the prompts of the requests admitted at it and the next token of
 * every request that is generating; requests join and leave at any step, up to {@code maxParallel} at once. Each
 * request samples with its own seeded {@link Sampler}, and a sequence's logits do not depend on the rest of the step,
 * so a request's answer is the same alone or under load.
 *
 * <p>Finished requests leave their sequences behind, idle: a later prompt that starts with the tokens one holds
 * reuses them (llama-server's cache_prompt; {@link Completion#reusedTokens}), and idle sequences are closed, oldest
 * first, when the KV cache needs their room.
 */
public final class Engine implements AutoCloseable {

    /**
     * What to generate: up to {@code maxTokens} tokens after {@code prompt}, sampled at {@code temperature} (0:
     * greedy) from the top-p nucleus, with the RNG seeded by {@code seed}; with {@code logprobs}, each token's
     * log-probability too. With {@code cachePrompt}, the start of the prompt may come from an idle sequence that
     * holds it: faster, but those positions were computed in other steps (a prompt read in another split, or
     * generated tokens read one at a time), so the answer may differ in the last bits from the request's alone.
     * With {@code promptLogprobs}, every prompt token but the first gets its log-probability too (Meta's
     * {@code text_completion(echo=True, logprobs=True)}); the whole prompt is then read, none of it reused. With
     * a {@code constraint}, each token is sampled among those it allows (after the penalties), and it follows
     * the output; log-probabilities are then those of that constrained distribution, and the alternatives only
     * allowed tokens.
     */
    public record Request(int[] prompt, int maxTokens, float temperature, float topP, long seed, boolean logprobs,
                          boolean cachePrompt, int topLogprobs, boolean promptLogprobs, Penalties penalties,
                          TokenConstraint constraint) {
        /** Most alternatives a token's log-probability comes with (OpenAI's limit). */
        public static final int MAX_TOP_LOGPROBS = 20;

        /** Without a constraint. */
        public Request(int[] prompt, int maxTokens, float temperature, float topP, long seed, boolean logprobs,
                       boolean cachePrompt, int topLogprobs, boolean promptLogprobs, Penalties penalties) {
            this(prompt, maxTokens, temperature, topP, seed, logprobs, cachePrompt, topLogprobs, promptLogprobs,
                    penalties, null);
        }

        /** Without alternatives to each token's log-probability. */
        public Request(int[] prompt, int maxTokens, float temperature, float topP, long seed, boolean logprobs,
                       boolean cachePrompt) {
            this(prompt, maxTokens, temperature, topP, seed, logprobs, cachePrompt, 0, false, Penalties.NONE);
        }

        /** Without the prompt tokens' own log-probabilities. */
        public Request(int[] prompt, int maxTokens, float temperature, float topP, long seed, boolean logprobs,
                       boolean cachePrompt, int topLogprobs) {
            this(prompt, maxTokens, temperature, topP, seed, logprobs, cachePrompt, topLogprobs, false,
                    Penalties.NONE);
        }

        /** Without the prompt's own log-probabilities and without penalties. */
        public Request(int[] prompt, int maxTokens, float temperature, float topP, long seed, boolean logprobs,
                       boolean cachePrompt, int topLogprobs, boolean promptLogprobs) {
            this(prompt, maxTokens, temperature, topP, seed, logprobs, cachePrompt, topLogprobs, promptLogprobs,
                    Penalties.NONE);
        }

        public Request {
            java.util.Objects.requireNonNull(penalties, "penalties");
            if (promptLogprobs && !logprobs) {
                throw new LlamaException("the prompt's log-probabilities need logprobs");
            }
            if (topLogprobs < 0 || topLogprobs > MAX_TOP_LOGPROBS || (topLogprobs > 0 && !logprobs)) {
                throw new LlamaException("top_logprobs must be in 0.." + MAX_TOP_LOGPROBS + " and needs logprobs, got "
                        + topLogprobs);
            }
            if (prompt.length == 0) {
                throw new LlamaException("the prompt is empty");
            }
            if (maxTokens < 0) {
                throw new LlamaException("max_tokens must be an integer >= 0, got " + maxTokens);
            }
            if (!(temperature >= 0) || Float.isInfinite(temperature)) {
                throw new LlamaException("temperature must be a finite number >= 0, got " + temperature);
            }
            if (!(topP > 0 && topP <= 1)) {
                throw new LlamaException("top_p must be a number in (0, 1], got " + topP);
            }
            prompt = prompt.clone();
        }
    }

    /**
     * OpenAI's adjustments of the logits before sampling: each token's logit less {@code frequency} times the times
     * it was generated so far and less {@code presence} once it was, plus its {@code logitBias}. Generated tokens
     * only count, not the prompt's (as OpenAI and vLLM do).
     */
    public record Penalties(float presence, float frequency, Map<Integer, Float> logitBias) {
        public static final Penalties NONE = new Penalties(0f, 0f, Map.of());

        public Penalties {
            logitBias = Map.copyOf(logitBias);
        }

        boolean none() {
            return presence == 0f && frequency == 0f && logitBias.isEmpty();
        }
    }

    /** Why a request ended: a stop token, its token limit (or the sequence length limit), or {@link Handle#cancel}. */
    public enum Finish { STOP, LENGTH, CANCELLED }

    /**
     * A finished request: the generated tokens (without the stop token), with logprobs their log-probabilities,
     * how it ended, how many prompt tokens were read and how many came from an idle sequence instead, and where
     * asked the prompt tokens' log-probabilities (tokens 1 .. n-1 of the prompt).
     */
    public record Completion(int[] tokens, float[] logprobs, Finish finish, int promptTokens, int reusedTokens,
                             List<Token> promptLogprobs) {
        public Completion(int[] tokens, float[] logprobs, Finish finish, int promptTokens, int reusedTokens) {
            this(tokens, logprobs, finish, promptTokens, reusedTokens, null);
        }
    }

    /**
     * A generated token as a request's {@link Listener} hears it: with logprobs its log-probability, and the most
     * likely tokens at its position with theirs (most likely first; empty without top_logprobs).
     */
    public record Token(int id, float logprob, int[] topIds, float[] topLogprobs) {}

    /** Hears a request's tokens, on the engine thread: it must be quick. */
    @FunctionalInterface
    public interface Listener {
        void onToken(Token token);

        /**
         * With {@link Request#promptLogprobs}: the prompt tokens' log-probabilities (tokens 1 .. n-1), once the
         * whole prompt is read and before the first token, so that a stream can send the echoed prompt first.
         */
        default void onPrompt(List<Token> scores) {
        }
    }

    /** A submitted request: its result, and a way to stop it early. */
    public static final class Handle {
        private final CompletableFuture<Completion> result = new CompletableFuture<>();
        private volatile boolean cancelled;

        /** Completes when the request ends; exceptionally when it fails (a {@link LlamaException} says why). */
        public CompletableFuture<Completion> result() {
            return result;
        }

        /** Ends the request at the next step, with the tokens it has ({@link Finish#CANCELLED}). */
        public void cancel() {
            cancelled = true;
        }
    }

    private static final class Job {
        final Request request;
        final Listener listener;
        final Handle handle;
        final Sampler sampler;
        final int limit;
        Sequence sequence;
        int reused;
        /** prompt tokens in the sequence so far: the prompt is read in chunks, then the job generates */
        int fed;
        /** where this step's chunk of the prompt starts */
        int chunkStart;
        final List<Token> promptLogprobs;
        /** times each token was generated, kept only where penalties need it */
        final Map<Integer, Integer> counts;
        int[] tokens = new int[16];
        float[] logprobs;
        int count;
        int next;

        Job(Request request, Listener listener, Handle handle, int maxSeqLen) {
            this.request = request;
            this.listener = listener;
            this.handle = handle;
            this.sampler = new Sampler(request.seed());
            this.limit = (int) Math.min(maxSeqLen, (long) request.prompt().length + request.maxTokens());
            this.logprobs = request.logprobs() ? new float[16] : null;
            this.promptLogprobs = request.promptLogprobs() ? new ArrayList<>() : null;
            Penalties p = request.penalties();
            this.counts = p.presence() != 0f || p.frequency() != 0f ? new java.util.HashMap<>() : null;
        }

        /** Positions the sequence will hold at most: the prompt, and every generated token but the last. */
        int positions() {
            return Math.max(request.prompt().length, limit - 1);
        }

        void add(int token, float logprob) {
            if (count == tokens.length) {
                tokens = Arrays.copyOf(tokens, 2 * count);
                if (logprobs != null) {
                    logprobs = Arrays.copyOf(logprobs, 2 * count);
                }
            }
            tokens[count] = token;
            if (counts != null) {
                counts.merge(token, 1, Integer::sum);
            }
            if (logprobs != null) {
                logprobs[count] = logprob;
            }
            count++;
        }
    }

    /**
     * Prompt tokens a request reads per step at most, so that a long prompt does not hold the others' next tokens
     * back for long. The chunks depend only on the prompt (and the reused start), never on the other requests.
     */
    static final int PROMPT_CHUNK = 256;

    /**
     * Tokens of the next chunk of a prompt with {@code left} tokens still to read: {@link #PROMPT_CHUNK}, but never
     * leaving one token alone for the last chunk. A one-token chunk takes the decode path, whose attention sums in
     * another order than a prompt's block attention; with chunks of at least two tokens a prompt's logits are the
     * same however it was split (a reused prefix included).
     */
    static int chunkLength(int left) {
        return left <= PROMPT_CHUNK ? left : left == PROMPT_CHUNK + 1 ? PROMPT_CHUNK - 1 : PROMPT_CHUNK;
    }

    /**
     * Prompt tokens an idle sequence holding {@code common} of them lends: all but the last two, so that at least
     * two are read again (their logits give the first answer token; one alone would take the decode path).
     */
    static int reusable(int common, int promptLength) {
        return Math.max(0, Math.min(common, promptLength - 2));
    }

    private final Transformer model;
    private final int[] stopTokens;
    private final int maxParallel;
    private final int vocab;
    private final LinkedBlockingQueue<Job> incoming = new LinkedBlockingQueue<>();
    private final Deque<Job> waiting = new ArrayDeque<>();
    private final List<Job> active = new ArrayList<>();
    /** sequences of finished requests, oldest first */
    private final Deque<Sequence> idle = new ArrayDeque<>();
    private final Thread thread;
    private volatile boolean closed;
    private volatile int processing;
    private volatile int waitingCount;
    private final AtomicLong promptTokens = new AtomicLong();
    private final AtomicLong generatedTokens = new AtomicLong();
    private final AtomicLong finished = new AtomicLong();

    /**
     * A snapshot of the engine's load: requests generating (or reading their prompts) and waiting, the prompt
     * tokens read and the tokens generated so far, requests ended, and the KV cache positions taken of the budget.
     */
    public record Load(int processing, int queued, long promptTokens, long generatedTokens, long finished,
                       int kvReserved, int kvBudget, int maxParallel) {}

    /** The engine's load now (for /metrics and /slots). */
    public Load load() {
        int queued = incoming.size() + waitingCount;
        return new Load(processing, queued, promptTokens.get(), generatedTokens.get(), finished.get(),
                model.cache().reserved(), model.cache().budget(), maxParallel);
    }

    /** An engine over {@code model} that runs up to {@code maxParallel} requests at once; starts its thread. */
    public Engine(Transformer model, int[] stopTokens, int maxParallel) {
        if (maxParallel < 1) {
            throw new LlamaException("the number of parallel requests must be >= 1, got " + maxParallel);
        }
        this.model = model;
        this.stopTokens = stopTokens.clone();
        this.maxParallel = maxParallel;
        this.vocab = model.config().vocabSize();
        this.thread = Thread.ofPlatform().name("llama3j-engine").daemon().start(this::loop);
    }

    /**
     * Queues {@code request}; {@code listener} hears each generated token (row 0) on the engine thread, so it must be
     * quick.
     *
     * @throws LlamaException when the prompt cannot fit a sequence (max_seq_len) or a token is not in the vocabulary
     */
    public Handle submit(Request request, TokenListener listener) {
        return submit(request, (Listener) t -> listener.onToken(0, t.id()));
    }

    /**
     * Queues {@code request}; {@code listener} hears each generated token with its log-probabilities, on the engine
     * thread.
     *
     * @throws LlamaException when the prompt cannot fit a sequence (max_seq_len) or a token is not in the vocabulary
     */
    public Handle submit(Request request, Listener listener) {
        if (closed) {
            throw new IllegalStateException("the engine is closed");
        }
        int[] prompt = request.prompt();
        if (prompt.length > model.maxSeqLen()) {
            throw new LlamaException("the prompt has " + prompt.length + " tokens, more than the " + model.maxSeqLen()
                    + " a sequence may hold");
        }
        for (int t : prompt) {
            if (t < 0 || t >= vocab) {
                throw new LlamaException("token id " + t + " is outside the vocabulary (0.." + (vocab - 1) + ")");
            }
        }
        Handle handle = new Handle();
        incoming.add(new Job(request, listener, handle, model.maxSeqLen()));
        return handle;
    }

    /** Stops the engine thread; requests not finished end as {@link Finish#CANCELLED}. */
    @Override
    public void close() {
        closed = true;
        thread.interrupt();
        try {
            thread.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        // a request submitted while the engine thread was ending
        for (Job j; (j = incoming.poll()) != null; ) {
            j.handle.result.complete(new Completion(new int[0], j.logprobs == null ? null : new float[0],
                    Finish.CANCELLED, 0, 0));
        }
    }

    private void loop() {
        try {
            while (!closed) {
                if (active.isEmpty() && waiting.isEmpty()) {
                    Job j = incoming.poll(100, TimeUnit.MILLISECONDS);
                    if (j == null) {
                        continue;
                    }
                    waiting.add(j);
                }
                incoming.drainTo(waiting);
                step();
                processing = active.size();
                waitingCount = waiting.size();
            }
        } catch (InterruptedException e) {
            // closing
        } finally {
            incoming.drainTo(waiting);
            for (Job j : active) {
                finish(j, Finish.CANCELLED);
            }
            for (Job j : waiting) {
                j.handle.result.complete(new Completion(new int[0], j.logprobs == null ? null : new float[0],
                        Finish.CANCELLED, 0, 0));
            }
            idle.forEach(Sequence::close);
        }
    }

    /** Admits what fits, runs one forward pass over the new prompts and the generating requests, samples. */
    private void step() {
        active.addAll(admit());
        // cancelled requests leave before the step is put together, on one read of the flag that cancel() may set
        // at any moment: a request the step runs is finished once, after it (its sequence goes idle once)
        active.removeIf(j -> {
            if (j.handle.cancelled) {
                finish(j, Finish.CANCELLED);
                return true;
            }
            return false;
        });
        List<Job> order = new ArrayList<>(active.size());
        List<Transformer.Entry> entries = new ArrayList<>(active.size());
        for (Job j : active) {
            int[] prompt = j.request.prompt();
            if (j.fed < prompt.length) {
                int end = j.fed + chunkLength(prompt.length - j.fed);
                entries.add(new Transformer.Entry(j.sequence, Arrays.copyOfRange(prompt, j.fed, end),
                        j.promptLogprobs != null));
                promptTokens.addAndGet(end - j.fed);
                j.chunkStart = j.fed;
                j.fed = end;
            } else {
                entries.add(new Transformer.Entry(j.sequence, new int[] {j.next}));
            }
            order.add(j);
        }
        if (entries.isEmpty()) {
            return;
        }
        float[][] logits;
        try {
            logits = model.forward(entries);
        } catch (RuntimeException e) {
            for (Job j : order) {
                active.remove(j);
                fail(j, e);
            }
            return;
        }
        for (int i = 0; i < order.size(); i++) {
            Job j = order.get(i);
            int off = 0;
            if (j.promptLogprobs != null && j.chunkStart >= 0) {
                off = scorePrompt(j, logits[i]);
                if (j.fed == j.request.prompt().length && !heardPrompt(j)) {
                    active.remove(j);
                    continue;
                }
            }
            // a prompt chunk that is not the last one only fills the cache
            if (j.fed == j.request.prompt().length && !sample(j, logits[i], off)) {
                active.remove(j);
            }
        }
    }

    /** Tells j's listener the prompt's log-probabilities; false when it failed (j has then ended). */
    private boolean heardPrompt(Job j) {
        try {
            j.listener.onPrompt(List.copyOf(j.promptLogprobs));
            return true;
        } catch (RuntimeException e) {
            fail(j, e);
            return false;
        }
    }

    /** Samples j's next token from {@code logits}; whether j goes on generating. */
    private boolean sample(Job j, float[] logits, int off) {
        if (j.handle.cancelled) {
            finish(j, Finish.CANCELLED);
            return false;
        }
        int bad = Sampler.firstNonFinite(logits, off, vocab);
        if (bad >= 0) {
            fail(j, new LlamaException("the logits at position " + (j.sequence.length() - 1) + " are not finite (token "
                    + bad + ": " + logits[off + bad] + "): the model's weights or activations hold NaN or infinity"));
            return false;
        }
        Request r = j.request;
        if (!r.penalties().none()) {
            penalize(j, logits, off);
        }
        int token;
        try {
            if (r.constraint() != null) {
                r.constraint().restrict(logits, off, vocab);
            }
            token = j.sampler.sample(logits, off, vocab, r.temperature(), r.topP());
            if (!isStop(token) && r.constraint() != null) {
                r.constraint().accept(token);
            }
        } catch (RuntimeException e) {
            fail(j, e);
            return false;
        }
        if (isStop(token)) {
            finish(j, Finish.STOP);
            return false;
        }
        Token heard = r.logprobs() ? scored(logits, off, token, r.topLogprobs()) : new Token(token, 0f, NO_IDS,
                NO_LOGPROBS);
        j.add(token, heard.logprob());
        generatedTokens.incrementAndGet();
        try {
            j.listener.onToken(heard);
        } catch (RuntimeException e) {
            fail(j, e);
            return false;
        }
        if (r.prompt().length + j.count >= j.limit) {
            finish(j, Finish.LENGTH);
            return false;
        }
        j.next = token;
        return true;
    }

    /**
     * Takes waiting requests while fewer than maxParallel run and the KV cache has room (closing idle sequences,
     * oldest first, to make it): each gets the idle sequence that holds the longest start of its prompt, or a new one.
     */
    private List<Job> admit() {
        List<Job> admitted = new ArrayList<>();
        while (!waiting.isEmpty() && active.size() + admitted.size() < maxParallel) {
            Job j = waiting.peekFirst();
            if (j.handle.cancelled || j.request.maxTokens() == 0) {
                waiting.removeFirst();
                finished.incrementAndGet();   // ended before it ran: a client gone while it waited, or nothing to do
                j.handle.result.complete(new Completion(new int[0], j.logprobs == null ? null : new float[0],
                        j.handle.cancelled ? Finish.CANCELLED : Finish.LENGTH, 0, 0));
                continue;
            }
            int[] prompt = j.request.prompt();
            Sequence best = null;
            int bestLength = 0;
            for (Sequence s : idle) {
                int common = j.request.cachePrompt() && !j.request.promptLogprobs()
                        ? reusable(s.commonPrefix(prompt), prompt.length) : 0;
                if (best == null || common > bestLength) {
                    best = s;
                    bestLength = common;
                }
            }
            if (best != null) {
                idle.remove(best);
                best.truncate(bestLength);
            } else {
                best = model.newSequence();
            }
            if (!reserve(best, j.positions())) {
                idle.addLast(best);
                if (active.isEmpty() && admitted.isEmpty()) {
                    waiting.removeFirst();
                    idle.remove(best);
                    best.close();
                    finished.incrementAndGet();
                    j.handle.result.completeExceptionally(new LlamaException("the request needs " + j.positions()
                            + " positions, more than the KV cache holds (" + model.cache().budget() + ")"));
                    continue;
                }
                break;  // room comes back as running requests finish
            }
            waiting.removeFirst();
            j.sequence = best;
            j.reused = bestLength;
            j.fed = bestLength;
            admitted.add(j);
        }
        return admitted;
    }

    /** Room for {@code positions} in s, closing other idle sequences (oldest first) while the cache has none. */
    private boolean reserve(Sequence s, int positions) {
        while (true) {
            try {
                s.reserve(positions);
                return true;
            } catch (LlamaException full) {
                Sequence oldest = idle.pollFirst();
                if (oldest == null) {
                    return false;
                }
                oldest.close();
            }
        }
    }

    private void finish(Job j, Finish finish) {
        release(j);
        finished.incrementAndGet();
        j.handle.result.complete(new Completion(Arrays.copyOf(j.tokens, j.count),
                j.logprobs == null ? null : Arrays.copyOf(j.logprobs, j.count), finish,
                j.request.prompt().length - j.reused, j.reused,
                j.promptLogprobs == null ? null : List.copyOf(j.promptLogprobs)));
    }

    private void fail(Job j, Throwable e) {
        release(j);
        finished.incrementAndGet();
        j.handle.result.completeExceptionally(e);
    }

    /** The job's sequence becomes idle (kept for its tokens), or is closed when it is not whole. */
    private void release(Job j) {
        if (j.sequence == null || j.sequence.isClosed()) {
            return;
        }
        idle.addLast(j.sequence);
        while (idle.size() > maxParallel) {
            idle.pollFirst().close();
        }
    }

    private static final int[] NO_IDS = new int[0];
    private static final float[] NO_LOGPROBS = new float[0];

    /** The request's penalties and biases applied to its row of logits, in place. */
    private void penalize(Job j, float[] logits, int off) {
        Penalties p = j.request.penalties();
        if (p.presence() != 0f || p.frequency() != 0f) {
            for (Map.Entry<Integer, Integer> e : j.counts.entrySet()) {
                logits[off + e.getKey()] -= p.frequency() * e.getValue() + p.presence();
            }
        }
        for (Map.Entry<Integer, Float> e : p.logitBias().entrySet()) {
            if (e.getKey() >= 0 && e.getKey() < vocab) {
                logits[off + e.getKey()] += e.getValue();
            }
        }
    }

    /**
     * The chunk's rows of logits score the prompt tokens they predict (row t: the token after chunk position t);
     * returns the offset of the last row, which predicts the first generated token once the prompt is read.
     */
    private int scorePrompt(Job j, float[] logits) {
        int[] prompt = j.request.prompt();
        int rows = j.fed - j.chunkStart;
        for (int t = 0; t < rows; t++) {
            int next = j.chunkStart + t + 1;
            if (next < prompt.length) {
                j.promptLogprobs.add(scored(logits, t * vocab, prompt[next], j.request.topLogprobs()));
            }
        }
        j.chunkStart = -1;
        return (rows - 1) * vocab;
    }

    /** {@code token}'s log-probability at the row of logits at {@code off}, with the k most likely beside it. */
    private Token scored(float[] logits, int off, int token, int k) {
        double normalizer = Sampler.logNormalizer(logits, off, vocab);
        float logprob = (float) (logits[off + token] - normalizer);
        return k == 0 ? new Token(token, logprob, NO_IDS, NO_LOGPROBS)
                : top(logits, off, k, token, logprob, normalizer);
    }

    /** The k most likely tokens (ties: the lower id first) and their log-probabilities, beside the sampled one. */
    private Token top(float[] logits, int off, int k, int token, float logprob, double normalizer) {
        int[] ids = new int[k];
        float[] values = new float[k];
        java.util.Arrays.fill(values, Float.NEGATIVE_INFINITY);
        java.util.Arrays.fill(ids, -1);
        for (int i = 0; i < vocab; i++) {
            float v = logits[off + i];
            if (v > values[k - 1] || ids[k - 1] < 0) {
                int at = k - 1;
                while (at > 0 && (v > values[at - 1] || ids[at - 1] < 0)) {
                    values[at] = values[at - 1];
                    ids[at] = ids[at - 1];
                    at--;
                }
                values[at] = v;
                ids[at] = i;
            }
        }
        int kept = 0;
        for (int i = 0; i < k; i++) {
            // tokens a constraint ruled out (negative infinity) are no alternatives
            if (Float.isFinite(values[i])) {
                ids[kept] = ids[i];
                values[kept++] = (float) (values[i] - normalizer);
            }
        }
        return new Token(token, logprob, java.util.Arrays.copyOf(ids, kept), java.util.Arrays.copyOf(values, kept));
    }

    private boolean isStop(int token) {
        for (int s : stopTokens) {
            if (s == token) {
                return true;
            }
        }
        return false;
    }
}
