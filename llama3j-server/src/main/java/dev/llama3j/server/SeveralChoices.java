package dev.llama3j.server;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.llama3j.LlamaException;
import dev.llama3j.generate.Engine;
import dev.llama3j.generate.TokenConstraint;
import dev.llama3j.tokenizer.Tokenizer;
import io.helidon.http.HeaderNames;
import io.helidon.http.Status;
import io.helidon.webserver.http.ServerResponse;

import java.io.IOException;
import java.io.OutputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.function.Supplier;

/**
 * Several choices of one request ({@code n} per prompt, for completions of several prompts): each its own engine
 * request, seeded {@code seed + k} for choice k (so they differ when sampled and repeat with the seed), all
 * submitted at once and generated together. Answered whole, or streamed as OpenAI does: each chunk carries one
 * choice, by its index, chunks of different choices interleaved as their tokens arrive.
 */
final class SeveralChoices {
    /** What the engine thread hands the request's thread, for one choice. */
    private sealed interface Event {
        int choice();

        record Prompt(int choice, List<Engine.Token> scores) implements Event {}

        record Token(int choice, Engine.Token token) implements Event {}

        record End(int choice, Engine.Completion completion, Throwable failure) implements Event {}
    }

    private final Engine engine;
    private final Tokenizer tokenizer;
    private final Chunks chunks;

    SeveralChoices(Engine engine, Tokenizer tokenizer, Chunks chunks) {
        this.engine = engine;
        this.tokenizer = tokenizer;
        this.chunks = chunks;
    }

    /**
     * Answers n choices of each prompt (choice k: prompt k / n's), under a constraint each from {@code constraints}
     * (null: none). Returns the prompt tokens (each prompt once) and the generated ones, or null when a stream that
     * had begun ended in an error.
     */
    int[] answer(ServerResponse res, String id, RequestOptions o, boolean chat, List<int[]> prompts,
                 Supplier<TokenConstraint> constraints) throws IOException {
        int count = prompts.size() * o.n();
        boolean scorePrompt = o.echo() && o.logprobs();
        LinkedBlockingQueue<Event> events = new LinkedBlockingQueue<>();
        List<Engine.Handle> handles = new ArrayList<>();
        ChoiceText[] texts = new ChoiceText[count];
        Engine.Completion[] ends = new Engine.Completion[count];
        try {
            for (int k = 0; k < count; k++) {
                int[] prompt = prompts.get(k / o.n());
                texts[k] = new ChoiceText(o, chat, tokenizer, o.echo() ? tokenizer.decode(prompt) : "");
                Engine.Request request = new Engine.Request(prompt, o.maxTokens(), o.temperature(), o.topP(),
                        o.seed() + k, o.logprobs(), true, o.topLogprobs(), scorePrompt, o.penalties(),
                        constraints == null ? null : constraints.get());
                int choice = k;
                Engine.Handle handle = engine.submit(request, new Engine.Listener() {
                    @Override
                    public void onToken(Engine.Token token) {
                        events.add(new Event.Token(choice, token));
                    }

                    @Override
                    public void onPrompt(List<Engine.Token> scores) {
                        events.add(new Event.Prompt(choice, scores));
                    }
                });
                handle.result().whenComplete((c, e) -> events.add(new Event.End(choice, c, e)));
                handles.add(handle);
            }
            OutputStream out = o.stream() ? Chunks.open(res) : null;
            for (int k = 0; out != null && k < count; k++) {
                if (chat) {
                    Chunks.send(out, chunks.chunk(id, true, k, Chunks.role(), null, null));
                } else if (o.echo() && !scorePrompt) {
                    Chunks.send(out, chunks.chunk(id, false, k, Chunks.content(false, texts[k].echo()), null, null));
                }
            }
            // with the prompt's log-probabilities, its text waits for them (they come once the prompt is read)
            boolean[] echoed = new boolean[count];
            for (int open = count; open > 0; ) {
                Event ev = events.take();
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
                            handles.get(k).cancel();
                        }
                        if (out != null && (!piece.isEmpty() || text.logprobs() != null)) {
                            Chunks.send(out, chunks.chunk(id, chat, k, Chunks.content(chat, piece),
                                    text.logprobs() == null ? null : text.logprobs().last(), null));
                        }
                    }
                    case Event.End e -> {
                        open--;
                        if (e.failure() != null) {
                            Throwable cause = e.failure() instanceof ExecutionException x ? x.getCause()
                                    : e.failure();
                            if (out == null) {
                                throw cause instanceof LlamaException le ? le
                                        : new LlamaException(String.valueOf(cause));
                            }
                            Chunks.failed(out, cause.getMessage());
                            return null;
                        }
                        ends[k] = e.completion();
                        String rest = text.end();
                        if (out != null) {
                            if (scorePrompt && !echoed[k]) {
                                echo(out, id, k, text);   // no prompt scores: the request ended before it was read
                            }
                            if (!rest.isEmpty()) {
                                Chunks.send(out, chunks.chunk(id, chat, k, Chunks.content(chat, rest), null, null));
                            }
                            Chunks.send(out, chunks.chunk(id, chat, k, chat ? Chunks.JSON.createObjectNode() : null,
                                    null, text.finish(ends[k])));
                        }
                    }
                }
            }
            int promptTokens = 0;
            int generated = 0;
            for (int k = 0; k < count; k++) {
                promptTokens += k % o.n() == 0 ? prompts.get(k / o.n()).length : 0;
                generated += texts[k].generated(ends[k]);
            }
            ObjectNode usage = Chunks.usage(promptTokens, generated);
            if (out != null) {
                chunks.finish(out, o.includeUsage(), id, usage);
            } else {
                ObjectNode whole = chunks.whole(id, chat);
                ArrayNode choices = whole.putArray("choices");
                for (int k = 0; k < count; k++) {
                    choices.add(Chunks.choice(k, chat, texts[k].text(),
                            texts[k].logprobs() == null ? null : texts[k].logprobs().all(), texts[k].finish(ends[k])));
                }
                whole.set("usage", usage);
                res.status(Status.OK_200);
                res.header(HeaderNames.CONTENT_TYPE, "application/json");
                res.send(Chunks.JSON.writeValueAsBytes(whole));
            }
            return new int[] {promptTokens, generated};
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        } finally {
            // a client gone (a write failed) or an error: every choice's sequence is freed at the engine's next step
            handles.forEach(Engine.Handle::cancel);
        }
    }

    /** Choice k's echoed prompt text, with its tokens' log-probabilities. */
    private void echo(OutputStream out, String id, int k, ChoiceText text) throws IOException {
        Chunks.send(out, chunks.chunk(id, false, k, Chunks.content(false, text.echo()), text.logprobs().echoed(),
                null));
    }
}
