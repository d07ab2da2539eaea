package dev.llama3j.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.llama3j.LlamaException;
import dev.llama3j.chat.Message;
import dev.llama3j.chat.ToolFormat;
import dev.llama3j.generate.Engine;
import dev.llama3j.generate.TokenConstraint;
import dev.llama3j.guard.Guard;
import dev.llama3j.guard.GuardVerdict;
import dev.llama3j.tokenizer.Tokenizer;
import io.helidon.http.HeaderNames;
import io.helidon.http.Status;
import io.helidon.webserver.http.ServerResponse;

import java.io.IOException;
import java.io.OutputStream;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * Several choices of one request ({@code n} per prompt, for completions of several prompts): each its own engine
 * request, seeded {@code seed + k} for choice k (so they differ when sampled and repeat with the seed), all
 * submitted at once and generated together. Answered whole, or streamed as OpenAI does: each chunk carries one
 * choice, by its index, chunks of different choices interleaved as their tokens arrive. With a guard, each choice is
 * screened on its own: the choices of a refused prompt are never generated, and each answer is held back until the
 * guard passed it; a filtered choice ends with finish_reason "content_filter" and the guard's verdict. With tools,
 * each answer is held back until its end, then read for calls as a single choice's is.
 */
final class SeveralChoices {
    /** What the engine threads hand the request's thread, for one choice. */
    private sealed interface Event {
        int choice();

        record Prompt(int choice, List<Engine.Token> scores) implements Event {}

        record Token(int choice, Engine.Token token) implements Event {}

        record End(int choice, Engine.Completion completion, Throwable failure) implements Event {}

        /** The guard's verdict on the choice's answer. */
        record Screened(int choice, GuardVerdict verdict, Throwable failure) implements Event {}
    }

    private final Engine engine;
    private final Tokenizer tokenizer;
    private final Chunks chunks;
    /** null: nothing is screened */
    private final Screening screening;
    /** what reads each answer for tool calls; null: the request has no tools */
    private final ToolFormat tools;

    SeveralChoices(Engine engine, Tokenizer tokenizer, Chunks chunks, Screening screening, ToolFormat tools) {
        this.engine = engine;
        this.tokenizer = tokenizer;
        this.chunks = chunks;
        this.screening = screening;
        this.tools = tools;
    }

