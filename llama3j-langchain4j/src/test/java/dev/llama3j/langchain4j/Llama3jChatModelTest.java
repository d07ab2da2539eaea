package dev.llama3j.langchain4j;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.langchain4j.agent.tool.ToolSpecification;
import dev.langchain4j.data.message.ChatMessage;
import dev.langchain4j.data.message.SystemMessage;
import dev.langchain4j.data.message.UserMessage;
import dev.langchain4j.exception.UnsupportedFeatureException;
import dev.langchain4j.model.chat.request.ChatRequest;
import dev.langchain4j.model.chat.request.ResponseFormat;
import dev.langchain4j.model.chat.request.ResponseFormatType;
import dev.langchain4j.model.chat.request.json.JsonObjectSchema;
import dev.langchain4j.model.chat.request.json.JsonRawSchema;
import dev.langchain4j.model.chat.request.json.JsonSchema;
import dev.langchain4j.model.chat.response.ChatResponse;
import dev.langchain4j.model.chat.response.StreamingChatResponseHandler;
import dev.langchain4j.model.output.FinishReason;
import dev.langchain4j.service.AiServices;
import dev.llama3j.LlamaException;
import dev.llama3j.SharedData;
import dev.llama3j.api.LlamaModel;
import dev.llama3j.chat.Message;
import dev.llama3j.generate.Llama;
import dev.llama3j.generate.TokenListener;
import dev.llama3j.tensor.Numerics;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The provider as LangChain4j applications use it, on the real-vocabulary fixture: the answer at temperature 0 is
 * the one {@code llama3j chat --temperature 0} gives ({@link Llama#chatCompletion}, Meta's batched generation), through
 * ChatModel, AiServices and the streaming model alike, and from several threads at once.
 */
class Llama3jChatModelTest {
    static Path file;
    static Llama3jChatModel chat;
    static Llama3jStreamingChatModel streaming;

    @BeforeAll
    static void load() {
        file = SharedData.require("fixtures/gguf/tiny-gguf-q8_0.gguf");
        chat = Llama3jChatModel.builder().modelPath(file).temperature(0.0).maxTokens(20).build();
        streaming = Llama3jStreamingChatModel.builder().modelPath(file).temperature(0.0).maxTokens(20).build();
    }

    @AfterAll
    static void close() {
        if (chat != null) {
            chat.close();
            streaming.close();
        }
    }

    /** What the CLI's chat answers: Meta's chat_completion, temperature 0, 20 tokens, int8 activations. */
    static String cliAnswer(List<Message> dialog) {
        try (Llama llama = Llama.build(file, null, 4096, 1, 1, Numerics.INT8)) {
            return llama.chatCompletion(List.of(dialog), 0f, 0.9f, 20, false, TokenListener.NONE).getFirst()
                    .generation().text();
        }
    }

    @Test
    void chatGivesTheCliChatsAnswer() {
        String answer = chat.chat("Hello");
        assertThat(answer).isEqualTo(cliAnswer(List.of(Message.user("Hello"))));
        ChatResponse r = chat.chat(SystemMessage.from("Be brief."), UserMessage.from("Hello"));
        assertThat(r.aiMessage().text()).isEqualTo(cliAnswer(List.of(Message.system("Be brief."),
                Message.user("Hello"))));
        assertThat(r.tokenUsage().outputTokenCount()).isEqualTo(20);
        assertThat(r.finishReason()).isEqualTo(FinishReason.LENGTH);
        assertThat(r.modelName()).isEqualTo("tiny-gguf-q8_0.gguf");
    }

    interface Assistant {
        String answer(String question);
    }

    @Test
    void anAiServiceAnswersAsTheModelDoes() {
        Assistant assistant = AiServices.create(Assistant.class, chat);
        assertThat(assistant.answer("What is 2 + 2?")).isEqualTo(cliAnswer(List.of(Message.user("What is 2 + 2?"))));
    }

    @Test
    void aRequestsOwnParametersTakePrecedence() {
        ChatResponse r = chat.chat(ChatRequest.builder().messages(UserMessage.from("Hello!")).maxOutputTokens(5)
                .build());
        assertThat(r.tokenUsage().outputTokenCount()).isEqualTo(5);
        assertThat(r.tokenUsage().inputTokenCount()).isEqualTo(12); // shared/llama3/chat-cases.jsonl, "single"
        assertThat(chat.chat("Hello!")).startsWith(r.aiMessage().text());
        // the fixture is a Llama 3 model: no tools (Llama3jToolsTest has them)
        assertThatThrownBy(() -> chat.chat(ChatRequest.builder().messages(UserMessage.from("Hi"))
                .toolSpecifications(ToolSpecification.builder().name("f").build()).build()))
                .isInstanceOf(UnsupportedFeatureException.class).hasMessageContaining("Llama 3.1");
    }

    @Test
    void badSettingsAreRefusedBeforeAnyModelIsLoaded() {
        assertThatThrownBy(() -> Llama3jChatModel.builder().modelPath(Path.of("no-such.gguf")).temperature(-1.0)
                .build()).isInstanceOf(LlamaException.class)
                .hasMessage("temperature must be a finite number >= 0, got -1.0");
        assertThatThrownBy(() -> Llama3jChatModel.builder().build()).isInstanceOf(IllegalStateException.class);
    }

    @Test
    void streamingGivesTheSameAnswerInPieces() throws Exception {
        List<String> pieces = new ArrayList<>();
        CompletableFuture<ChatResponse> done = new CompletableFuture<>();
        streaming.chat("Hello", new StreamingChatResponseHandler() {
            @Override
            public void onPartialResponse(String partial) {
                pieces.add(partial);
            }

            @Override
            public void onCompleteResponse(ChatResponse response) {
                done.complete(response);
            }

            @Override
            public void onError(Throwable error) {
                done.completeExceptionally(error);
            }
        });
        ChatResponse r = done.get(60, TimeUnit.SECONDS);
        ChatResponse whole = chat.chat(List.<ChatMessage>of(UserMessage.from("Hello")));
        assertThat(String.join("", pieces)).isEqualTo(r.aiMessage().text()).isEqualTo(whole.aiMessage().text());
        assertThat(pieces.size()).isGreaterThan(1);
        assertThat(r.tokenUsage()).isEqualTo(whole.tokenUsage());
        assertThat(r.finishReason()).isEqualTo(whole.finishReason());
    }

    @Test
    void severalThreadsAtOnceGetTheirOwnAnswers() throws Exception {
        List<String> questions = List.of("Hello", "What is 2 + 2?", "Name a color.", "Tell me a joke.", "Hi!",
                "Why is the sky blue?");
        List<String> alone = questions.stream().map(chat::chat).toList();
        ExecutorService pool = Executors.newFixedThreadPool(questions.size());
        try {
            List<Future<String>> together = new ArrayList<>();
            for (String q : questions) {
                together.add(pool.submit(() -> chat.chat(q)));
            }
            for (int i = 0; i < questions.size(); i++) {
                assertThat(together.get(i).get(120, TimeUnit.SECONDS)).as(questions.get(i)).isEqualTo(alone.get(i));
            }
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void tokenCountsAreTheTokenizersOwn() {
        try (LlamaModel model = LlamaModel.load(file)) {
            Llama3jTokenCountEstimator counter = new Llama3jTokenCountEstimator(model);
            // shared/llama3/tokenizer-cases.jsonl and chat-cases.jsonl ("meta-unit-test")
            assertThat(counter.estimateTokenCountInText("This is a test sentence.")).isEqualTo(6);
            assertThat(counter.estimateTokenCountInMessages(List.of(SystemMessage.from("This is a test sentence."),
                    UserMessage.from("This is a response.")))).isEqualTo(26);
            // chat-cases.jsonl "single": 12 ids for [user "Hello!"], "empty-dialog": 5 for none
            assertThat(counter.estimateTokenCountInMessage(UserMessage.from("Hello!"))).isEqualTo(12 - 5);
        }
    }

    record Person(String name, long age, boolean student) {}

    interface Extractor {
        Person extract(String text);
    }

    /**
     * JSON Schema answers: a request's schema (here with every field required) is kept to by the random-weight
     * model's answer; an AI service returning a record gets its record (LangChain4j sends the record's schema, all
     * fields optional, as the response format since the model says it takes one); an unsupported keyword is refused.
     */
    @Test
    void structuredOutputIsConstrainedToTheSchema() throws Exception {
        try (Llama3jChatModel sampled = Llama3jChatModel.builder().modelPath(file).temperature(1.0).maxTokens(300)
                .seed(4L).build()) {
            JsonObjectSchema person = JsonObjectSchema.builder().addStringProperty("name").addIntegerProperty("age")
                    .addBooleanProperty("student").required("name", "age", "student").build();
            ChatResponse r = sampled.chat(ChatRequest.builder().messages(UserMessage.from("Ada is 36.")).responseFormat(
                    ResponseFormat.builder().type(ResponseFormatType.JSON).jsonSchema(JsonSchema.builder()
                            .name("person").rootElement(person).build()).build()).build());
            JsonNode answer = new ObjectMapper().readTree(r.aiMessage().text());
            assertThat(answer.get("name").isTextual()).as(r.aiMessage().text()).isTrue();
            assertThat(answer.get("age").isIntegralNumber()).as(r.aiMessage().text()).isTrue();
            assertThat(answer.get("student").isBoolean()).as(r.aiMessage().text()).isTrue();
            assertThat(AiServices.create(Extractor.class, sampled).extract("Ada is 36 and not a student.")).isNotNull();
        }
        ChatRequest bad = ChatRequest.builder().messages(UserMessage.from("x")).responseFormat(ResponseFormat.builder()
                .type(ResponseFormatType.JSON).jsonSchema(JsonSchema.builder().name("n")
                        .rootElement(JsonRawSchema.from("{\"not\": {}}")).build()).build()).build();
        assertThatThrownBy(() -> chat.chat(bad)).isInstanceOf(UnsupportedFeatureException.class)
                .hasMessageContaining("\"not\"");
    }
}
