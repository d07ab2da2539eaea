package dev.llama3j.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.llama3j.generate.Engine;
import dev.llama3j.tokenizer.Tokenizer;

import java.util.ArrayList;
import java.util.List;

/**
 * The answer's tokens with their log-probabilities, in OpenAI's shapes: for chat {@code {"content": [{"token",
 * "logprob", "bytes", "top_logprobs"}]}}, for completions {@code {"tokens", "token_logprobs", "top_logprobs",
 * "text_offset"}}.
 */
final class LogprobsJson {
    private final boolean chat;
    private final Tokenizer tokenizer;
    private final ArrayNode entries = JsonNodeFactory.instance.arrayNode();
    private final List<Integer> offsets = new ArrayList<>();
    private final ArrayNode promptEntries = JsonNodeFactory.instance.arrayNode();
    private final List<Integer> promptOffsets = new ArrayList<>();

    LogprobsJson(boolean chat, Tokenizer tokenizer) {
        this.chat = chat;
        this.tokenizer = tokenizer;
    }

    void add(Engine.Token t, int textOffset) {
        ObjectNode e = entry(t.id(), t.logprob());
        ArrayNode top = e.putArray("top_logprobs");
        for (int i = 0; i < t.topIds().length; i++) {
            top.add(entry(t.topIds()[i], t.topLogprobs()[i]));
        }
        entries.add(e);
        offsets.add(textOffset);
    }

    private ObjectNode entry(int id, float logprob) {
        ObjectNode e = JsonNodeFactory.instance.objectNode().put("token", tokenizer.decode(new int[] {id}))
                .put("logprob", logprob);
        ArrayNode bytes = e.putArray("bytes");
        for (byte b : tokenizer.tokenBytes(id)) {
            bytes.add(b & 0xff);
        }
        return e;
    }

    /**
     * The echoed prompt's tokens ahead of the answer's: the first without a log-probability (nothing predicts
     * it, as in Meta's text_completion), the others with {@code scores}.
     */
    void prompt(int[] prompt, List<Engine.Token> scores) {
        int offset = 0;
        for (int i = 0; i < prompt.length; i++) {
            ObjectNode e;
            if (i == 0) {
                e = entry(prompt[0], 0f);
                e.putNull("logprob");
                e.putNull("top_logprobs");
            } else {
                Engine.Token t = scores.get(i - 1);
                e = entry(t.id(), t.logprob());
                ArrayNode top = e.putArray("top_logprobs");
                for (int k = 0; k < t.topIds().length; k++) {
                    top.add(entry(t.topIds()[k], t.topLogprobs()[k]));
                }
            }
            promptEntries.add(e);
            promptOffsets.add(offset);
            offset += tokenizer.decode(new int[] {prompt[i]}).length();
        }
    }

    /** The last token's, as a streamed chunk carries it. */
    JsonNode last() {
        return shape(false, entries.size() - 1, entries.size());
    }

    /** The answer's alone, as the streamed chunk of a held answer carries them. */
    JsonNode answer() {
        return shape(false, 0, entries.size());
    }

    /** The echoed prompt's alone, as the streamed chunk of its text carries them. */
    JsonNode echoed() {
        return shape(true, 0, 0);
    }

    /** The echoed prompt's, then the answer's. */
    JsonNode all() {
        return shape(true, 0, entries.size());
    }

    /** Entries from..to of the answer, after the echoed prompt's when there are any and they are asked for. */
    private JsonNode shape(boolean withPrompt, int from, int to) {
        if (chat) {
            ObjectNode o = JsonNodeFactory.instance.objectNode();
            ArrayNode content = o.putArray("content");
            for (int i = from; i < to; i++) {
                content.add(entries.get(i));
            }
            return o;
        }
        ObjectNode o = JsonNodeFactory.instance.objectNode();
        ArrayNode tokens = o.putArray("tokens");
        ArrayNode lps = o.putArray("token_logprobs");
        ArrayNode tops = o.putArray("top_logprobs");
        ArrayNode textOffset = o.putArray("text_offset");
        for (int i = 0; withPrompt && i < promptEntries.size(); i++) {
            legacy(promptEntries.get(i), promptOffsets.get(i), tokens, lps, tops, textOffset);
        }
        for (int i = from; i < to; i++) {
            legacy(entries.get(i), offsets.get(i), tokens, lps, tops, textOffset);
        }
        return o;
    }

    private static void legacy(JsonNode e, int offset, ArrayNode tokens, ArrayNode lps, ArrayNode tops,
                               ArrayNode textOffset) {
        tokens.add(e.get("token").asText());
        if (e.get("logprob").isNull()) {
            lps.addNull();
            tops.addNull();
        } else {
            lps.add(e.get("logprob").floatValue());
            ObjectNode top = tops.addObject();
            for (JsonNode alt : e.get("top_logprobs")) {
                top.put(alt.get("token").asText(), alt.get("logprob").floatValue());
            }
        }
        textOffset.add(offset);
    }
}
