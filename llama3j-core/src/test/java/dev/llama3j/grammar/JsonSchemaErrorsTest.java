package dev.llama3j.grammar;

import static dev.llama3j.grammar.GrammarAssert.grammar;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

/** Schemas outside the subset are rejected with one line that names the keyword and where it is. */
class JsonSchemaErrorsTest {

    @Test
    void unsupportedKeywordsNameThemselvesAndTheirPointer() {
        assertThatThrownBy(() -> grammar("{\"type\":\"object\",\"properties\":{\"a\":{\"if\":{}}}}"))
                .isInstanceOf(UnsupportedSchemaException.class).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("unsupported JSON Schema keyword \"if\" at /properties/a");
        assertThatThrownBy(() -> grammar("{\"type\":\"object\",\"patternProperties\":{\"^x\":{}}}"))
                .hasMessage("unsupported JSON Schema keyword \"patternProperties\" at /");
        assertThatThrownBy(() -> grammar("{\"anyOf\":[{\"type\":\"string\"},{\"not\":{\"type\":\"null\"}}]}"))
                .hasMessage("unsupported JSON Schema keyword \"not\" at /anyOf/1");
        assertThatThrownBy(() -> grammar("{\"type\":\"array\",\"items\":{\"type\":\"integer\"},\"uniqueItems\":true}"))
                .hasMessage("unsupported JSON Schema keyword \"uniqueItems\" at /");
        assertThatThrownBy(() -> grammar("{\"$defs\":{\"a/b\":{\"minProperties\":1}},\"$ref\":\"#/$defs/a~1b\"}"))
                .hasMessage("unsupported JSON Schema keyword \"minProperties\" at /$defs/a~1b");
        assertThatThrownBy(() -> grammar("{\"type\":\"number\",\"multipleOf\":2}"))
                .hasMessage("unsupported JSON Schema keyword \"multipleOf\" at /");
    }

    @Test
    void unsupportedRegularExpressionsAreNamed() {
        assertThatThrownBy(() -> grammar("{\"properties\":{\"p\":{\"type\":\"string\",\"pattern\":\"(a)\\\\1\"}}}"))
                .isInstanceOf(UnsupportedSchemaException.class)
                .hasMessage("unsupported pattern \"(a)\\1\" (backreference \\1) at /properties/p/pattern");
        assertThatThrownBy(() -> grammar("{\"type\":\"string\",\"pattern\":\"a(?=b)\"}"))
                .hasMessageContaining("lookaround");
        assertThatThrownBy(() -> grammar("{\"type\":\"string\",\"pattern\":\"\\\\bword\"}"))
                .hasMessageContaining("escape \\b");
        assertThatThrownBy(() -> grammar("{\"type\":\"string\",\"pattern\":\"a+?\"}"))
                .hasMessageContaining("lazy");
    }

    @Test
    void otherUnsupportedOrUnsatisfiableSchemas() {
        assertThatThrownBy(() -> grammar("{\"type\":\"string\",\"format\":\"email\"}"))
                .hasMessage("unsupported format \"email\" (supported: date, date-time, time, uuid) at /format");
        assertThatThrownBy(() -> grammar("{\"type\":\"number\",\"minimum\":0}"))
                .hasMessageContaining("\"minimum\" for type number");
        assertThatThrownBy(() -> grammar("{\"allOf\":[{\"type\":\"string\"},{\"maxLength\":2}]}"))
                .hasMessageContaining("allOf with other than one schema");
        assertThatThrownBy(() -> grammar("{\"type\":\"string\",\"anyOf\":[{\"maxLength\":2}]}"))
                .hasMessage("unsupported JSON Schema keyword \"type\" beside \"anyOf\" at /");
        assertThatThrownBy(() -> grammar("{\"$ref\":\"other.json#/x\"}")).hasMessageContaining("only local");
        assertThatThrownBy(() -> grammar("{\"$ref\":\"#/$defs/missing\"}")).hasMessageContaining("points at nothing");
        assertThatThrownBy(() -> grammar("{\"$defs\":{\"a\":{\"$ref\":\"#/$defs/a\"}},\"$ref\":\"#/$defs/a\"}"))
                .hasMessageContaining("cycle");
        assertThatThrownBy(() -> grammar("{\"type\":\"integer\",\"minimum\":5,\"maximum\":4}"))
                .hasMessageContaining("no integer");
        assertThatThrownBy(() -> grammar("{\"type\":\"string\",\"pattern\":\"^a$\",\"minLength\":2}"))
                .hasMessageContaining("no string");
        assertThatThrownBy(() -> grammar("{\"type\":\"array\",\"items\":false,\"minItems\":1}"))
                .hasMessageContaining("minItems");
        assertThatThrownBy(() -> grammar("false")).hasMessageContaining("schema false");
        assertThatThrownBy(() -> grammar("{\"type\":\"object\",\"required\":[\"a\"],\"additionalProperties\":false}"))
                .hasMessageContaining("\"a\" is not allowed");
    }
}
