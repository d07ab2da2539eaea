package dev.llama3j.server;

import com.fasterxml.jackson.databind.JsonNode;
import dev.llama3j.generate.Engine;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;

/** The sampling and output fields of a chat or completion request, checked (a bad one is a {@link BadRequest}). */
record RequestOptions(int maxTokens, float temperature, float topP, long seed, List<String> stops, boolean stream,
                      boolean includeUsage, boolean logprobs, int topLogprobs, boolean echo,
                      Engine.Penalties penalties, int n) {
    /** Most choices one request may ask for ({@code n}). */
    static final int MAX_CHOICES = 16;

    static RequestOptions of(JsonNode body, boolean chat) {
        int maxTokens = Integer.MAX_VALUE;
        for (String field : new String[] {"max_completion_tokens", "max_tokens"}) {
            JsonNode n = body.get(field);
            if (n != null && !n.isNull()) {
                if (!n.isIntegralNumber() || !n.canConvertToInt() || n.asInt() < 0) {
                    throw new BadRequest("'" + field + "' must be an integer >= 0, got " + n);
                }
                maxTokens = n.asInt();
                break;
            }
        }
        float temperature = number(body, "temperature", 1f);
        float topP = number(body, "top_p", 1f);
        if (!(temperature >= 0) || temperature > 2) {
            throw new BadRequest("'temperature' must be a number in [0, 2], got " + temperature);
        }
        if (!(topP > 0) || topP > 1) {
            throw new BadRequest("'top_p' must be a number in (0, 1], got " + topP);
        }
        JsonNode seedNode = body.get("seed");
        long seed;
        if (seedNode == null || seedNode.isNull()) {
            seed = ThreadLocalRandom.current().nextLong();
        } else if (seedNode.isIntegralNumber() && seedNode.canConvertToLong()) {
            seed = seedNode.asLong();
        } else {
            throw new BadRequest("'seed' must be an integer, got " + seedNode);
        }
        List<String> stops = new ArrayList<>();
        JsonNode stop = body.get("stop");
        if (stop != null && stop.isTextual()) {
            stops.add(stop.asText());
        } else if (stop != null && stop.isArray()) {
            for (JsonNode s : stop) {
                if (!s.isTextual()) {
                    throw new BadRequest("'stop' must be a string or a list of strings");
                }
                stops.add(s.asText());
            }
        } else if (stop != null && !stop.isNull()) {
            throw new BadRequest("'stop' must be a string or a list of strings");
        }
        stops.removeIf(String::isEmpty);
        int n = integer(body, "n", 1, MAX_CHOICES);
        boolean logprobs;
        int top;
        JsonNode lp = body.get("logprobs");
        if (chat) {
            // chat: "logprobs": true, "top_logprobs": 0..20
            if (lp != null && !lp.isNull() && !lp.isBoolean()) {
                throw new BadRequest("'logprobs' must be true or false, got " + lp);
            }
            logprobs = lp != null && lp.asBoolean();
            top = integer(body, "top_logprobs", 0, Engine.Request.MAX_TOP_LOGPROBS);
            if (top > 0 && !logprobs) {
                throw new BadRequest("'top_logprobs' needs 'logprobs': true");
            }
        } else {
            // completions: "logprobs": N alternatives, 0..5
            logprobs = lp != null && !lp.isNull();
            top = integer(body, "logprobs", 0, 5);
        }
        boolean echo = !chat && body.path("echo").asBoolean(false);
        boolean stream = body.path("stream").asBoolean(false);
        boolean usage = body.path("stream_options").path("include_usage").asBoolean(false);
        float presence = number(body, "presence_penalty", 0f);
        float frequency = number(body, "frequency_penalty", 0f);
        if (!(presence >= -2 && presence <= 2) || !(frequency >= -2 && frequency <= 2)) {
            throw new BadRequest("'presence_penalty' and 'frequency_penalty' must be numbers in [-2, 2]");
        }
        Map<Integer, Float> bias = new HashMap<>();
        JsonNode lb = body.get("logit_bias");
        if (lb != null && !lb.isNull()) {
            if (!lb.isObject()) {
                throw new BadRequest("'logit_bias' must be an object of token id to bias");
            }
            for (var it = lb.fields(); it.hasNext(); ) {
                var e = it.next();
                int id;
                try {
                    id = Integer.parseInt(e.getKey());
                } catch (NumberFormatException x) {
                    throw new BadRequest("'logit_bias' keys must be token ids, got '" + e.getKey() + "'");
                }
                if (!e.getValue().isNumber() || Math.abs(e.getValue().asDouble()) > 100) {
                    throw new BadRequest("'logit_bias' values must be numbers in [-100, 100]");
                }
                bias.put(id, (float) e.getValue().asDouble());
            }
        }
        return new RequestOptions(maxTokens, temperature, topP, seed, stops, stream, usage, logprobs, top, echo,
                new Engine.Penalties(presence, frequency, bias), n);
    }

    private static int integer(JsonNode body, String field, int min, int max) {
        JsonNode n = body.get(field);
        if (n == null || n.isNull()) {
            return min;
        }
        if (!n.isIntegralNumber() || !n.canConvertToInt() || n.asInt() < min || n.asInt() > max) {
            throw new BadRequest("'" + field + "' must be an integer in " + min + ".." + max + ", got " + n);
        }
        return n.asInt();
    }

    private static float number(JsonNode body, String field, float fallback) {
        JsonNode n = body.get(field);
        if (n == null || n.isNull()) {
            return fallback;
        }
        if (!n.isNumber()) {
            throw new BadRequest("'" + field + "' must be a number, got " + n);
        }
        return (float) n.asDouble();
    }
}
