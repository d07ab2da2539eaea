package dev.llama3j.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.llama3j.guard.GuardVerdict;
import io.helidon.http.HeaderNames;
import io.helidon.http.Status;
import io.helidon.webserver.http.ServerResponse;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;

/**
 * OpenAI's answer shapes for one model: whole answers, streamed chunks (one choice each, by its index) and the
 * server-sent events that carry them.
 */
final class Chunks {
    static final ObjectMapper JSON = new ObjectMapper();

    private final String modelId;

    Chunks(String modelId) {
        this.modelId = modelId;
    }

    /** Starts a stream of server-sent events. */
    static OutputStream open(ServerResponse res) {
        res.status(Status.OK_200);
        res.header(HeaderNames.CONTENT_TYPE, "text/event-stream");
        res.header(HeaderNames.CACHE_CONTROL, "no-cache");
        return res.outputStream();
    }

    static ObjectNode content(boolean chat, String piece) {
        return chat ? JSON.createObjectNode().put("content", piece) : JSON.createObjectNode().put("text", piece);
    }

    /** A chat stream's first delta of a choice: the assistant's role, no text yet. */
    static ObjectNode role() {
        return JSON.createObjectNode().put("role", "assistant").put("content", "");
    }

    static ObjectNode usage(int promptTokens, int generated) {
        return JSON.createObjectNode().put("prompt_tokens", promptTokens).put("completion_tokens", generated)
                .put("total_tokens", promptTokens + generated);
    }

    ObjectNode header(String id, boolean chat) {
        return JSON.createObjectNode().put("id", id).put("object", chat ? "chat.completion.chunk" : "text_completion")
                .put("created", System.currentTimeMillis() / 1000).put("model", modelId);
    }

    /** A streamed chunk of choice 0. */
    ObjectNode chunk(String id, boolean chat, ObjectNode delta, String finish) {
        return chunk(id, chat, 0, delta, null, finish);
    }

    /**
     * A streamed chunk of choice {@code index}: for chat a delta, for completions the text, with the log-probabilities
     * it carries (null: none) and the finish reason on the choice's last one.
     */
    ObjectNode chunk(String id, boolean chat, int index, ObjectNode delta, JsonNode logprobs, String finish) {
        ObjectNode o = header(id, chat);
        ObjectNode choice = o.putArray("choices").addObject().put("index", index);
        if (chat) {
            choice.set("delta", delta);
        } else {
            choice.put("text", delta == null ? "" : delta.path("text").asText());
        }
        if (logprobs == null) {
            choice.putNull("logprobs");
        } else {
            choice.set("logprobs", logprobs);
        }
        if (finish == null) {
            choice.putNull("finish_reason");
        } else {
            choice.put("finish_reason", finish);
        }
        return o;
    }

    /** A whole answer without choices yet. */
    ObjectNode whole(String id, boolean chat) {
        return JSON.createObjectNode().put("id", id).put("object", chat ? "chat.completion" : "text_completion")
                .put("created", System.currentTimeMillis() / 1000).put("model", modelId);
    }

    /** A whole answer of one choice. */
    ObjectNode whole(String id, boolean chat, String text, String finish, ObjectNode usage) {
        ObjectNode o = whole(id, chat);
        o.putArray("choices").add(choice(0, chat, text, null, finish));
        o.set("usage", usage);
        return o;
    }

    /** Choice {@code index} of a whole answer; logprobs null: none asked for. */
    static ObjectNode choice(int index, boolean chat, String text, JsonNode logprobs, String finish) {
        ObjectNode choice = JSON.createObjectNode().put("index", index);
        if (chat) {
            choice.putObject("message").put("role", "assistant").put("content", text);
        } else {
            choice.put("text", text);
        }
        if (logprobs == null) {
            choice.putNull("logprobs");
        } else {
            choice.set("logprobs", logprobs);
        }
        return choice.put("finish_reason", finish);
    }

    /** Choice {@code index}'s last streamed chunk when the guard filtered it: no text, the verdict beside it. */
    ObjectNode filtered(String id, boolean chat, int index, GuardVerdict v) {
        return guard(chunk(id, chat, index, chat ? JSON.createObjectNode() : null, null, "content_filter"), v);
    }

    /**
     * {@code node} (an answer, a chunk or a choice) with the guard's verdict on what it filtered: {"guard":
     * {"categories": [...], "score": p}}.
     */
    static ObjectNode guard(ObjectNode node, GuardVerdict v) {
        ObjectNode guard = node.putObject("guard");
        ArrayNode codes = guard.putArray("categories");
        v.categories().forEach(codes::add);
        guard.put("score", v.unsafeScore());
        return node;
    }

    static void send(OutputStream out, JsonNode chunk) throws IOException {
        out.write(("data: " + JSON.writeValueAsString(chunk) + "\n\n").getBytes(StandardCharsets.UTF_8));
        out.flush();
    }

    /** The end of a stream: the usage chunk when asked for, then [DONE]. */
    void finish(OutputStream out, boolean includeUsage, String id, ObjectNode usage) throws IOException {
        if (includeUsage) {
            ObjectNode last = header(id, id.startsWith("chatcmpl-"));
            last.putArray("choices");
            last.set("usage", usage);
            send(out, last);
        }
        done(out);
    }

    /** A stream that has begun and cannot go on: the error in it, then [DONE]. */
    static void failed(OutputStream out, String message) throws IOException {
        send(out, JSON.createObjectNode().set("error", errorBody("server_error", message)));
        done(out);
    }

    private static void done(OutputStream out) throws IOException {
        out.write("data: [DONE]\n\n".getBytes(StandardCharsets.UTF_8));
        out.close();
    }

    static ObjectNode errorBody(String type, String message) {
        ObjectNode e = JSON.createObjectNode().put("message", message).put("type", type);
        e.putNull("code");
        return e;
    }
}
