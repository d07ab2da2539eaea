package dev.llama3j.chat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.networknt.schema.InputFormat;
import com.networknt.schema.Schema;
import com.networknt.schema.SchemaRegistry;
import com.networknt.schema.SpecificationVersion;
import dev.llama3j.LlamaException;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The forced call's schema, checked with an independent validator (networknt): it takes a call of one of the tools
 * with valid parameters (their own {@code $ref}s kept), and nothing else.
 */
class ForcedToolCallTest {
    static final ObjectMapper JSON = new ObjectMapper();
    static final SchemaRegistry VALIDATORS = SchemaRegistry.withDefaultDialect(SpecificationVersion.DRAFT_2020_12);

    static final String TOOLS = """
            [{"type": "function", "function": {"name": "get_time", "parameters": {"type": "object",
              "properties": {"zone": {"$ref": "#/$defs/zone"}}, "required": ["zone"],
              "$defs": {"zone": {"enum": ["CET", "UTC"]}}}}},
             {"type": "function", "function": {"name": "ping"}}]""";

    static boolean valid(Schema schema, String call) {
        return schema.validate(call, InputFormat.JSON).isEmpty();
    }

    @Test
    void takesCallsOfTheToolsOnly() throws Exception {
        JsonNode tools = JSON.readTree(TOOLS);
        Schema any = VALIDATORS.getSchema(ForcedToolCall.schema(tools, null).toString(), InputFormat.JSON);
        assertThat(valid(any, "{\"name\": \"get_time\", \"parameters\": {\"zone\": \"CET\"}}")).isTrue();
        assertThat(valid(any, "{\"name\": \"ping\", \"parameters\": {}}")).isTrue();
        assertThat(valid(any, "{\"name\": \"get_time\", \"parameters\": {\"zone\": \"PST\"}}")).isFalse();
        assertThat(valid(any, "{\"name\": \"other\", \"parameters\": {}}")).isFalse();
        assertThat(valid(any, "{\"name\": \"ping\"}")).isFalse();

        Schema named = VALIDATORS.getSchema(ForcedToolCall.schema(tools, "ping").toString(), InputFormat.JSON);
        assertThat(valid(named, "{\"name\": \"ping\", \"parameters\": {}}")).isTrue();
        assertThat(valid(named, "{\"name\": \"get_time\", \"parameters\": {\"zone\": \"CET\"}}")).isFalse();
        assertThat(tools).isEqualTo(JSON.readTree(TOOLS));   // the tools' own schemas are left as they were
    }

    @Test
    void aChoiceOutsideTheToolsIsRefused() throws Exception {
        assertThatThrownBy(() -> ForcedToolCall.schema(JSON.readTree(TOOLS), "g")).isInstanceOf(LlamaException.class)
                .hasMessage("the tool choice names \"g\", which is not one of the tools");
        assertThatThrownBy(() -> ForcedToolCall.schema(JSON.readTree("[]"), null)).isInstanceOf(LlamaException.class)
                .hasMessage("no tool is a function with a name");
    }
}
