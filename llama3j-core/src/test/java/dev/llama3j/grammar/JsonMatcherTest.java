package dev.llama3j.grammar;

import static dev.llama3j.grammar.GrammarAssert.accepts;
import static dev.llama3j.grammar.GrammarAssert.firstRejected;
import static dev.llama3j.grammar.GrammarAssert.grammar;
import static dev.llama3j.grammar.GrammarAssert.rejectsAt;
import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/**
 * The byte matcher on hand-written outputs, keyword by keyword: every valid output is accepted whole, and each
 * invalid one is rejected at the byte marked {@code |} (marked at the end: all accepted but it cannot end there).
 */
class JsonMatcherTest {

    @Test
    void propertiesComeInOrderOnceWithRequiredOnesPresent() {
        JsonGrammar g = grammar("""
                {"type":"object","properties":{"a":{"type":"integer"},"b":{"type":"string"},"c":{"type":"boolean"}},
                 "required":["a","c"]}""");
        accepts(g, "{\"a\":1,\"c\":true}", "{\"a\":1,\"b\":\"x\",\"c\":false}",
                "{ \"a\" : -12 ,\n  \"b\" : \"é\",\"c\":true }");
        rejectsAt(g, "{\"|b\":\"x\"}");
        rejectsAt(g, "{\"a\":1,\"|a\":2}");
        rejectsAt(g, "{\"a\":1,\"|d\":1}");
        rejectsAt(g, "{\"a\":1|}");
        rejectsAt(g, "{|}");
        rejectsAt(g, "{\"a\":|\"1\"}");
        rejectsAt(g, "{\"a\":1,\"c\":true|,\"b\":\"x\"}");
    }

    @Test
    void additionalPropertiesFollowTheDeclaredOnesWithOtherNames() {
        JsonGrammar g = grammar("""
                {"type":"object","properties":{"a":{"type":"integer"}},"additionalProperties":{"type":"boolean"}}""");
        accepts(g, "{}", "{\"a\":1,\"zz\":true}", "{\"zz\":false,\"ab\":true}", "{\"é\":true}");
        rejectsAt(g, "{\"zz\":true,\"a|\":1}");
        rejectsAt(g, "{\"zz\":|1}");
        rejectsAt(g, "{\"z|\\n\":true}");
        JsonGrammar declaredOnly = grammar("{\"properties\":{\"a\":{\"type\":\"integer\"}}}");
        accepts(declaredOnly, "{}", "{\"a\":0}");
        rejectsAt(declaredOnly, "{\"|b\":0}");
        JsonGrammar closed = grammar("{\"type\":\"object\",\"additionalProperties\":false}");
        accepts(closed, "{}", "{ }");
        rejectsAt(closed, "{|\"a\":1}");
    }

    @Test
    void anyObjectAndAnyValue() {
        JsonGrammar object = JsonSchema.jsonObject();
        accepts(object, "{\"x\":[1,2.5,{\"y\":null}],\"s\":\"\\u00e9\\n\",\"t\":true,\"e\":-1e+10}", "{}");
        rejectsAt(object, "|[1]");
        rejectsAt(object, "| {}");
        rejectsAt(object, "{}| ");
        rejectsAt(object, "{\"a\":1|");
        rejectsAt(object, "{\"a\":1,|}");
        rejectsAt(object, "{\"a\":[1,|]}");
        rejectsAt(object, "{\"a\":tru|x}");
        accepts(JsonSchema.anyValue(), "[]", "\"s\"", "0", "null", "[[[]]]");
        accepts(grammar("{}"), "{\"a\":[false]}");
        accepts(grammar("true"), "1.5");
    }

    @Test
    void arraysBoundsAndPrefixItems() {
        JsonGrammar g = grammar("{\"type\":\"array\",\"items\":{\"type\":\"integer\"},\"minItems\":1,\"maxItems\":3}");
        accepts(g, "[1]", "[1,2,3]", "[ 1 , 2 ]");
        rejectsAt(g, "[|]");
        rejectsAt(g, "[1,2,3|,");
        rejectsAt(g, "[|\"a\"]");
        JsonGrammar tuple = grammar("""
                {"type":"array","prefixItems":[{"type":"string"},{"type":"boolean"}],"items":false}""");
        accepts(tuple, "[]", "[\"a\"]", "[\"a\",true]");
        rejectsAt(tuple, "[\"a\",true|,");
        rejectsAt(tuple, "[|1]");
    }

    @Test
    void stringLengthsCountCodePoints() {
        JsonGrammar g = grammar("{\"type\":\"string\",\"minLength\":2,\"maxLength\":3}");
        accepts(g, "\"ab\"", "\"é€😀\"", "\"\\n\\u0041b\"");
        rejectsAt(g, "\"a|\"");
        rejectsAt(g, "\"abc|d\"");
        rejectsAt(g, "\"é€😀|é\"");
    }

