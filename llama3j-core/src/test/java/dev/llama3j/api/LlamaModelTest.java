package dev.llama3j.api;

import dev.llama3j.LlamaException;
import dev.llama3j.SharedData;
import dev.llama3j.chat.Message;
import dev.llama3j.generate.Llama;
import dev.llama3j.generate.TokenListener;
import dev.llama3j.tensor.Numerics;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Flow;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The application API on the real-vocabulary fixture, against Meta's batched generation ({@link Llama}). */
class LlamaModelTest {
    static Path file;
    static LlamaModel model;
    static final GenerateOptions GREEDY = GenerateOptions.defaults().withTemperature(0).withMaxTokens(24);

    @BeforeAll
    static void load() {
        file = SharedData.require("fixtures/gguf/tiny-gguf-q8_0.gguf");
        model = LlamaModel.load(file, LlamaModel.Options.defaults().withContextLength(256).withParallel(2));
    }

    @AfterAll
    static void close() {
        if (model != null) {
            model.close();
        }
    }

    @Test
    void chatAndCompleteGiveMetasGreedyAnswers() {
        List<Message> dialog = List.of(Message.system("Be brief."), Message.user("Hello!"));
        try (Llama llama = Llama.build(file, null, 256, 1, 1, Numerics.INT8)) {
            assertThat(model.chat(dialog, GREEDY).text()).isEqualTo(
                    llama.chatCompletion(List.of(dialog), 0f, 0.9f, 24, false, TokenListener.NONE).getFirst()
                            .generation().text());
            assertThat(model.complete("The capital of France is", GREEDY).text()).isEqualTo(
                    llama.textCompletion(List.of("The capital of France is"), 0f, 0.9f, 24, false, false,
                                    TokenListener.NONE)
                            .getFirst().generation());
        }
    }

    @Test
    void streamedPiecesMakeTheAnswer() throws Exception {
        List<String> pieces = new CopyOnWriteArrayList<>();
        GenerationResult r = model.chat(List.of(Message.user("Hi")), GREEDY, pieces::add).result()
                .get(60, TimeUnit.SECONDS);
        assertThat(String.join("", pieces)).isEqualTo(r.text());
        assertThat(r.generatedTokens()).isEqualTo(24);
        assertThat(r.finish()).isEqualTo(GenerationResult.Finish.LENGTH);
        assertThat(r.promptTokens()).isEqualTo(model.countPromptTokens(List.of(Message.user("Hi"))));
    }

    @Test
    void aStopStringEndsTheAnswerBeforeIt() {
        String whole = model.complete("Once upon a time", GREEDY).text();
        assertThat(whole.length()).isGreaterThan(4);
        String stop = whole.substring(2, 4);
        GenerationResult r = model.complete("Once upon a time", GREEDY.withStop(List.of(stop)));
        assertThat(r.text()).isEqualTo(whole.substring(0, whole.indexOf(stop)));
        assertThat(r.finish()).isEqualTo(GenerationResult.Finish.STOP);
    }

    @Test
    void aCancelledAnswerEndsEarlyWithItsTextSoFar() throws Exception {
        CompletableFuture<Void> first = new CompletableFuture<>();
        Generation g = model.complete("Once upon a time", GenerateOptions.defaults().withMaxTokens(200).withSeed(3L),
                piece -> first.complete(null));
        first.get(60, TimeUnit.SECONDS);
        g.cancel();
        GenerationResult r = g.result().get(60, TimeUnit.SECONDS);
        assertThat(r.finish()).isEqualTo(GenerationResult.Finish.CANCELLED);
        assertThat(r.generatedTokens()).isLessThan(200);
    }

