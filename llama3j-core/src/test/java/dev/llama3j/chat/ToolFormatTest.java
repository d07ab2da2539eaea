package dev.llama3j.chat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import dev.llama3j.LlamaException;
import dev.llama3j.tokenizer.SpecialTokenNames;
import dev.llama3j.tokenizer.Tokenizer;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static dev.llama3j.tokenizer.GroundTruth.JSON;
import static dev.llama3j.tokenizer.GroundTruth.cases;
import static dev.llama3j.tokenizer.GroundTruth.describe;
import static dev.llama3j.tokenizer.GroundTruth.ints;
import static dev.llama3j.tokenizer.GroundTruth.tokenizer;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The tool formats of {@code --tool-format}: their prompts against ../shared/llama3/chat-cases-tools.jsonl (Meta's
 * Hugging Face templates) and against the prompts of llama-models' prompt format docs ({@code
 * llama_models/llama3_1/prompt_format.md}, {@code models/llama3_2/text_prompt_format.md}); their parsers on the
 * model answers those docs show, on answers of the other formats, and on answers cut short.
 */
class ToolFormatTest {
    static JsonNode json(String text) throws Exception {
        return JSON.readTree(text);
    }

    static String rendered(ToolFormat format, JsonNode messages, JsonNode tools, String date) {
        Tokenizer t = tokenizer().withNames(SpecialTokenNames.LLAMA_3_1);
        return t.decode(format.encode(t, messages, tools, date));
    }

    @Test
    void namesRoundTripAndAnUnknownOneIsAOneLineError() {
        assertThat(ToolFormat.NAMES).containsExactly("auto", "llama3.1-json", "llama3.1-builtin", "function-tag",
                "llama3.2-pythonic");
        for (String name : ToolFormat.NAMES) {
            assertThat(ToolFormat.forName(name).cliName()).isEqualTo(name);
        }
        assertThatThrownBy(() -> ToolFormat.forName("json")).isInstanceOf(LlamaException.class)
                .hasMessage("unknown tool format 'json': expected one of auto, llama3.1-json, llama3.1-builtin, "
                        + "function-tag, llama3.2-pythonic");
    }

    /** The template cases without built-in tools, in both JSON formats; 3.2's template differs only in those. */
    @Test
    void jsonFormatsRenderAsMetasTemplate() {
        int checked = 0;
        for (JsonNode c : cases("chat-cases-tools.jsonl")) {
            if (c.has("builtin_tools") || c.has("tools_in_user_message")
                    || !c.path("add_generation_prompt").asBoolean()) {
                continue;
            }
            JsonNode tools = c.hasNonNull("tools") ? c.get("tools") : c.get("custom_tools");
            String date = c.hasNonNull("date_string") ? c.get("date_string").asText() : HfToolTemplate.DEFAULT_DATE;
            for (ToolFormat f : List.of(ToolFormat.AUTO, ToolFormat.LLAMA31_JSON)) {
                assertThat(f.encode(tokenizer(), c.get("messages"), tools, date)).as(describe(c))
                        .containsExactly(ints(c.get("ids")));
            }
            checked++;
        }
        assertThat(checked).isEqualTo(20);
    }

    /** OpenAI functions named as the built-in tools are the template's builtin_tools. */
    @Test
    void builtinFormatRendersToolsOfBuiltinNamesAsTheTemplatesBuiltinTools() {
        int checked = 0;
        for (JsonNode c : cases("chat-cases-tools.jsonl")) {
            if (!c.has("builtin_tools")) {
                continue;
            }
            ArrayNode tools = JSON.createArrayNode();
            c.get("builtin_tools").forEach(n -> tools.addObject().put("type", "function").putObject("function")
                    .put("name", n.asText()));
            assertThat(ToolFormat.LLAMA31_BUILTIN.encode(tokenizer(), c.get("messages"), tools))
                    .as(describe(c)).containsExactly(ints(c.get("ids")));
            checked++;
        }
        assertThat(checked).isEqualTo(3);
    }

    static final String TRENDING_SONGS = """
            [{"type": "function", "function": {"name": "trending_songs",
              "description": "Returns the trending songs on a Music site",
              "parameters": {"type": "object", "properties": {
                "n": {"type": "int", "description": "The number of songs to return"},
                "genre": {"type": "str", "description": "The genre of the songs to return"}},
                "required": ["n"]}}}]""";

