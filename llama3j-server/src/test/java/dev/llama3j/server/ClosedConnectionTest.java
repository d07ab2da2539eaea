package dev.llama3j.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.llama3j.SharedData;
import dev.llama3j.generate.Engine;
import dev.llama3j.generate.Llama;
import dev.llama3j.tensor.Numerics;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A client that closes its connection while it waits for a whole answer (n 1 and n 2, chat and completions) frees
 * its slots within steps, is logged as a 499 and counted in /metrics; a client that stays gets its whole answer,
 * and a kept-alive connection serves its next request.
 */
class ClosedConnectionTest {
    static final ObjectMapper JSON = new ObjectMapper();
    /** Tokens a dropped request would generate left alone: far more than the few steps its cancel may take. */
    static final int LONG = 3000;

    static Llama llama;
    static Engine engine;
    static OpenAiServer server;
    static final ByteArrayOutputStream LOG = new ByteArrayOutputStream();

    @BeforeAll
    static void start() {
        llama = Llama.build(SharedData.require("fixtures/gguf/tiny-gguf-q8_0.gguf"), null, LONG + 64, 4, 1,
                Numerics.INT8);
        engine = llama.newEngine(4);
        server = new OpenAiServer(llama, engine, "tiny", "127.0.0.1", 0, null, OpenAiServer.DEFAULT_QUEUE,
                new PrintStream(LOG, true, StandardCharsets.UTF_8));
    }

    @AfterAll
    static void stop() throws Exception {
        for (AutoCloseable c : new AutoCloseable[] {server, engine, llama}) {
            if (c != null) {
                c.close();
            }
        }
    }

    /** The stop tokens banned: left alone, an answer runs to its max_tokens. */
    static String noStops() {
        StringBuilder b = new StringBuilder("{");
        for (int id : llama.stopTokens()) {
            b.append(b.length() > 1 ? ", " : "").append('"').append(id).append("\": -100");
        }
        return b.append('}').toString();
    }

    @Test
    void aCompletionWhoseClientClosesFreesItsSlot() throws Exception {
        assertDroppedRequestIsCancelled("/v1/completions", "{\"prompt\": \"Once upon a time\", \"max_tokens\": "
                + LONG + ", \"temperature\": 1, \"seed\": 3, \"logit_bias\": " + noStops() + "}", 1);
    }

    @Test
    void twoChatChoicesWhoseClientClosesFreeTheirSlots() throws Exception {
        assertDroppedRequestIsCancelled("/v1/chat/completions", "{\"messages\": [{\"role\": \"user\", \"content\":"
                + " \"Tell me a story\"}], \"n\": 2, \"max_tokens\": " + LONG + ", \"temperature\": 1, \"seed\": 4,"
                + " \"logit_bias\": " + noStops() + "}", 2);
    }

    /**
     * Sends the whole-answer request on a raw connection, closes it once its sequences generate; every slot must
     * then go idle long before the answer's tokens were generated, and the server answers the next request as
     * before.
     */
    static void assertDroppedRequestIsCancelled(String path, String body, int choices) throws Exception {
        String probe = "{\"prompt\": \"The sky is\", \"max_tokens\": 8, \"temperature\": 0}";
        String before = answer(probe);
        long cancelled = metric("llama3j:requests_cancelled_total");
        long generated = engine.load().generatedTokens();
        try (Socket socket = new Socket("127.0.0.1", server.port())) {
            socket.getOutputStream().write(request(path, body));
            socket.getOutputStream().flush();
            awaitTrue(() -> engine.load().processing() == choices && engine.load().generatedTokens() > generated,
                    "the request generates");
        }
        awaitTrue(() -> engine.load().processing() == 0 && !busy(JSON.readTree(get("/slots"))), "every slot idle");
        assertThat(engine.load().generatedTokens() - generated).as("cut short").isLessThan(LONG / 4);
        awaitTrue(() -> metric("llama3j:requests_cancelled_total") == cancelled + 1, "counted as cancelled");
        awaitTrue(() -> LOG.toString(StandardCharsets.UTF_8).contains("POST " + path + " 499"), "logged as a 499");
        assertThat(answer(probe)).isEqualTo(before);
    }

