package dev.llama3j.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.networknt.schema.InputFormat;
import com.networknt.schema.Schema;
import com.networknt.schema.SchemaRegistry;
import com.networknt.schema.SpecificationVersion;
import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import com.openai.core.JsonValue;
import com.openai.models.FunctionDefinition;
import com.openai.models.FunctionParameters;
import com.openai.models.chat.completions.ChatCompletion;
import com.openai.models.chat.completions.ChatCompletionCreateParams;
import com.openai.models.chat.completions.ChatCompletionFunctionTool;
import com.openai.models.chat.completions.ChatCompletionMessageToolCall;
import com.openai.models.chat.completions.ChatCompletionNamedToolChoice;
import com.openai.models.chat.completions.ChatCompletionToolChoiceOption;
import dev.llama3j.SharedData;
import dev.llama3j.convert.GgufFileType;
import dev.llama3j.convert.GgufTokenizers;
import dev.llama3j.convert.LlamaGgufExport;
import dev.llama3j.convert.RandomWeights;
import dev.llama3j.convert.SynthShape;
import dev.llama3j.generate.Engine;
import dev.llama3j.generate.Llama;
import dev.llama3j.model.LlamaWeights;
import dev.llama3j.tensor.Numerics;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * Constrained answers on random-weight models, which left alone write no JSON at all: {@code response_format}'s
 * JSON object and JSON schema, streamed and whole, and {@code tool_choice} "required" or naming a function through
 * the OpenAI Java SDK's tool API. Every answer is parsed and validated against its schema by an independent
 * validator (networknt); unsupported schema keywords are 400s.
 */
class ConstrainedOutputTest {
    static final ObjectMapper JSON = new ObjectMapper();
    static final SchemaRegistry VALIDATORS = SchemaRegistry.withDefaultDialect(SpecificationVersion.DRAFT_2020_12);
    static final String PERSON = """
            {"type": "object", "properties": {
              "name": {"type": "string", "maxLength": 12},
              "age": {"type": "integer", "minimum": 0, "maximum": 150},
              "tags": {"type": "array", "items": {"enum": ["a", "b", "c"]}, "maxItems": 3},
              "email": {"anyOf": [{"type": "string", "pattern": "^[a-z]{1,8}@[a-z]{1,8}\\\\.com$"}, {"type": "null"}]}},
             "required": ["name", "age", "email"], "additionalProperties": false}""";

    @TempDir
    static Path dir;
    static Llama llama;
    static Engine engine;
    static OpenAiServer server;
    static Llama llama31;
    static Engine engine31;
    static OpenAiServer server31;

    @BeforeAll
    static void start() {
        llama = Llama.build(SharedData.require("fixtures/gguf/tiny-gguf-q8_0.gguf"), null, 512, 2, 1, Numerics.INT8);
        engine = llama.newEngine(2);
        server = new OpenAiServer(llama, engine, "tiny", "127.0.0.1", 0, null);
        llama31 = Llama.build(tiny31(dir), null, 1024, 2, 1, Numerics.INT8);
        engine31 = llama31.newEngine(2);
        server31 = new OpenAiServer(llama31, engine31, "tiny31", "127.0.0.1", 0, null);
    }

    /** Writes a Llama 3.1 model with Meta's vocabulary and random weights into {@code dir}, for the tool template. */
    static Path tiny31(Path dir) {
        Path file = dir.resolve("tiny31.gguf");
        LlamaWeights w = RandomWeights.create(SynthShape.TINY_VOCAB.config(), true, 5);
        LlamaGgufExport.prepare(w, new LlamaGgufExport.Options("tiny31", GgufFileType.parse("q8_0"),
                GgufTokenizers.fromFile(SharedData.require("llama3/tokenizer.model"), true))).write(file, null);
        return file;
    }

    @AfterAll
    static void stop() throws Exception {
        for (AutoCloseable c : new AutoCloseable[] {server, engine, llama, server31, engine31, llama31}) {
            if (c != null) {
                c.close();
            }
        }
    }

