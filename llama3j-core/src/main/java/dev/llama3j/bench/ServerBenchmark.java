package dev.llama3j.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.llama3j.LlamaException;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * Drives an OpenAI-compatible server (llama3j serve, llama-server) with N concurrent streaming clients, each sending
 * {@code requests} completions of a {@code promptTokens}-token prompt (token ids, so both servers read the same
 * prompt) and {@code genTokens} generated tokens: aggregate generated tokens/s and the median time to first token.
 */
public final class ServerBenchmark {
    private static final ObjectMapper JSON = new ObjectMapper();

    /** One row: clients, requests in all, generated tokens in all, wall seconds, median time to first token. */
    public record Result(int clients, int requests, long tokens, double seconds, double medianTtftSeconds) {
        public double tokensPerSecond() {
            return tokens / seconds;
        }
    }

    private final URI completions;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();

    /** @param baseUrl the server, e.g. http://127.0.0.1:8080 (the /v1 path is added) */
    public ServerBenchmark(String baseUrl) {
        String base = baseUrl.endsWith("/") ? baseUrl.substring(0, baseUrl.length() - 1) : baseUrl;
        this.completions = URI.create(base + "/v1/completions");
    }

    public Result run(int clients, int requests, int promptTokens, int genTokens, int vocab) throws Exception {
        long t0 = System.nanoTime();
        List<double[]> perRequest = new ArrayList<>();   // {ttft seconds, tokens}
        try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
            List<Future<List<double[]>>> futures = new ArrayList<>();
            for (int c = 0; c < clients; c++) {
                SplittableRandom random = new SplittableRandom(1000 + c);
                futures.add(pool.submit(() -> {
                    List<double[]> mine = new ArrayList<>();
                    for (int r = 0; r < requests; r++) {
                        mine.add(one(random, promptTokens, genTokens, vocab));
                    }
                    return mine;
                }));
            }
            for (Future<List<double[]>> f : futures) {
                perRequest.addAll(f.get());
            }
        }
        double seconds = (System.nanoTime() - t0) / 1e9;
        long tokens = 0;
        double[] ttft = new double[perRequest.size()];
        for (int i = 0; i < ttft.length; i++) {
            ttft[i] = perRequest.get(i)[0];
            tokens += (long) perRequest.get(i)[1];
        }
        Arrays.sort(ttft);
        double median = ttft.length % 2 == 1 ? ttft[ttft.length / 2]
                : (ttft[ttft.length / 2 - 1] + ttft[ttft.length / 2]) / 2;
        return new Result(clients, perRequest.size(), tokens, seconds, median);
    }

    /** One streamed completion: {time to its first token in seconds, tokens generated}. */
    private double[] one(SplittableRandom random, int promptTokens, int genTokens, int vocab)
            throws IOException, InterruptedException {
        ObjectNode body = JSON.createObjectNode().put("model", "bench").put("max_tokens", genTokens)
                .put("temperature", 0).put("stream", true).put("ignore_eos", true);
        body.putObject("stream_options").put("include_usage", true);
        var prompt = body.putArray("prompt");
        for (int i = 0; i < promptTokens; i++) {
            prompt.add(random.nextInt(vocab));
        }
        HttpRequest request = HttpRequest.newBuilder(completions).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(JSON.writeValueAsString(body))).build();
        long start = System.nanoTime();
        HttpResponse<java.io.InputStream> response = http.send(request, HttpResponse.BodyHandlers.ofInputStream());
        if (response.statusCode() != 200) {
            throw new LlamaException(completions + " answered " + response.statusCode());
        }
        double ttft = -1;
        long chunks = 0;
        long usage = -1;
        try (BufferedReader in = new BufferedReader(new InputStreamReader(response.body(), StandardCharsets.UTF_8))) {
            String line;
            while ((line = in.readLine()) != null) {
                if (!line.startsWith("data: ") || line.equals("data: [DONE]")) {
                    continue;
                }
                JsonNode chunk = JSON.readTree(line.substring(6));
                JsonNode u = chunk.get("usage");
                if (u != null && u.has("completion_tokens")) {
                    usage = u.get("completion_tokens").asLong();
                }
                JsonNode choices = chunk.path("choices");
                if (choices.size() > 0 && !choices.get(0).path("text").asText("").isEmpty()) {
                    chunks++;
                    if (ttft < 0) {
                        ttft = (System.nanoTime() - start) / 1e9;
                    }
                }
            }
        }
        return new double[] {Math.max(ttft, 0), usage >= 0 ? usage : chunks};
    }
}