    /**
     * Answers n choices of each prompt (choice k: prompt k / n's), under a constraint each from {@code constraints}
     * (null: none), screened on {@code turns} (what the guard sees of each prompt; null: not screened), until they
     * end or {@code watch} sees the client gone ({@link ClientWatch.Gone}). Returns the prompt tokens (each prompt
     * once) and the generated ones, or null when a stream that had begun ended in an error.
     */
    int[] answer(ServerResponse res, ClientWatch watch, String id, RequestOptions o, boolean chat, List<int[]> prompts,
                 List<List<Message>> turns, Supplier<TokenConstraint> constraints) throws IOException {
        int count = prompts.size() * o.n();
        boolean scorePrompt = o.echo() && o.logprobs();
        boolean screen = turns != null && screening.output();
        GuardVerdict[] refused = refused(turns, prompts.size());
        LinkedBlockingQueue<Event> events = new LinkedBlockingQueue<>();
        Engine.Handle[] handles = new Engine.Handle[count];
        ChoiceText[] texts = new ChoiceText[count];
        Engine.Completion[] ends = new Engine.Completion[count];
        // a choice the guard filtered: its verdict
        GuardVerdict[] filtered = new GuardVerdict[count];
        String[] rests = new String[count];
        int open = count;
        try {
            for (int k = 0; k < count; k++) {
                int[] prompt = prompts.get(k / o.n());
                texts[k] = new ChoiceText(o, chat, tokenizer, o.echo() ? tokenizer.decode(prompt) : "",
                        screen || tools != null);
                if (refused[k / o.n()] != null) {
                    filtered[k] = refused[k / o.n()];
                    open--;
                    continue;   // the assistant model never sees a refused prompt
                }
                Engine.Request request = new Engine.Request(prompt, o.maxTokens(), o.temperature(), o.topP(),
                        o.seed() + k, o.logprobs(), true, o.topLogprobs(), scorePrompt, o.penalties(),
                        constraints == null ? null : constraints.get());
                int choice = k;
                handles[k] = engine.submit(request, new Engine.Listener() {
                    @Override
                    public void onToken(Engine.Token token) {
                        events.add(new Event.Token(choice, token));
                    }

                    @Override
                    public void onPrompt(List<Engine.Token> scores) {
                        events.add(new Event.Prompt(choice, scores));
                    }
                });
                handles[k].result().whenComplete((c, e) -> events.add(new Event.End(choice, c, e)));
            }
            OutputStream out = o.stream() ? Chunks.open(res) : null;
            for (int k = 0; out != null && k < count; k++) {
                if (chat) {
                    Chunks.send(out, chunks.chunk(id, true, k, Chunks.role(), null, null));
                }
                if (filtered[k] != null) {
                    Chunks.send(out, chunks.filtered(id, chat, k, filtered[k]));
                } else if (!chat && o.echo() && !scorePrompt) {
                    Chunks.send(out, chunks.chunk(id, false, k, Chunks.content(false, texts[k].echo()), null, null));
                }
            }
            // with the prompt's log-probabilities, its text waits for them (they come once the prompt is read)
            boolean[] echoed = new boolean[count];
            while (open > 0) {
                Event ev = events.poll(ClientWatch.POLL_MS, TimeUnit.MILLISECONDS);
                watch.check();
                if (ev == null) {
                    continue;
                }
                int k = ev.choice();
                ChoiceText text = texts[k];
                switch (ev) {
                    case Event.Prompt p -> {
                        text.logprobs().prompt(prompts.get(k / o.n()), p.scores());
                        if (out != null) {
                            echo(out, id, k, text);
                            echoed[k] = true;
                        }
                    }
                    case Event.Token t -> {
                        if (text.stopped()) {
                            break;   // generated before the cancel took effect: not part of the answer
                        }
                        String piece = text.push(t.token());
                        if (text.stopped()) {
                            handles[k].cancel();
                        }
                        JsonNode pieceLogprobs = text.tokenLogprobs();
                        if (out != null && (!piece.isEmpty() || pieceLogprobs != null)) {
                            Chunks.send(out, chunks.chunk(id, chat, k, Chunks.content(chat, piece), pieceLogprobs,
                                    null));
                        }
                    }
                    case Event.End e -> {
                        if (e.failure() != null) {
                            return failed(out, e.failure());
                        }
                        ends[k] = e.completion();
                        rests[k] = text.end();
                        if (out != null && scorePrompt && !echoed[k]) {
                            echo(out, id, k, text);   // no prompt scores: the request ended before it was read
                        }
                        if (screen) {
                            // the choice ends when the guard has judged its answer
                            screening.submitOutput(turns.get(k / o.n()), text.answer())
                                    .whenComplete((v, x) -> events.add(new Event.Screened(k, v, x)));
                        } else {
                            open--;
                            finish(out, id, chat, k, text, rests[k], ends[k]);
                        }
                    }
                    case Event.Screened v -> {
                        if (v.failure() != null) {
                            return failed(out, v.failure());
                        }
                        open--;
                        if (!v.verdict().safe()) {
                            filtered[k] = v.verdict();
                            if (out != null) {
                                Chunks.send(out, chunks.filtered(id, chat, k, v.verdict()));
                            }
                        } else {
                            finish(out, id, chat, k, text, rests[k], ends[k]);
                        }
                    }
                }
            }
            int promptTokens = 0;
            int generated = 0;
            for (int k = 0; k < count; k++) {
                promptTokens += k % o.n() == 0 ? prompts.get(k / o.n()).length : 0;
                generated += ends[k] == null ? 0 : texts[k].generated(ends[k]);
            }
            ObjectNode usage = Chunks.usage(promptTokens, generated);
            if (out != null) {
                chunks.finish(out, o.includeUsage(), id, usage);
            } else {
                whole(res, id, chat, texts, ends, filtered, usage);
            }
            return new int[] {promptTokens, generated};
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        } finally {
            // a client gone (a write failed) or an error: every choice's sequence is freed at the engine's next step
            for (Engine.Handle h : handles) {
                if (h != null) {
                    h.cancel();
                }
            }
        }
    }

