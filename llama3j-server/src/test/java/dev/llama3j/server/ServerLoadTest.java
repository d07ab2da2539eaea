package dev.llama3j.server;

import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import com.openai.core.http.StreamResponse;
import com.openai.models.chat.completions.ChatCompletionChunk;
import com.openai.models.chat.completions.ChatCompletionCreateParams;
import dev.llama3j.SharedData;
import dev.llama3j.generate.Engine;
import dev.llama3j.generate.Llama;
import dev.llama3j.tensor.Numerics;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * 16 clients on 4 slots, 256 requests: whole, streamed, and streams the client drops after the first chunk. Every
 * answer equals the same request's answer alone; dropped streams free their slots; nothing is lost.
 */
@Tag("slow")
class ServerLoadTest {
    static final String[] MESSAGES = {"Hello there", "What is the capital of France?", "Count to five.",
            "Tell me a story", "Why is the sky blue?", "Say something", "Translate 'cat' to German", "2 + 2 = ?"};
    static final int CLIENTS = 16;
    static final int REQUESTS_PER_CLIENT = 16;

    static ChatCompletionCreateParams params(int message) {
        return ChatCompletionCreateParams.builder().model("tiny").addUserMessage(MESSAGES[message])
                .maxCompletionTokens(10).temperature(0.0).build();
    }

    @Test
    void manyClientsGetTheirSoloAnswersAndDroppedStreamsFreeTheirSlots() throws Exception {
        try (Llama llama = Llama.build(SharedData.require("fixtures/gguf/tiny-gguf-q8_0.gguf"), null, 256, 4, 1,
                Numerics.INT8);
             Engine engine = llama.newEngine(4);
             OpenAiServer server = new OpenAiServer(llama, engine, "tiny", "127.0.0.1", 0, null)) {
            OpenAIClient client = OpenAIOkHttpClient.builder().baseUrl("http://127.0.0.1:" + server.port() + "/v1")
                    .apiKey("unused").maxRetries(0).timeout(Duration.ofSeconds(120)).build();
            String[] solo = new String[MESSAGES.length];
            for (int m = 0; m < MESSAGES.length; m++) {
                solo[m] = client.chat().completions().create(params(m)).choices().get(0).message().content()
                        .orElseThrow();
            }
            ConcurrentLinkedQueue<String> problems = new ConcurrentLinkedQueue<>();
            AtomicInteger whole = new AtomicInteger();
            AtomicInteger streamed = new AtomicInteger();
            AtomicInteger dropped = new AtomicInteger();
            long t0 = System.nanoTime();
            try (ExecutorService pool = Executors.newFixedThreadPool(CLIENTS)) {
                List<Future<?>> clients = new ArrayList<>();
                for (int c = 0; c < CLIENTS; c++) {
                    SplittableRandom random = new SplittableRandom(c);
                    clients.add(pool.submit(() -> {
                        for (int r = 0; r < REQUESTS_PER_CLIENT; r++) {
                            int m = random.nextInt(MESSAGES.length);
                            int kind = random.nextInt(4);
                            if (kind == 0) {
                                String text = client.chat().completions().create(params(m)).choices().get(0)
                                        .message().content().orElse("");
                                check(problems, "whole", m, text, solo[m]);
                                whole.incrementAndGet();
                            } else if (kind == 3) {
                                try (StreamResponse<ChatCompletionChunk> s =
                                             client.chat().completions().createStreaming(params(m))) {
                                    Iterator<ChatCompletionChunk> it = s.stream().iterator();
                                    if (it.hasNext()) {
                                        it.next();
                                    }
                                }
                                dropped.incrementAndGet();
                            } else {
                                StringBuilder text = new StringBuilder();
                                try (StreamResponse<ChatCompletionChunk> s =
                                             client.chat().completions().createStreaming(params(m))) {
                                    s.stream().forEach(chunk -> chunk.choices()
                                            .forEach(ch -> ch.delta().content().ifPresent(text::append)));
                                }
                                check(problems, "streamed", m, text.toString(), solo[m]);
                                streamed.incrementAndGet();
                            }
                        }
                        return null;
                    }));
                }
                for (Future<?> f : clients) {
                    f.get(300, TimeUnit.SECONDS);
                }
            }
            double seconds = (System.nanoTime() - t0) / 1e9;
            // dropped streams end within a step or two: then every slot is idle
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (engine.load().processing() > 0 && System.nanoTime() < deadline) {
                Thread.sleep(20);
            }
            Engine.Load load = engine.load();
            System.out.printf("ServerLoadTest: %d clients, %d requests (%d whole, %d streamed, %d dropped) in %.1f s:"
                            + " %.1f requests/s, %d tokens generated%n", CLIENTS, CLIENTS * REQUESTS_PER_CLIENT,
                    whole.get(), streamed.get(), dropped.get(), seconds, CLIENTS * REQUESTS_PER_CLIENT / seconds,
                    load.generatedTokens());
            assertThat(problems).isEmpty();
            assertThat(whole.get() + streamed.get() + dropped.get()).isEqualTo(CLIENTS * REQUESTS_PER_CLIENT);
            assertThat(load.processing()).isZero();
            assertThat(load.queued()).isZero();
            assertThat(load.finished()).isEqualTo(MESSAGES.length + CLIENTS * REQUESTS_PER_CLIENT);
            client.close();
        }
    }

    private static void check(ConcurrentLinkedQueue<String> problems, String kind, int m, String got, String solo) {
        if (!got.equals(solo)) {
            problems.add(kind + " answer to '" + MESSAGES[m] + "': '" + got + "', alone: '" + solo + "'");
        }
    }
}