    /**
     * A client that waits gets its whole long answer; then its kept-alive connection serves a second request,
     * sent after a pause (the connection's watch has read nothing of it away).
     */
    @Test
    void aWaitingClientGetsItsAnswerAndItsConnectionServesTheNext() throws Exception {
        int maxTokens = 400;
        String body = "{\"prompt\": \"Once upon a time\", \"max_tokens\": " + maxTokens + ", \"temperature\": 1,"
                + " \"seed\": 8, \"logit_bias\": " + noStops() + "}";
        String probe = "{\"prompt\": \"The sky is\", \"max_tokens\": 8, \"temperature\": 0}";
        String expected = answer(probe);
        long cancelled = metric("llama3j:requests_cancelled_total");
        try (Socket socket = new Socket("127.0.0.1", server.port())) {
            socket.setSoTimeout(60_000);
            InputStream in = socket.getInputStream();
            socket.getOutputStream().write(request("/v1/completions", body));
            JsonNode first = JSON.readTree(response(in));
            assertThat(first.at("/choices/0/finish_reason").asText()).isEqualTo("length");
            assertThat(first.at("/usage/completion_tokens").asInt()).isEqualTo(maxTokens);
            Thread.sleep(50);   // the connection waits for the next request before it comes
            socket.getOutputStream().write(request("/v1/completions", probe));
            assertThat(JSON.readTree(response(in)).at("/choices/0/text").asText()).isEqualTo(expected);
            // and two requests written at once
            byte[] one = request("/v1/completions", probe);
            byte[] two = request("/v1/completions", probe);
            byte[] both = new byte[one.length + two.length];
            System.arraycopy(one, 0, both, 0, one.length);
            System.arraycopy(two, 0, both, one.length, two.length);
            socket.getOutputStream().write(both);
            assertThat(JSON.readTree(response(in)).at("/choices/0/text").asText()).isEqualTo(expected);
            assertThat(JSON.readTree(response(in)).at("/choices/0/text").asText()).isEqualTo(expected);
        }
        assertThat(metric("llama3j:requests_cancelled_total")).isEqualTo(cancelled);
    }

    interface Condition {
        boolean holds() throws Exception;
    }

    /** Polls {@code condition} until it holds, for at most 20 seconds. */
    static void awaitTrue(Condition condition, String what) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (!condition.holds()) {
            assertThat(System.nanoTime()).as(what).isLessThan(deadline);
            Thread.sleep(5);
        }
    }

    static boolean busy(JsonNode slots) {
        for (JsonNode s : slots) {
            if (s.get("is_processing").asBoolean()) {
                return true;
            }
        }
        return false;
    }

    static byte[] request(String path, String body) {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        String head = "POST " + path + " HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
                + "Content-Length: " + bytes.length + "\r\n\r\n";
        byte[] all = new byte[head.length() + bytes.length];
        System.arraycopy(head.getBytes(StandardCharsets.US_ASCII), 0, all, 0, head.length());
        System.arraycopy(bytes, 0, all, head.length(), bytes.length);
        return all;
    }

    /** One HTTP/1.1 response's body (status 200, with a Content-Length). */
    static String response(InputStream in) throws IOException {
        String status = line(in);
        assertThat(status).startsWith("HTTP/1.1 200");
        int length = -1;
        for (String h; !(h = line(in)).isEmpty(); ) {
            if (h.toLowerCase(Locale.ROOT).startsWith("content-length:")) {
                length = Integer.parseInt(h.substring(15).strip());
            }
        }
        assertThat(length).isNotNegative();
        byte[] body = new byte[length];
        new DataInputStream(in).readFully(body);
        return new String(body, StandardCharsets.UTF_8);
    }

    private static String line(InputStream in) throws IOException {
        StringBuilder b = new StringBuilder();
        for (int c; (c = in.read()) != '\n'; ) {
            if (c < 0) {
                throw new IOException("the connection ended in a response's head");
            }
            if (c != '\r') {
                b.append((char) c);
            }
        }
        return b.toString();
    }

    static String answer(String body) throws Exception {
        try (Socket socket = new Socket("127.0.0.1", server.port())) {
            socket.setSoTimeout(60_000);
            socket.getOutputStream().write(request("/v1/completions", body));
            return JSON.readTree(response(socket.getInputStream())).at("/choices/0/text").asText();
        }
    }

    static String get(String path) throws IOException {
        try (Socket socket = new Socket("127.0.0.1", server.port())) {
            socket.setSoTimeout(60_000);
            socket.getOutputStream().write(("GET " + path + " HTTP/1.1\r\nHost: localhost\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            return response(socket.getInputStream());
        }
    }

    static long metric(String name) throws IOException {
        for (String l : get("/metrics").split("\n")) {
            if (l.startsWith(name + " ")) {
                return Long.parseLong(l.substring(name.length() + 1));
            }
        }
        throw new AssertionError("no metric " + name);
    }
}