    /** llama_models/llama3_1/prompt_format.md, "{@code <function>} based tool calling": the input prompt. */
    @Test
    void functionTagPromptIsTheOneOfLlamaModelsDocs() throws Exception {
        JsonNode messages = json("""
                [{"role": "system", "content": "You are a helpful assistant.\\n"},
                 {"role": "user", "content": "Use tools to get latest trending songs"}]""");
        assertThat(rendered(ToolFormat.FUNCTION_TAG, messages, json(TRENDING_SONGS), "21 September 2024"))
                .isEqualTo("""
                        <|begin_of_text|><|start_header_id|>system<|end_header_id|>

                        Environment: ipython

                        Cutting Knowledge Date: December 2023
                        Today Date: 21 September 2024

                        You are a helpful assistant.
                        <|eot_id|><|start_header_id|>user<|end_header_id|>

                        You have access to the following functions:

                        Use the function 'trending_songs' to 'Returns the trending songs on a Music site':
                        {"name": "trending_songs", "description": "Returns the trending songs on a Music site", \
                        "parameters": {"genre": {"description": "The genre of the songs to return", "param_type": \
                        "str", "required": false}, "n": {"description": "The number of songs to return", \
                        "param_type": "int", "required": true}}}

                        Think very carefully before calling functions.
                        If you choose to call a function ONLY reply in the following format with no prefix or suffix:

                        <function=example_function_name>{"example_name": "example_value"}</function>

                        Reminder:
                        - If looking for real time information use relevant functions before falling back to \
                        brave_search
                        - Function calls MUST follow the specified format, start with <function= and end with \
                        </function>
                        - Required parameters MUST be specified
                        - Only call one function at a time
                        - Put the entire function call reply on one line<|eot_id|><|start_header_id|>user\
                        <|end_header_id|>

                        Use tools to get latest trending songs<|eot_id|><|start_header_id|>assistant\
                        <|end_header_id|>

                        """);
    }

    static final String GET_WEATHER = """
            [{"type": "function", "function": {"name": "get_weather", "description": "Get weather info for places",
              "parameters": {"type": "object", "properties": {
                "city": {"type": "string", "description": "The name of the city to get the weather for"},
                "metric": {"type": "string", "description": "The metric for weather. Options are: celsius, \
            fahrenheit", "default": "celsius"}},
                "required": ["city"]}}}]""";

    static final String PYTHONIC_SYSTEM = """
            <|begin_of_text|><|start_header_id|>system<|end_header_id|>

            You are an expert in composing functions. You are given a question and a set of possible functions.
            Based on the question, you will need to make one or more function/tool calls to achieve the purpose.
            If none of the function can be used, point it out. If the given question lacks the parameters required \
            by the function,
            also point it out. You should only return the function call in tools call sections.

            If you decide to invoke any of the function(s), you MUST put it in the format of [func_name1(params_name1=\
            params_value1, params_name2=params_value2...), func_name2(params)]
            You SHOULD NOT include any other text in the response.

            Here is a list of functions in JSON format that you can invoke.

            [
                {
                    "name": "get_weather",
                    "description": "Get weather info for places",
                    "parameters": {
                        "type": "dict",
                        "required": [
                            "city"
                        ],
                        "properties": {
                            "city": {
                                "type": "string",
                                "description": "The name of the city to get the weather for"
                            },
                            "metric": {
                                "type": "string",
                                "description": "The metric for weather. Options are: celsius, fahrenheit",
                                "default": "celsius"
                            }
                        }
                    }
                }
            ]<|eot_id|>""";

    /** models/llama3_2/text_prompt_format.md, "Zero shot function calling": the input prompt. */
    @Test
    void pythonicPromptIsTheOneOfLlamaModelsDocs() throws Exception {
        JsonNode messages = json("[{\"role\": \"user\", \"content\": \"What is the weather in SF and Seattle?\"}]");
        assertThat(rendered(ToolFormat.LLAMA32_PYTHONIC, messages, json(GET_WEATHER), "unused")).isEqualTo(
                PYTHONIC_SYSTEM + "<|start_header_id|>user<|end_header_id|>\n\nWhat is the weather in SF and Seattle?"
                        + "<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n");
    }

