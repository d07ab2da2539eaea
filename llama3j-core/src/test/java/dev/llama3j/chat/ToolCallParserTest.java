package dev.llama3j.chat;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Tool calls read out of answers. The cases and their expected values are those of llama-models'
 * {@code tests/api/test_tool_utils.py} (TestToolUtils, TestPythonListCheck, TestParsePythonList) and of its
 * {@code decode_assistant_message_from_content} (built-in calls, python_tag code, a custom call in JSON).
 */
class ToolCallParserTest {
    static Message.ToolCall only(String content, boolean pythonTag) {
        ToolCallParser.Parsed p = ToolCallParser.parse(content, pythonTag);
        assertThat(p.toolCalls()).hasSize(1);
        assertThat(p.content()).isEmpty();
        return p.toolCalls().getFirst();
    }

    @Test
    void functionTag() {
        Message.ToolCall c = only("<function=getWeather>{\"location\":\"New York\",\"date\":\"2023-08-05\"}", false);
        assertThat(c.toolName()).isEqualTo("getWeather");
        assertThat(c.arguments()).isEqualTo(Map.of("location", "New York", "date", "2023-08-05"));
        // with the closing tag, nested objects, and single quotes (llama-models retries with them made double)
        Message.ToolCall nested = only("<function=f>{\"a\": {\"b\": [1, 2]}}</function>", false);
        assertThat(nested.arguments()).isEqualTo(Map.of("a", Map.of("b", List.of(1, 2))));
        assertThat(only("<function=g>{'x': 'y'}</function>", false).arguments()).isEqualTo(Map.of("x", "y"));
    }

    @Test
    void jsonCallsOfLlama31() {
        Message.ToolCall typed = only("{\"type\": \"function\", \"name\": \"get_weather\", \"parameters\": "
                + "{\"city\": \"Paris\", \"days\": 3}}", true);
        assertThat(typed.toolName()).isEqualTo("get_weather");
        assertThat(typed.arguments()).containsExactly(Map.entry("city", "Paris"), Map.entry("days", 3));
        Message.ToolCall plain = only("  {\"name\": \"lookup\", \"parameters\": {\"id\": 12345678901}}\n", false);
        assertThat(plain.arguments()).isEqualTo(Map.of("id", 12345678901L));
    }

    @Test
    void builtinCallsAndCode() {
        Message.ToolCall search = only("brave_search.call(query=\"latest news on llamas\")", true);
        assertThat(search.toolName()).isEqualTo("brave_search");
        assertThat(search.arguments()).isEqualTo(Map.of("query", "latest news on llamas"));
        Message.ToolCall code = only("import math\nprint(math.pi)", true);
        assertThat(code.toolName()).isEqualTo("code_interpreter");
        assertThat(code.arguments()).isEqualTo(Map.of("code", "import math\nprint(math.pi)"));
        // a built-in tool called in a custom tool's form takes its first argument as the query
        Message.ToolCall asCustom = only("<function=wolfram_alpha>{\"input\": \"2+2\"}</function>", false);
        assertThat(asCustom.arguments()).isEqualTo(Map.of("query", "2+2"));
    }

    @Test
    void pythonListsAsMetaParsesThem() {
        assertThat(calls("[get_boiling_point(liquid_name=\"water\", celcius=True)]"))
                .containsExactly(new Message.ToolCall("get_boiling_point", Map.of("liquid_name", "water", "celcius", true)));
        assertThat(calls("[get_boiling_point(liquid_name=\"water\", celcius=True), get_melting_point(substance=\"ice\","
                + " kelvin=False)]")).containsExactly(
                new Message.ToolCall("get_boiling_point", Map.of("liquid_name", "water", "celcius", true)),
                new Message.ToolCall("get_melting_point", Map.of("substance", "ice", "kelvin", false)));
        assertThat(calls("[calculate_volume(radius=5.2, height=10)]"))
                .containsExactly(new Message.ToolCall("calculate_volume", Map.of("radius", 5.2, "height", 10)));
        assertThat(calls("[process_data(name=\"sample\", value=42, active=True, ratio=3.14)]")).containsExactly(
                new Message.ToolCall("process_data", Map.of("name", "sample", "value", 42, "active", true, "ratio", 3.14)));
        assertThat(calls("[initialize()]")).containsExactly(new Message.ToolCall("initialize", Map.of()));
        assertThat(calls("[analyze_text(content=\"Hello, world!\", language=\"en\")]")).containsExactly(
                new Message.ToolCall("analyze_text", Map.of("content", "Hello, world!", "language", "en")));
        assertThat(calls("[get_boiling_point(liquid={\"name\":\"water\", \"color\":\"translucent\"}), "
                + "convert_temperature(value=[100, 101], from_unit=\"C\", to_unit=\"F\")]")).containsExactly(
                new Message.ToolCall("get_boiling_point", Map.of("liquid", Map.of("name", "water", "color", "translucent"))),
                new Message.ToolCall("convert_temperature", Map.of("value", List.of(100, 101), "from_unit", "C",
                        "to_unit", "F")));
    }

    /** What llama-models' is_valid_python_list rejects stays text. */
    @ParameterizedTest
    @ValueSource(strings = {"[]", "[get_boiling_point(liquid_name=\"water\"), 42]", "[get_boiling_point(\"water\", True)]",
            "[[get_boiling_point(liquid_name=\"water\")]]", "{\"func\": get_boiling_point(liquid_name=\"water\")}",
            "[get_boiling_point(liquid_name=\"water\", celcius=True", "get_boiling_point(liquid_name=\"water\")",
            "[(get_boiling_point(liquid_name=\"water\"),)]", "The weather in Paris is sunny.",
            "{\"answer\": 42}", "<function=broken>{not json}</function>"})
    void notCallsStayText(String content) {
        ToolCallParser.Parsed p = ToolCallParser.parse(content, false);
        assertThat(p.hasToolCalls()).isFalse();
        assertThat(p.content()).isEqualTo(content);
    }

    static List<Message.ToolCall> calls(String content) {
        ToolCallParser.Parsed p = ToolCallParser.parse(content, false);
        assertThat(p.content()).isEmpty();
        return p.toolCalls();
    }
}