    @Test
    void patternsWithSearchSemanticsAndAnchors() {
        JsonGrammar anchored = grammar("{\"type\":\"string\",\"pattern\":\"^[a-z]+\\\\d{2}$\"}");
        accepts(anchored, "\"ab12\"", "\"z00\"", "\"\\u0061\\u0030\\u0031\"");
        rejectsAt(anchored, "\"|1\"");
        rejectsAt(anchored, "\"ab1|\"");
        rejectsAt(anchored, "\"ab12|3\"");
        JsonGrammar search = grammar("{\"type\":\"string\",\"pattern\":\"(cat|dog)s?\"}");
        accepts(search, "\"a cat\"", "\"dogs!\"", "\"hotdog\"");
        rejectsAt(search, "\"a ca|\"");
        JsonGrammar classes = grammar("{\"type\":\"string\",\"pattern\":\"^[^\\\"]{1,2}\\\\w*\\\\s?.$\"}");
        accepts(classes, "\"ab \\u00e9\"", "\"x_y\"");
        rejectsAt(classes, "\"\\|\"\"");
    }

    @Test
    void formats() {
        accepts(grammar("{\"type\":\"string\",\"format\":\"date\"}"), "\"2024-02-28\"", "\"1999-12-31\"");
        rejectsAt(grammar("{\"type\":\"string\",\"format\":\"date\"}"), "\"2024-02-|30\"");
        accepts(grammar("{\"type\":\"string\",\"format\":\"date-time\"}"), "\"2024-05-01T13:45:00Z\"",
                "\"2024-05-01T13:45:00.123+02:00\"");
        accepts(grammar("{\"type\":\"string\",\"format\":\"time\"}"), "\"23:59:59Z\"");
        rejectsAt(grammar("{\"type\":\"string\",\"format\":\"time\"}"), "\"2|4:00:00Z\"");
        accepts(grammar("{\"type\":\"string\",\"format\":\"uuid\"}"), "\"123e4567-e89b-12d3-a456-426614174000\"");
        rejectsAt(grammar("{\"type\":\"string\",\"format\":\"uuid\"}"), "\"123e456|-\"");
    }

    @Test
    void utf8IsValidatedByteByByte() {
        JsonGrammar g = grammar("{\"type\":\"string\"}");
        assertThat(firstRejected(g, new byte[] {'"', (byte) 0xC0, (byte) 0x80, '"'})).isEqualTo(1);
        assertThat(firstRejected(g, new byte[] {'"', (byte) 0xE0, (byte) 0x80})).isEqualTo(2);
        assertThat(firstRejected(g, new byte[] {'"', (byte) 0xED, (byte) 0xA0, (byte) 0x80})).isEqualTo(2);
        assertThat(firstRejected(g, new byte[] {'"', (byte) 0xF4, (byte) 0x90})).isEqualTo(2);
        assertThat(firstRejected(g, new byte[] {'"', (byte) 0xE2, (byte) 0x82, '"'})).isEqualTo(3);
        assertThat(firstRejected(g, new byte[] {'"', (byte) 0xE2, (byte) 0x82})).isEqualTo(3);
        assertThat(firstRejected(g, new byte[] {'"', (byte) 0xF8})).isEqualTo(1);
        assertThat(firstRejected(g, new byte[] {'"', 0x01, '"'})).isEqualTo(1);
        assertThat(firstRejected(g, new byte[] {'"', (byte) 0xF0, (byte) 0x9F, (byte) 0x98, (byte) 0x80, '"'}))
                .isEqualTo(-1);
        rejectsAt(g, "\"\\|x\"");
        rejectsAt(g, "\"\\u12|\"\"");
        rejectsAt(g, "\"\\uD|800\"");
        accepts(g, "\"\\\" \\\\ \\/ \\b \\f \\n \\r \\t \\uFFFF \\u00E9\"");
        // a character that the pattern cannot take is refused at its first byte
        JsonGrammar ascii = grammar("{\"type\":\"string\",\"pattern\":\"^[a-z]*$\"}");
        assertThat(firstRejected(ascii, new byte[] {'"', (byte) 0xC3, (byte) 0xA9, '"'})).isEqualTo(1);
        rejectsAt(ascii, "\"\\u00|e9\"");
    }

    @Test
    void numbersFollowJsonWithBoundedDigits() {
        JsonGrammar g = grammar("{\"type\":\"number\"}");
        accepts(g, "0", "-0", "1.5e+10", "0.25", "-3E-2", "123456789012345", "1.123456789012345", "1e99", "-1.5E-99");
        rejectsAt(g, "0|1");
        rejectsAt(g, "1.|");
        rejectsAt(g, "-|a");
        rejectsAt(g, "123456789012345|67");
        rejectsAt(g, "1e12|3");
        rejectsAt(g, "1|x");
        rejectsAt(g, "|.5");
        assertThat(g.start().accept("12").canEnd()).isTrue();
        assertThat(g.start().accept("12").isComplete()).isFalse();
    }