    static JsonNode post(OpenAiServer s, String body) throws Exception {
        try (HttpClient http = HttpClient.newHttpClient()) {
            HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + s.port()
                    + "/v1/chat/completions")).POST(HttpRequest.BodyPublishers.ofString(body)).build(),
                    HttpResponse.BodyHandlers.ofString());
            JsonNode json = JSON.readTree(r.body());
            return JSON.createObjectNode().put("status", r.statusCode()).set("body", json);
        }
    }

    static String request(String format, long seed, boolean stream) {
        return "{\"messages\": [{\"role\": \"user\", \"content\": \"Describe a person.\"}], \"max_tokens\": 400,"
                + " \"temperature\": 1.0, \"seed\": " + seed + ", \"stream\": " + stream + ", \"response_format\": "
                + format + "}";
    }

    static void assertValid(String schema, String answer) throws Exception {
        JSON.readTree(answer);
        Schema validator = VALIDATORS.getSchema(schema, InputFormat.JSON);
        assertThat(validator.validate(answer, InputFormat.JSON)).as(answer).isEmpty();
    }

    @Test
    void jsonSchemaAnswersParseAndValidate() throws Exception {
        String format = "{\"type\": \"json_schema\", \"json_schema\": {\"name\": \"person\", \"strict\": true,"
                + " \"schema\": " + PERSON + "}}";
        for (long seed = 1; seed <= 4; seed++) {
            JsonNode r = post(server, request(format, seed, false));
            assertThat(r.get("status").asInt()).as(r.toString()).isEqualTo(200);
            JsonNode choice = r.get("body").get("choices").get(0);
            assertThat(choice.get("finish_reason").asText()).isEqualTo("stop");
            assertValid(PERSON, choice.get("message").get("content").asText());
        }
    }

    @Test
    void aStreamedAnswerIsTheWholeOne() throws Exception {
        String format = "{\"type\": \"json_schema\", \"json_schema\": {\"name\": \"p\", \"schema\": " + PERSON + "}}";
        JsonNode whole = post(server, request(format, 9, false)).get("body");
        StringBuilder streamed = new StringBuilder();
        try (HttpClient http = HttpClient.newHttpClient()) {
            String body = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port()
                    + "/v1/chat/completions")).POST(HttpRequest.BodyPublishers.ofString(request(format, 9, true)))
                    .build(), HttpResponse.BodyHandlers.ofString()).body();
            for (String line : body.split("\n")) {
                if (line.startsWith("data: {")) {
                    JsonNode chunk = JSON.readTree(line.substring(6));
                    streamed.append(chunk.path("choices").path(0).path("delta").path("content").asText(""));
                }
            }
        }
        String answer = whole.get("choices").get(0).get("message").get("content").asText();
        assertThat(streamed.toString()).isEqualTo(answer);
        assertValid(PERSON, answer);
    }

    /** Two choices, streamed together: each choice's chunks make its whole answer, and each follows the schema. */
    @Test
    void severalStreamedChoicesAreTheWholeOnes() throws Exception {
        String format = "{\"type\": \"json_schema\", \"json_schema\": {\"name\": \"p\", \"schema\": " + PERSON + "}}";
        String two = request(format, 5, false).replace("\"max_tokens\"", "\"n\": 2, \"max_tokens\"");
        JsonNode whole = post(server, two).get("body");
        String[] streamed = {"", ""};
        try (HttpClient http = HttpClient.newHttpClient()) {
            String body = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port()
                    + "/v1/chat/completions")).POST(HttpRequest.BodyPublishers.ofString(two.replace(
                    "\"stream\": false", "\"stream\": true"))).build(), HttpResponse.BodyHandlers.ofString()).body();
            for (String line : body.split("\n")) {
                if (line.startsWith("data: {")) {
                    JsonNode choice = JSON.readTree(line.substring(6)).path("choices").path(0);
                    streamed[choice.path("index").asInt()] += choice.path("delta").path("content").asText("");
                }
            }
        }
        for (int k = 0; k < 2; k++) {
            JsonNode choice = whole.get("choices").get(k);
            assertThat(streamed[k]).isEqualTo(choice.get("message").get("content").asText());
            assertThat(choice.get("finish_reason").asText()).isEqualTo("stop");
            assertValid(PERSON, streamed[k]);
        }
        assertThat(streamed[0]).isNotEqualTo(streamed[1]);
    }

    @Test
    void jsonObjectAnswersAreObjects() throws Exception {
        for (long seed = 1; seed <= 3; seed++) {
            JsonNode r = post(server, request("{\"type\": \"json_object\"}", seed, false)).get("body");
            String answer = r.get("choices").get(0).get("message").get("content").asText();
            if (r.get("choices").get(0).get("finish_reason").asText().equals("stop")) {
                assertThat(JSON.readTree(answer).isObject()).as(answer).isTrue();
            } else {
                // an unbounded schema may run to max_tokens: then the answer is a start of one
                assertThat(answer).startsWith("{");
            }
        }
    }

    @Test
    void unsupportedKeywordsAndBadFormatsAre400s() throws Exception {
        JsonNode r = post(server, request("{\"type\": \"json_schema\", \"json_schema\": {\"name\": \"x\", \"schema\":"
                + " {\"type\": \"object\", \"properties\": {\"a\": {\"type\": \"string\", \"if\": {}}}}}}", 1, false));
        assertThat(r.get("status").asInt()).isEqualTo(400);
        assertThat(r.get("body").get("error").get("message").asText()).contains("\"if\"").contains("/properties/a");
        r = post(server, request("{\"type\": \"yaml\"}", 1, false));
        assertThat(r.get("status").asInt()).isEqualTo(400);
        assertThat(r.get("body").get("error").get("message").asText()).contains("response_format.type");
        r = post(server, request("{\"type\": \"json_schema\", \"json_schema\": {\"name\": \"x\"}}", 1, false));
        assertThat(r.get("status").asInt()).isEqualTo(400);
        assertThat(r.get("body").get("error").get("message").asText()).contains("json_schema.schema");
    }

    static final String WEATHER = """
            {"type": "object", "properties": {"city": {"type": "string", "maxLength": 10},
             "days": {"type": "integer", "minimum": 1, "maximum": 14}},
             "required": ["city", "days"], "additionalProperties": false}""";

    static ChatCompletionFunctionTool tool(String name, String schema) throws Exception {
        Map<String, Object> parameters = JSON.readValue(schema, Map.class);
        FunctionParameters.Builder p = FunctionParameters.builder();
        parameters.forEach((k, v) -> p.putAdditionalProperty(k, JsonValue.from(v)));
        return ChatCompletionFunctionTool.builder().function(FunctionDefinition.builder().name(name)
                .description("a tool").parameters(p.build()).build()).build();
    }

    @Test
    void requiredAndNamedToolChoicesAnswerWithValidCalls() throws Exception {
        String time = "{\"type\": \"object\", \"properties\": {\"zone\": {\"enum\": [\"CET\", \"UTC\"]}},"
                + " \"required\": [\"zone\"], \"additionalProperties\": false}";
        OpenAIClient client = OpenAIOkHttpClient.builder().baseUrl("http://127.0.0.1:" + server31.port() + "/v1")
                .apiKey("unused").maxRetries(0).timeout(Duration.ofSeconds(120)).build();
        try {
            for (long seed = 1; seed <= 3; seed++) {
                ChatCompletionCreateParams.Builder params = ChatCompletionCreateParams.builder().model("tiny31")
                        .addUserMessage("What is the weather in Paris?").maxCompletionTokens(300).temperature(1.0)
                        .seed(seed).addTool(tool("get_weather", WEATHER)).addTool(tool("get_time", time));
                ChatCompletion required = client.chat().completions().create(params
                        .toolChoice(ChatCompletionToolChoiceOption.Auto.REQUIRED).build());
                ChatCompletion.Choice choice = required.choices().getFirst();
                assertThat(choice.finishReason()).isEqualTo(ChatCompletion.Choice.FinishReason.TOOL_CALLS);
                List<ChatCompletionMessageToolCall> calls = choice.message().toolCalls().orElseThrow();
                assertThat(calls).hasSize(1);
                var call = calls.getFirst().asFunction().function();
                assertThat(call.name()).isIn("get_weather", "get_time");
                assertValid(call.name().equals("get_weather") ? WEATHER : time, call.arguments());

                ChatCompletion named = client.chat().completions().create(params.toolChoice(
                        ChatCompletionNamedToolChoice.builder().function(ChatCompletionNamedToolChoice.Function
                                .builder().name("get_time").build()).build()).build());
                var namedCall = named.choices().getFirst().message().toolCalls().orElseThrow().getFirst()
                        .asFunction().function();
                assertThat(namedCall.name()).isEqualTo("get_time");
                assertValid(time, namedCall.arguments());
            }
        } finally {
            client.close();
        }
    }

    @Test
    void aToolChoiceOutsideTheToolsIsA400() throws Exception {
        String body = "{\"messages\": [{\"role\": \"user\", \"content\": \"x\"}], \"tools\": [{\"type\": \"function\","
                + " \"function\": {\"name\": \"f\", \"parameters\": {\"type\": \"object\"}}}], \"tool_choice\":"
                + " {\"type\": \"function\", \"function\": {\"name\": \"g\"}}}";
        JsonNode r = post(server31, body);
        assertThat(r.get("status").asInt()).isEqualTo(400);
        assertThat(r.get("body").get("error").get("message").asText()).contains("\"g\"");
        r = post(server31, "{\"messages\": [{\"role\": \"user\", \"content\": \"x\"}], \"tool_choice\": \"required\"}");
        assertThat(r.get("status").asInt()).isEqualTo(400);
        assertThat(r.get("body").get("error").get("message").asText()).contains("no 'tools'");
    }

    /** A tool whose parameters refer to their own $defs keeps them when wrapped into the forced call's schema. */
    @Test
    void aForcedCallKeepsTheToolsOwnReferences() throws Exception {
        String parameters = "{\"type\": \"object\", \"properties\": {\"unit\": {\"$ref\": \"#/$defs/unit\"}},"
                + " \"required\": [\"unit\"], \"additionalProperties\": false,"
                + " \"$defs\": {\"unit\": {\"enum\": [\"C\", \"F\"]}}}";
        String body = "{\"messages\": [{\"role\": \"user\", \"content\": \"Weather?\"}], \"max_tokens\": 100,"
                + " \"temperature\": 1.0, \"seed\": 2, \"tools\": [{\"type\": \"function\", \"function\": {\"name\":"
                + " \"weather\", \"parameters\": " + parameters + "}}], \"tool_choice\": \"required\"}";
        JsonNode r = post(server31, body);
        assertThat(r.get("status").asInt()).as(r.toString()).isEqualTo(200);
        JsonNode call = r.get("body").get("choices").get(0).get("message").get("tool_calls").get(0).get("function");
        assertThat(call.get("name").asText()).isEqualTo("weather");
        assertValid(parameters, call.get("arguments").asText());
    }

    /** Under a constraint the alternatives are allowed tokens only: every log-probability is a finite number. */
    @Test
    void constrainedLogprobsAreFinite() throws Exception {
        String body = "{\"messages\": [{\"role\": \"user\", \"content\": \"x\"}], \"max_tokens\": 30,"
                + " \"temperature\": 0, \"logprobs\": true, \"top_logprobs\": 20, \"response_format\":"
                + " {\"type\": \"json_schema\", \"json_schema\": {\"name\": \"b\","
                + " \"schema\": {\"type\": \"boolean\"}}}}";
        JsonNode r = post(server, body);
        assertThat(r.get("status").asInt()).as(r.toString()).isEqualTo(200);
        JsonNode content = r.get("body").get("choices").get(0).get("logprobs").get("content");
        assertThat(content).isNotEmpty();
        for (JsonNode token : content) {
            assertThat(token.get("logprob").isNumber()).as(token.toString()).isTrue();
            for (JsonNode alt : token.get("top_logprobs")) {
                assertThat(alt.get("logprob").isNumber()).as(alt.toString()).isTrue();
            }
        }
        assertThat(r.get("body").get("choices").get(0).get("message").get("content").asText()).isIn("true", "false");
    }
}
