package dev.llama3j.server;

import com.fasterxml.jackson.databind.JsonNode;
import dev.llama3j.generate.Engine;
import dev.llama3j.generate.StopStrings;
import dev.llama3j.generate.Utf8Stream;
import dev.llama3j.tokenizer.Tokenizer;

/**
 * One choice's text as its tokens arrive: a multi-byte character is held back until it is whole, text that may
 * begin a stop string until it is known not to, and nothing from a stop string on is kept. A held answer (tools,
 * a guard) is held back whole, its log-probabilities too, until its end: it is known to be calls or text, or safe,
 * only then. Whole and streamed answers read their tokens through it alike.
 */
final class ChoiceText {
    private final Tokenizer tokenizer;
    private final Utf8Stream utf8 = new Utf8Stream(Tokenizer::decodeUtf8);
    private final StopStrings stops;
    private final StringBuilder text = new StringBuilder();
    /** null without logprobs */
    private final LogprobsJson logprobs;
    private final String echo;
    private final boolean held;
    private int tokens;

    /**
     * @param echo the prompt's text the answer starts with ("" without echo)
     * @param held whether the answer is held back until its end
     */
    ChoiceText(RequestOptions o, boolean chat, Tokenizer tokenizer, String echo, boolean held) {
        this.tokenizer = tokenizer;
        this.held = held;
        this.stops = new StopStrings(o.stops());
        this.logprobs = o.logprobs() ? new LogprobsJson(chat, tokenizer) : null;
        this.echo = echo;
        text.append(echo);
    }

    /** The prompt's text the answer starts with ("" without echo). */
    String echo() {
        return echo;
    }

    /**
     * Adds a generated token; returns the text that can be sent now (possibly empty; always, while held). Once a
     * stop string has appeared, tokens still arriving (generated before the cancel took effect) are not part of
     * the answer.
     */
    String push(Engine.Token t) {
        if (stops.stopped()) {
            return "";
        }
        tokens++;
        int before = text.length();
        String piece = stops.push(utf8.push(tokenizer.tokenBytes(t.id())));
        text.append(piece);
        if (logprobs != null) {
            logprobs.add(t, before);
        }
        return held ? "" : piece;
    }

    /** The last token's log-probabilities, for the chunk of its text; null without logprobs or while held. */
    JsonNode tokenLogprobs() {
        return logprobs == null || held ? null : logprobs.last();
    }

    /** The text held back at the end: a held answer whole, else what was not sent yet ("" after a stop string). */
    String end() {
        String rest = stops.stopped() ? "" : stops.push(utf8.flush()) + stops.flush();
        text.append(rest);
        return held ? answer() : rest;
    }

    /** The log-probabilities for {@link #end}'s text: a held answer's, all of them; else none (null). */
    JsonNode endLogprobs() {
        return logprobs == null || !held ? null : logprobs.answer();
    }

    /** What a withheld answer keeps: the echoed prompt's log-probabilities (null without echo or logprobs). */
    JsonNode echoLogprobs() {
        return logprobs == null || echo.isEmpty() ? null : logprobs.echoed();
    }

    boolean stopped() {
        return stops.stopped();
    }

    /**
     * Tokens in the answer: up to the one that completed a stop string (its later ones depend on when the cancel
     * took effect), else all that the engine generated.
     */
    int generated(Engine.Completion c) {
        return stops.stopped() ? tokens : c.tokens().length;
    }

    /** OpenAI's finish reason: "stop" for a stop token or string, else "length". */
    String finish(Engine.Completion c) {
        return stops.stopped() || c.finish() == Engine.Finish.STOP ? "stop" : "length";
    }

    /** The echo and the answer. */
    String text() {
        return text.toString();
    }

    /** The generated text alone, without the echo: what the guard screens. */
    String answer() {
        return text.substring(echo.length());
    }

    /** The log-probabilities so far; null without logprobs. */
    LogprobsJson logprobs() {
        return logprobs;
    }
}