    @Test
    void integerBoundsAllowOnlyDigitsThatCanStillLandInRange() {
        JsonGrammar g = grammar("{\"type\":\"integer\",\"minimum\":10,\"exclusiveMaximum\":21}");
        accepts(g, "10", "15", "20");
        rejectsAt(g, "|3");
        rejectsAt(g, "2|1");
        rejectsAt(g, "|-1");
        rejectsAt(g, "1|");
        rejectsAt(g, "15|.0");
        JsonGrammar negative = grammar("{\"type\":\"integer\",\"minimum\":-5,\"maximum\":-2}");
        accepts(negative, "-5", "-2");
        rejectsAt(negative, "|1");
        rejectsAt(negative, "-|6");
        rejectsAt(negative, "-|1");
        accepts(grammar("{\"type\":\"integer\"}"), "-0", "999999999999999");
    }

    @Test
    void enumAndConstOfAnyValues() {
        JsonGrammar g = grammar("{\"enum\":[\"a\",1,12,{\"k\":[true]},null,\"é\\n\"]}");
        accepts(g, "\"a\"", "1", "12", "{\"k\":[true]}", "null", "\"é\\n\"");
        rejectsAt(g, "1|3");
        rejectsAt(g, "{\"k\":| [true]}");
        rejectsAt(g, "\"|b\"");
        JsonGrammar typed = grammar("{\"type\":\"string\",\"enum\":[\"x\",2]}");
        accepts(typed, "\"x\"");
        rejectsAt(typed, "|2");
        accepts(grammar("{\"const\":\"fixed\"}"), "\"fixed\"");
        assertThat(grammar("{\"const\":true}").start().accept("true").isComplete()).isTrue();
    }

    @Test
    void booleanNullAndTypeLists() {
        JsonGrammar g = grammar("{\"type\":[\"boolean\",\"null\",\"string\"]}");
        accepts(g, "true", "false", "null", "\"s\"");
        rejectsAt(g, "|1");
        rejectsAt(g, "nul|e");
    }

    @Test
    void anyOfKeepsEveryAlternativeUntilTheBytesDecide() {
        JsonGrammar g = grammar("""
                {"anyOf":[{"type":"object","properties":{"a":{"type":"integer"}},"required":["a"]},
                          {"type":"object","properties":{"b":{"type":"string"}},"required":["b"]},
                          {"type":"string","maxLength":1}]}""");
        accepts(g, "{\"a\":1}", "{\"b\":\"x\"}", "\"z\"");
        rejectsAt(g, "{\"a\":|\"x\"}");
        rejectsAt(g, "{\"|c\":1}");
        rejectsAt(g, "\"z|z\"");
        accepts(grammar("{\"oneOf\":[{\"type\":\"integer\"},{\"type\":\"number\"}]}"), "1", "1.5");
        accepts(grammar("{\"allOf\":[{\"type\":\"integer\"}],\"description\":\"d\"}"), "7");
    }

    @Test
    void refsResolveAndMayRecurse() {
        JsonGrammar g = grammar("""
                {"$defs":{"node":{"type":"object","properties":{"v":{"type":"integer"},
                  "kids":{"type":"array","items":{"$ref":"#/$defs/node"}}},"required":["v"]}},
                 "$ref":"#/$defs/node"}""");
        accepts(g, "{\"v\":1}", "{\"v\":1,\"kids\":[{\"v\":2,\"kids\":[{\"v\":3}]}]}");
        rejectsAt(g, "{\"v\":1,\"kids\":[{|}]}");
        JsonGrammar root = grammar("""
                {"type":"object","properties":{"next":{"$ref":"#"}},"definitions":{"x":{"type":"null"}}}""");
        accepts(root, "{\"next\":{\"next\":{}}}");
        accepts(grammar("{\"properties\":{\"x\":{\"$ref\":\"#/definitions/x\"}},\"definitions\":{\"x\":"
                + "{\"type\":\"null\"}}}"), "{\"x\":null}");
    }

    @Test
    void whitespaceIsBoundedPerGapAndAbsentAroundTheTopLevelValue() {
        JsonGrammar g = JsonSchema.jsonObject();
        String gap = " ".repeat(JsonLimits.MAX_WHITESPACE);
        accepts(g, "{" + gap + "\"a\"" + gap + ":" + gap + "1" + gap + "}", "{\n\t\"a\": [\n  1\n]\n}");
        rejectsAt(g, "{" + gap + "| }");
        rejectsAt(g, "{\"a\":[1" + gap + "| ]}");
        rejectsAt(g, "{}|\n");
        assertThat(g.start().accept("{}").isComplete()).isTrue();
        assertThat(g.start().accept("{").canEnd()).isFalse();
    }

    @Test
    void statesArePersistentAndCompareByValue() {
        JsonGrammar g = grammar("{\"type\":\"object\",\"properties\":{\"s\":{\"type\":\"string\"}}}");
        JsonState open = g.start().accept("{\"s\":\"");
        JsonState a = open.accept("abc");
        JsonState b = open.accept("xyz");
        assertThat(a).isEqualTo(b).hasSameHashCodeAs(b);
        assertThat(open.accept((int) '"')).isNotNull();
        assertThat(open.accept("\"}").isComplete()).isTrue();
        assertThat(open.accept('x')).isSameAs(open);
        assertThat(g.start()).isEqualTo(g.start());
    }
}