    /**
     * The verdicts on the prompts that the guard refused (null for the others, and for all when input is not
     * screened), the prompts checked together.
     */
    private GuardVerdict[] refused(List<List<Message>> turns, int prompts) {
        if (turns == null || !screening.input()) {
            return new GuardVerdict[prompts];
        }
        List<CompletableFuture<GuardVerdict>> checks = turns.stream().map(screening::submitInput).toList();
        GuardVerdict[] out = new GuardVerdict[turns.size()];
        for (int i = 0; i < out.length; i++) {
            GuardVerdict v = Guard.await(checks.get(i));
            out[i] = v.safe() ? null : v;
        }
        return out;
    }

    /**
     * Choice k's answer once it may be sent: what was held back (its calls, where it made any), then its finish
     * reason (streamed only).
     */
    private void finish(OutputStream out, String id, boolean chat, int k, ChoiceText text, String rest,
                        Engine.Completion end) throws IOException {
        if (out == null) {
            return;
        }
        List<Message.ToolCall> calls = calls(text);
        if (!calls.isEmpty()) {
            Chunks.send(out, chunks.chunk(id, true, k, ToolCallsJson.delta(calls, callIds(id, k)), null, null));
        } else if (!rest.isEmpty()) {
            Chunks.send(out, chunks.chunk(id, chat, k, Chunks.content(chat, rest), text.endLogprobs(), null));
        }
        Chunks.send(out, chunks.chunk(id, chat, k, chat ? Chunks.JSON.createObjectNode() : null, null,
                calls.isEmpty() ? text.finish(end) : "tool_calls"));
    }

    /** The tool calls in a choice's answer (none without tools). */
    private List<Message.ToolCall> calls(ChoiceText text) {
        return tools == null ? List.of() : tools.parse(text.text());
    }

    /** The prefix of choice k's call ids: distinct across the choices of a request. */
    private static String callIds(String id, int k) {
        return "call-" + id + "-" + k;
    }

    /** A choice's generation or screening failed: a 400 before a stream begins, in the stream after (null). */
    private static int[] failed(OutputStream out, Throwable failure) throws IOException {
        Throwable cause = failure instanceof ExecutionException || failure instanceof CompletionException
                ? failure.getCause() : failure;
        if (out == null) {
            throw cause instanceof LlamaException le ? le : new LlamaException(String.valueOf(cause));
        }
        Chunks.failed(out, cause.getMessage());
        return null;
    }

    /**
     * The whole answer: each choice's text, or for a filtered one the guard's verdict, with the echo alone where an
     * answer was withheld (a refused prompt's choices have no text).
     */
    private void whole(ServerResponse res, String id, boolean chat, ChoiceText[] texts, Engine.Completion[] ends,
                       GuardVerdict[] filtered, ObjectNode usage) throws IOException {
        ObjectNode whole = chunks.whole(id, chat);
        ArrayNode choices = whole.putArray("choices");
        for (int k = 0; k < texts.length; k++) {
            ChoiceText t = texts[k];
            if (filtered[k] != null) {
                boolean withheld = ends[k] != null;
                choices.add(Chunks.guard(Chunks.choice(k, chat, withheld ? t.echo() : "",
                        withheld ? t.echoLogprobs() : null, "content_filter"), filtered[k]));
            } else {
                ObjectNode choice = Chunks.choice(k, chat, t.text(), t.logprobs() == null ? null
                        : t.logprobs().all(), t.finish(ends[k]));
                List<Message.ToolCall> calls = calls(t);
                if (!calls.isEmpty()) {
                    ToolCallsJson.setCalls(choice, calls, callIds(id, k));
                }
                choices.add(choice);
            }
        }
        whole.set("usage", usage);
        res.status(Status.OK_200);
        res.header(HeaderNames.CONTENT_TYPE, "application/json");
        res.send(Chunks.JSON.writeValueAsBytes(whole));
    }

    /** Choice k's echoed prompt text, with its tokens' log-probabilities. */
    private void echo(OutputStream out, String id, int k, ChoiceText text) throws IOException {
        Chunks.send(out, chunks.chunk(id, false, k, Chunks.content(false, text.echo()), text.logprobs().echoed(),
                null));
    }
}