    /**
     * The docs' "Zero shot function calling E2E format": a call and its result. The docs write the call after
     * python_tag, which llama-models (chat-cases-llama-models.jsonl) writes before code_interpreter calls only.
     */
    @Test
    void pythonicCallsAndResultsAreThoseOfTheDocsEndToEndExample() throws Exception {
        JsonNode messages = json("""
                [{"role": "user", "content": "What is the weather in SF?"},
                 {"role": "assistant", "content": "", "tool_calls": [{"id": "1", "type": "function", "function":
                   {"name": "get_weather", "arguments": {"city": "San Francisco", "metric": "celsius"}}}]},
                 {"role": "tool", "tool_call_id": "1", "content": "25 C"}]""");
        assertThat(rendered(ToolFormat.LLAMA32_PYTHONIC, messages, json(GET_WEATHER), "unused")).isEqualTo(
                PYTHONIC_SYSTEM + "<|start_header_id|>user<|end_header_id|>\n\nWhat is the weather in SF?"
                        + "<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n"
                        + "[get_weather(city=\"San Francisco\", metric=\"celsius\")]<|eot_id|>"
                        + "<|start_header_id|>ipython<|end_header_id|>\n\n\"25 C\"<|eot_id|>"
                        + "<|start_header_id|>assistant<|end_header_id|>\n\n");
        // several calls in one message: one list, as the model answers them; the 3.1 template raises on them
        JsonNode two = json("""
                [{"role": "user", "content": "SF and Seattle?"},
                 {"role": "assistant", "content": "", "tool_calls": [
                   {"id": "1", "type": "function", "function": {"name": "get_weather", "arguments": {"city": "SF"}}},
                   {"id": "2", "type": "function", "function": {"name": "get_weather",
                     "arguments": {"city": "Seattle"}}}
                 ]}]""");
        assertThat(rendered(ToolFormat.LLAMA32_PYTHONIC, two, json(GET_WEATHER), "unused"))
                .contains("\n\n[get_weather(city=\"SF\"), get_weather(city=\"Seattle\")]<|eot_id|>");
        assertThatThrownBy(() -> rendered(ToolFormat.LLAMA31_JSON, two, json(GET_WEATHER), "unused"))
                .isInstanceOf(LlamaException.class).hasMessageContaining("single tool-calls");
    }

    /** The docs' model answers, each read by its own format and by auto, and by no other format. */
    @Test
    void eachFormatReadsItsOwnAnswersAndAutoReadsThemAll() {
        String tag = "<function=trending_songs>{\"n\": 10}</function>";
        String json = "<|python_tag|>{\n    \"type\": \"function\",\n    \"name\": \"trending_songs\",\n"
                + "    \"parameters\": {\n        \"n\": \"10\",\n        \"genre\": \"all\"\n    }\n}";
        String pythonic = "[get_weather(city='San Francisco', metric='celsius'), get_weather(city='Seattle', "
                + "metric='celsius')]";
        String builtin = "<|python_tag|>brave_search.call(query=\"latest price of 1oz gold\")";
        Map<String, List<Message.ToolCall>> calls = Map.of(
                tag, List.of(new Message.ToolCall("trending_songs", Map.of("n", 10))),
                json, List.of(new Message.ToolCall("trending_songs", Map.of("n", "10", "genre", "all"))),
                pythonic, List.of(
                        new Message.ToolCall("get_weather", Map.of("city", "San Francisco", "metric", "celsius")),
                        new Message.ToolCall("get_weather", Map.of("city", "Seattle", "metric", "celsius"))),
                builtin, List.of(new Message.ToolCall("brave_search", Map.of("query", "latest price of 1oz gold"))));
        // which formats read each answer (the built-in format reads JSON calls too)
        Map<String, List<ToolFormat>> readers = Map.of(tag, List.of(ToolFormat.FUNCTION_TAG),
                json, List.of(ToolFormat.LLAMA31_JSON, ToolFormat.LLAMA31_BUILTIN),
                pythonic, List.of(ToolFormat.LLAMA32_PYTHONIC), builtin, List.of(ToolFormat.LLAMA31_BUILTIN));
        for (String answer : calls.keySet()) {
            assertThat(ToolFormat.AUTO.parse(answer)).as(answer).isEqualTo(calls.get(answer));
            for (ToolFormat f : List.of(ToolFormat.LLAMA31_JSON, ToolFormat.LLAMA31_BUILTIN, ToolFormat.FUNCTION_TAG,
                    ToolFormat.LLAMA32_PYTHONIC)) {
                assertThat(f.parse(answer)).as(f + " " + answer)
                        .isEqualTo(readers.get(answer).contains(f) ? calls.get(answer) : List.of());
            }
        }
        // code after python_tag is code_interpreter's in the built-in format, plain text in the JSON one
        String code = "def is_prime(n):\n    return n > 1\n\nprint(is_prime(7))";
        assertThat(ToolFormat.LLAMA31_BUILTIN.parse("<|python_tag|>" + code))
                .containsExactly(new Message.ToolCall("code_interpreter", Map.of("code", code)));
        assertThat(ToolFormat.LLAMA31_JSON.parse("<|python_tag|>" + code)).isEmpty();
    }

    /** Answers cut short (max tokens) or malformed are plain text in every format, never an error. */
    @Test
    void partialAndMalformedAnswersArePlainText() {
        List<String> broken = List.of("<function=trending_songs>{\"n\": 1", "<function=f>not json</function>",
                "{\"name\": \"get_weather\", \"parameters\": {\"city\": \"Par", "{\"name\": \"f\", \"parameters\": 3}",
                "{\"parameters\": {}}", "[get_weather(city='San", "[get_weather(city=San)]", "[1, 2]",
                "The weather is fine.", "");
        for (String answer : broken) {
            for (ToolFormat f : ToolFormat.values()) {
                assertThat(f.parse(answer)).as(f + " " + answer).isEmpty();
            }
        }
    }
}
