package dev.llama3j.langchain4j;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.networknt.schema.InputFormat;
import com.networknt.schema.Schema;
import com.networknt.schema.SchemaRegistry;
import com.networknt.schema.SpecificationVersion;
import dev.langchain4j.agent.tool.P;
import dev.langchain4j.agent.tool.Tool;
import dev.langchain4j.agent.tool.ToolExecutionRequest;
import dev.langchain4j.agent.tool.ToolSpecification;
import dev.langchain4j.data.message.AiMessage;
import dev.langchain4j.data.message.ChatMessage;
import dev.langchain4j.data.message.SystemMessage;
import dev.langchain4j.data.message.ToolExecutionResultMessage;
import dev.langchain4j.data.message.UserMessage;
import dev.langchain4j.exception.UnsupportedFeatureException;
import dev.langchain4j.internal.JsonSchemaElementUtils;
import dev.langchain4j.model.chat.ChatModel;
import dev.langchain4j.model.chat.request.ChatRequest;
import dev.langchain4j.model.chat.request.ChatRequestParameters;
import dev.langchain4j.model.chat.request.ToolChoice;
import dev.langchain4j.model.chat.request.json.JsonObjectSchema;
import dev.langchain4j.model.chat.response.ChatResponse;
import dev.langchain4j.model.chat.response.CompleteToolCall;
import dev.langchain4j.model.chat.response.PartialToolCall;
import dev.langchain4j.model.chat.response.StreamingChatResponseHandler;
import dev.langchain4j.model.output.FinishReason;
import dev.langchain4j.service.AiServices;
import dev.llama3j.SharedData;
import dev.llama3j.api.LlamaModel;
import dev.llama3j.chat.ToolFormat;
import dev.llama3j.convert.GgufFileType;
import dev.llama3j.convert.GgufTokenizers;
import dev.llama3j.convert.LlamaGgufExport;
import dev.llama3j.convert.RandomWeights;
import dev.llama3j.convert.SynthShape;
import dev.llama3j.model.LlamaWeights;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Tool calling the LangChain4j way on a Llama 3.1-style random-weight model with Meta's vocabulary: the prompts of
 * tool specifications, calls and results are those of ../shared/llama3/chat-cases-tools.jsonl (Hugging Face's
 * rendering of Meta's template), a REQUIRED call's arguments validate against LangChain4j's own JSON Schema of the
 * tool, and an AI service runs its {@code @Tool} method and reads the result back.
 */
class Llama3jToolsTest {
    static final ObjectMapper JSON = new ObjectMapper();
    static final SchemaRegistry VALIDATORS = SchemaRegistry.withDefaultDialect(SpecificationVersion.DRAFT_2020_12);

    @TempDir
    static Path dir;
    static LlamaModel model;
    static Llama3jChatModel chat;
    static Llama3jStreamingChatModel streaming;

    @BeforeAll
    static void load() {
        Path tokenizer = SharedData.require("llama3/tokenizer.model");
        Path file = dir.resolve("tiny31.gguf");
        LlamaWeights w = RandomWeights.create(SynthShape.TINY_VOCAB.config(), true, 5);
        LlamaGgufExport.prepare(w, new LlamaGgufExport.Options("tiny31", GgufFileType.parse("q8_0"),
                GgufTokenizers.fromFile(tokenizer, true))).write(file, null);
        model = LlamaModel.load(file, LlamaModel.Options.defaults().withContextLength(1024).withParallel(2));
        chat = Llama3jChatModel.builder().model(model).temperature(1.0).maxTokens(300).build();
        streaming = Llama3jStreamingChatModel.builder().model(model).temperature(1.0).maxTokens(300).build();
    }

    @AfterAll
    static void close() {
        if (model != null) {
            model.close();
        }
    }

    /** The case of chat-cases-tools.jsonl tagged {@code tag}. */
    static JsonNode shared(String tag) throws Exception {
        for (String line : Files.readAllLines(SharedData.require("llama3/chat-cases-tools.jsonl"))) {
            JsonNode c = JSON.readTree(line);
            if (c.get("tag").asText().equals(tag)) {
                return c;
            }
        }
        throw new AssertionError("no case " + tag);
    }

    /** The cases' get_current_weather, as a LangChain4j application declares it. */
    static final ToolSpecification WEATHER = ToolSpecification.builder().name("get_current_weather")
            .description("Get the current weather in a given location")
            .parameters(JsonObjectSchema.builder()
                    .addStringProperty("location", "The city and state, e.g. San Francisco, CA")
                    .addEnumProperty("unit", List.of("celsius", "fahrenheit")).required("location").build())
            .build();

    static ChatRequest request(List<ChatMessage> messages, ToolSpecification... tools) {
        return ChatRequest.builder().messages(messages).toolSpecifications(tools).build();
    }

    /** The prompt the chat models give {@code request} equals the case's ids and text. */
    static void assertPromptIsTheCase(ChatRequest request, String tag) throws Exception {
        JsonNode expected = shared(tag);
        int[] prompt = Llama3jTools.of(request, ToolFormat.AUTO).prompt(model);
        assertThat(model.tokenizer().decode(prompt)).isEqualTo(expected.get("text").asText());
        assertThat(prompt).isEqualTo(JSON.convertValue(expected.get("ids"), int[].class));
    }

    @Test
    void toolSpecificationsArePromptedAsTheTemplateDoes() throws Exception {
        ChatRequest request = request(List.of(UserMessage.from("What is the weather in Paris?")), WEATHER);
        assertPromptIsTheCase(request, "tools-user-msg");
        // and the chat model reads that very prompt
        ChatResponse r = chat.chat(request.toBuilder().maxOutputTokens(1).build());
        assertThat(r.tokenUsage().inputTokenCount()).isEqualTo(shared("tools-user-msg").get("ids").size());
    }

    @Test
    void toolRequestsAndResultsGoBackAsTheTemplatesTurns() throws Exception {
        AiMessage call = AiMessage.from(ToolExecutionRequest.builder().id("call_1").name("get_current_weather")
                .arguments("{\"location\": \"Paris, France\", \"unit\": \"celsius\"}").build());
        List<ChatMessage> dialog = new ArrayList<>(List.of(UserMessage.from("Weather in Paris?"), call,
                ToolExecutionResultMessage.from("call_1", "get_current_weather",
                        "{\"temperature\": 21, \"unit\": \"celsius\"}")));
        assertPromptIsTheCase(request(dialog, WEATHER), "tool-call-and-result");

        AiMessage shortCall = AiMessage.from(ToolExecutionRequest.builder().id("call_1").name("get_current_weather")
                .arguments("{\"location\": \"Paris\"}").build());
        assertPromptIsTheCase(request(List.of(UserMessage.from("Weather in Paris?"), shortCall,
                ToolExecutionResultMessage.from("call_1", "get_current_weather", "sunny"),
                AiMessage.from("It is sunny in Paris."), UserMessage.from("And tomorrow?")), WEATHER),
                "tool-then-answer");
    }

    /** Tools whose arguments are bounded, so that a random-weight model's forced call always ends. */
    static final ToolSpecification FORECAST = ToolSpecification.builder().name("get_forecast")
            .description("The weather in a city for the next days")
            .parameters(JsonObjectSchema.builder().addEnumProperty("city", List.of("Paris", "Lima", "Oslo"))
                    .addIntegerProperty("days").addBooleanProperty("hourly").required("city", "days")
                    .additionalProperties(false).build())
            .build();
    static final ToolSpecification TIME = ToolSpecification.builder().name("get_time")
            .parameters(JsonObjectSchema.builder().addEnumProperty("zone", List.of("CET", "UTC")).required("zone")
                    .additionalProperties(false).build())
            .build();

    /** The call's arguments against LangChain4j's own JSON Schema of the tool it names. */
    static void assertValidCall(ToolExecutionRequest call) throws Exception {
        ToolSpecification tool = call.name().equals(FORECAST.name()) ? FORECAST : TIME;
        assertThat(call.name()).isIn(FORECAST.name(), TIME.name());
        Schema schema = VALIDATORS.getSchema(JSON.writeValueAsString(JsonSchemaElementUtils.toMap(tool.parameters())),
                InputFormat.JSON);
        assertThat(schema.validate(call.arguments(), InputFormat.JSON)).as(call.arguments()).isEmpty();
        assertThat(call.id()).isNotBlank();
    }

    static ChatRequest forced() {
        return ChatRequest.builder().messages(UserMessage.from("What is the weather in Paris?"))
                .parameters(ChatRequestParameters.builder().toolSpecifications(FORECAST, TIME)
                        .toolChoice(ToolChoice.REQUIRED).build())
                .build();
    }

    @Test
    void aRequiredCallHasArgumentsValidForItsTool() throws Exception {
        for (long seed = 1; seed <= 3; seed++) {
            try (Llama3jChatModel seeded = Llama3jChatModel.builder().model(model).temperature(1.0).maxTokens(300)
                    .seed(seed).build()) {
                ChatResponse r = seeded.chat(forced());
                assertThat(r.finishReason()).as(r.toString()).isEqualTo(FinishReason.TOOL_EXECUTION);
                assertThat(r.aiMessage().toolExecutionRequests()).hasSize(1);
                assertValidCall(r.aiMessage().toolExecutionRequests().getFirst());
            }
        }
    }

    @Test
    void aStreamedCallArrivesWholeWithTheResponse() throws Exception {
        try (Llama3jChatModel whole = Llama3jChatModel.builder().model(model).temperature(1.0).maxTokens(300)
                .seed(7L).build();
             Llama3jStreamingChatModel streamed = Llama3jStreamingChatModel.builder().model(model).temperature(1.0)
                     .maxTokens(300).seed(7L).build()) {
            List<String> text = new ArrayList<>();
            List<PartialToolCall> partial = new ArrayList<>();
            List<CompleteToolCall> complete = new ArrayList<>();
            CompletableFuture<ChatResponse> done = new CompletableFuture<>();
            streamed.chat(forced(), new StreamingChatResponseHandler() {
                @Override
                public void onPartialResponse(String piece) {
                    text.add(piece);
                }

                @Override
                public void onPartialToolCall(PartialToolCall call) {
                    partial.add(call);
                }

                @Override
                public void onCompleteToolCall(CompleteToolCall call) {
                    complete.add(call);
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
            ChatResponse r = done.get(120, TimeUnit.SECONDS);
            ToolExecutionRequest call = whole.chat(forced()).aiMessage().toolExecutionRequests().getFirst();
            assertThat(text).isEmpty();
            assertThat(r.finishReason()).isEqualTo(FinishReason.TOOL_EXECUTION);
            ToolExecutionRequest streamedCall = r.aiMessage().toolExecutionRequests().getFirst();
            assertThat(streamedCall.name()).isEqualTo(call.name());
            assertThat(streamedCall.arguments()).isEqualTo(call.arguments());
            assertThat(complete).extracting(CompleteToolCall::toolExecutionRequest).containsExactly(streamedCall);
            assertThat(partial).singleElement().satisfies(p -> assertThat(p.partialArguments())
                    .isEqualTo(streamedCall.arguments()));
        }
    }

    /** With tools offered, a text answer is held back until it is known not to be a call, then comes in one piece. */
    @Test
    void aStreamedTextAnswerWithToolsComesInOnePiece() throws Exception {
        ChatRequest request = request(List.of(UserMessage.from("Hello")), FORECAST, TIME);
        try (Llama3jChatModel whole = Llama3jChatModel.builder().model(model).temperature(0.0).maxTokens(20).build();
             Llama3jStreamingChatModel streamed = Llama3jStreamingChatModel.builder().model(model).temperature(0.0)
                     .maxTokens(20).build()) {
            List<String> pieces = new ArrayList<>();
            CompletableFuture<ChatResponse> done = new CompletableFuture<>();
            streamed.chat(request, new StreamingChatResponseHandler() {
                @Override
                public void onPartialResponse(String piece) {
                    pieces.add(piece);
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
            ChatResponse r = done.get(120, TimeUnit.SECONDS);
            ChatResponse expected = whole.chat(request);
            assertThat(expected.aiMessage().hasToolExecutionRequests()).as(expected.toString()).isFalse();
            assertThat(pieces).containsExactly(expected.aiMessage().text());
            assertThat(r.aiMessage()).isEqualTo(expected.aiMessage());
            assertThat(r.finishReason()).isEqualTo(expected.finishReason()).isEqualTo(FinishReason.LENGTH);
        }
    }

    /** A call the model made goes back into the next prompt as the template writes a call and its result. */
    @Test
    void aCallsResultRoundTripsAsTheCasesToolTurn() throws Exception {
        try (Llama3jChatModel seeded = Llama3jChatModel.builder().model(model).temperature(1.0).maxTokens(300)
                .seed(3L).build()) {
            AiMessage call = seeded.chat(forced()).aiMessage();
            ToolExecutionRequest r = call.toolExecutionRequests().getFirst();
            String result = "{\"temperature\": 21, \"unit\": \"celsius\"}";
            ChatRequest next = request(List.of(UserMessage.from("What is the weather in Paris?"), call,
                    ToolExecutionResultMessage.from(r, result)), FORECAST, TIME);
            String prompt = model.tokenizer().decode(Llama3jTools.of(next, ToolFormat.AUTO).prompt(model));
            String expected = shared("tool-call-and-result").get("text").asText();
            String resultTurn = expected.substring(expected.lastIndexOf("<|eot_id|><|start_header_id|>ipython"));
            assertThat(prompt).endsWith("<|start_header_id|>assistant<|end_header_id|>\n\n{\"name\": \""
                    + r.name() + "\", \"parameters\": " + templateJson(r.arguments()) + "}" + resultTurn);
        }
    }

    /** Arguments as the template's tojson writes them: Python's json.dumps separators. */
    static String templateJson(String arguments) throws Exception {
        JsonNode node = JSON.readTree(arguments);
        List<String> pairs = new ArrayList<>();
        for (var e : node.properties()) {
            pairs.add(JSON.writeValueAsString(e.getKey()) + ": " + JSON.writeValueAsString(e.getValue()));
        }
        return "{" + String.join(", ", pairs) + "}";
    }

    enum City { PARIS, LIMA, OSLO }

    static final class WeatherTools {
        final List<City> asked = new ArrayList<>();

        @Tool("The current weather in a city")
        String weather(@P("the city") City city) {
            asked.add(city);
            return "sunny";
        }
    }

    interface Assistant {
        String chat(String question);
    }

    /**
     * An AI service with a {@code @Tool} method: the first answer is forced to be a call (random weights call nothing
     * on their own), LangChain4j runs the method with the call's arguments and sends its result back, and the
     * model's next answer, text, is the service's.
     */
    @Test
    void anAiServiceRunsItsToolAndAnswersWithTheResult() throws Exception {
        List<ChatRequest> requests = new ArrayList<>();
        List<ChatResponse> responses = new ArrayList<>();
        try (Llama3jChatModel seeded = Llama3jChatModel.builder().model(model).temperature(1.0).maxTokens(20)
                .seed(5L).build()) {
            ChatModel firstCallForced = new ChatModel() {
                @Override
                public ChatResponse doChat(ChatRequest request) {
                    boolean first = request.messages().getLast() instanceof UserMessage;
                    ChatRequest sent = first ? request.toBuilder().parameters(request.parameters().overrideWith(
                            ChatRequestParameters.builder().toolChoice(ToolChoice.REQUIRED).maxOutputTokens(300)
                                    .build())).build() : request;
                    requests.add(sent);
                    ChatResponse r = seeded.chat(sent);
                    responses.add(r);
                    return r;
                }
            };
            WeatherTools tools = new WeatherTools();
            Assistant assistant = AiServices.builder(Assistant.class).chatModel(firstCallForced).tools(tools).build();
            String answer = assistant.chat("What is the weather in Paris?");

            assertThat(tools.asked).hasSize(1).doesNotContainNull();
            assertThat(requests).hasSize(2);
            ToolExecutionRequest call = responses.getFirst().aiMessage().toolExecutionRequests().getFirst();
            assertThat(call.name()).isEqualTo("weather");
            // LangChain4j read the argument from the call's JSON (named arg0 unless compiled with -parameters)
            JsonNode arguments = JSON.readTree(call.arguments());
            assertThat(arguments.size()).as(call.arguments()).isEqualTo(1);
            assertThat(arguments.elements().next().asText()).isEqualTo(tools.asked.getFirst().name());
            ToolExecutionResultMessage result = (ToolExecutionResultMessage) requests.get(1).messages().getLast();
            assertThat(result.id()).isEqualTo(call.id());
            assertThat(result.text()).isEqualTo("sunny");
            assertThat(answer).isEqualTo(responses.getLast().aiMessage().text());
        }
    }

    @Test
    void llama3ModelsAndForgedSpecialTokensAreRefused() {
        Path llama3 = SharedData.require("fixtures/gguf/tiny-gguf-q8_0.gguf");
        try (Llama3jChatModel old = Llama3jChatModel.builder().modelPath(llama3).maxTokens(5).build()) {
            assertThatThrownBy(() -> old.chat(request(List.of(UserMessage.from("Hi")), WEATHER)))
                    .isInstanceOf(UnsupportedFeatureException.class)
                    .hasMessage("tiny-gguf-q8_0.gguf: tools need a Llama 3.1 or later model; this one is Llama 3");
        }
        assertThatThrownBy(() -> chat.chat(request(List.of(SystemMessage.from("x<|eot_id|>")), WEATHER)))
                .isInstanceOf(UnsupportedFeatureException.class).hasMessageContaining("<|eot_id|>");
        assertThatThrownBy(() -> chat.chat(ChatRequest.builder().messages(UserMessage.from("Hi"))
                .toolChoice(ToolChoice.REQUIRED).build())).hasMessageContaining("no tools");
    }
}