    @Test
    void aPromptLongerThanTheContextFailsWithAOneLineError() {
        String longPrompt = "word ".repeat(400);
        assertThatThrownBy(() -> model.complete(longPrompt, GREEDY)).isInstanceOf(LlamaException.class)
                .message().doesNotContain("\n");
        assertThatThrownBy(() -> GREEDY.withTopP(0)).isInstanceOf(LlamaException.class)
                .hasMessage("top_p must be a number in (0, 1], got 0.0");
    }

    @Test
    void aSeedRepeatsASampledAnswer() throws ExecutionException, InterruptedException {
        GenerateOptions sampled = GenerateOptions.defaults().withMaxTokens(16).withSeed(7L);
        assertThat(model.complete("Hello", sampled).text()).isEqualTo(model.complete("Hello", sampled).text());
    }

    /** The publisher's pieces, asked for one at a time, make the same answer; a refused request ends in onError. */
    @Test
    void aPublisherStreamsTheAnswerWithDemand() throws Exception {
        List<Message> dialog = List.of(Message.user("Hi"));
        String whole = model.chat(dialog, GREEDY).text();
        List<String> pieces = new CopyOnWriteArrayList<>();
        CompletableFuture<Void> done = new CompletableFuture<>();
        model.chatPublisher(dialog, GREEDY).subscribe(new Flow.Subscriber<>() {
            Flow.Subscription subscription;

            @Override
            public void onSubscribe(Flow.Subscription s) {
                subscription = s;
                s.request(1);
            }

            @Override
            public void onNext(String piece) {
                pieces.add(piece);
                subscription.request(1);
            }

            @Override
            public void onError(Throwable t) {
                done.completeExceptionally(t);
            }

            @Override
            public void onComplete() {
                done.complete(null);
            }
        });
        done.get(60, TimeUnit.SECONDS);
        assertThat(String.join("", pieces)).isEqualTo(whole);

        CompletableFuture<Throwable> failed = new CompletableFuture<>();
        model.chatPublisher(List.of(Message.user("word ".repeat(400))), GREEDY).subscribe(new Flow.Subscriber<>() {
            @Override
            public void onSubscribe(Flow.Subscription s) {
                s.request(Long.MAX_VALUE);
            }

            @Override
            public void onNext(String piece) {
            }

            @Override
            public void onError(Throwable t) {
                failed.complete(t);
            }

            @Override
            public void onComplete() {
                failed.complete(null);
            }
        });
        assertThat(failed.get(60, TimeUnit.SECONDS)).isInstanceOf(LlamaException.class);
    }

    /** Answers under a JSON Schema parse and keep to it; a schema with an unsupported keyword is refused at once. */
    @Test
    void aJsonSchemaShapesTheAnswer() throws Exception {
        String schema = "{\"type\": \"object\", \"properties\": {\"ok\": {\"type\": \"boolean\"},"
                + " \"n\": {\"type\": \"integer\", \"minimum\": 1, \"maximum\": 9}},"
                + " \"required\": [\"ok\", \"n\"], \"additionalProperties\": false}";
        for (long seed = 1; seed <= 3; seed++) {
            GenerationResult r = model.chat(List.of(Message.user("Answer in JSON.")), GenerateOptions.defaults()
                    .withMaxTokens(200).withSeed(seed).withJsonSchema(schema));
            com.fasterxml.jackson.databind.JsonNode answer = new com.fasterxml.jackson.databind.ObjectMapper()
                    .readTree(r.text());
            assertThat(answer.get("ok").isBoolean()).as(r.text()).isTrue();
            assertThat(answer.get("n").asInt()).as(r.text()).isBetween(1, 9);
            assertThat(answer.size()).isEqualTo(2);
        }
        assertThatThrownBy(() -> GenerateOptions.defaults().withJsonSchema("{\"not\": {}}"))
                .isInstanceOf(LlamaException.class).hasMessageContaining("\"not\"");
        assertThatThrownBy(() -> GenerateOptions.defaults().withJsonSchema("{oops"))
                .isInstanceOf(LlamaException.class).hasMessageContaining("not JSON");
    }
}
