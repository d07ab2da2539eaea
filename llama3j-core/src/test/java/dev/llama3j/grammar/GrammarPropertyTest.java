package dev.llama3j.grammar;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.io.JsonEOFException;
import com.fasterxml.jackson.core.async.ByteArrayFeeder;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.networknt.schema.Error;
import com.networknt.schema.InputFormat;
import com.networknt.schema.Schema;
import com.networknt.schema.SchemaRegistry;
import com.networknt.schema.SchemaRegistryConfig;
import com.networknt.schema.SpecificationVersion;
import dev.llama3j.tokenizer.GroundTruth;
import dev.llama3j.tokenizer.Tokenizer;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;

/**
 * Random schemas of the supported subset, random walks over a vocabulary's masks: every output that ends is
 * valid JSON that an independent validator (networknt, formats asserted) accepts, no walk meets a dead end, masks
 * equal a token-by-token check, and every byte the matcher rejects is invalid JSON or one of the documented bounds.
 */
class GrammarPropertyTest {
    private static final SchemaRegistry VALIDATORS = SchemaRegistry.withDefaultDialect(
            SpecificationVersion.DRAFT_2020_12,
            b -> b.schemaRegistryConfig(SchemaRegistryConfig.builder().formatAssertionsEnabled(true).build()));

    /** All 256 single bytes and a few multi-byte tokens of the kinds real vocabularies have. */
    static byte[][] syntheticVocabulary() {
        Set<String> texts = new LinkedHashSet<>(List.of("{\"", "\":", "\",", "\"}", "\"]", "true", "false", "null",
                " \"", "\n  ", "é", "€", "😀", "abc", "123", "-1.5e", "\\u00", "}]", "}}", ",\"", "[{\"", "\\n",
                "a\"", "name", "\":\"", "2024-", "T12:", "yes", "0", ".5"));
        List<byte[]> tokens = new ArrayList<>();
        tokens.add(null);
        for (int b = 0; b < 256; b++) tokens.add(new byte[] {(byte) b});
        for (String t : texts) tokens.add(t.getBytes(StandardCharsets.UTF_8));
        byte[] euro = "€".getBytes(StandardCharsets.UTF_8);
        byte[] smile = "😀".getBytes(StandardCharsets.UTF_8);
        tokens.add(Arrays.copyOf(euro, 2));
        tokens.add(Arrays.copyOfRange(smile, 1, 4));
        tokens.add(Arrays.copyOfRange(smile, 2, 4));
        tokens.add(new byte[] {'"', (byte) 0xC3});
        tokens.add(new byte[0]);
        return tokens.toArray(new byte[0][]);
    }

    /** The Llama 3 vocabulary (special tokens without bytes), or the test skips. */
    static byte[][] llamaVocabulary() {
        Tokenizer t = GroundTruth.tokenizer();
        byte[][] out = new byte[t.vocabSize()][];
        for (int id = 0; id < t.baseVocabSize(); id++) out[id] = t.tokenBytes(id);
        return out;
    }

    @Test
    void randomWalksOverASyntheticVocabularyValidate() {
        byte[][] vocabulary = syntheticVocabulary();
        checkRandomSchemas(vocabulary, new TokenMasks(vocabulary), 200, 3, 1);
    }

    @Test
    void randomWalksOverTheLlama3VocabularyValidate() {
        byte[][] vocabulary = llamaVocabulary();
        checkRandomSchemas(vocabulary, new TokenMasks(vocabulary), 30, 1, 100);
    }

    @Test
    @Tag("slow")
    void manyRandomWalksOverTheLlama3VocabularyValidate() {
        byte[][] vocabulary = llamaVocabulary();
        checkRandomSchemas(vocabulary, new TokenMasks(vocabulary), 200, 2, 50);
    }

    @Test
    void masksEqualATokenByTokenCheckInTypicalStates() {
        byte[][] synthetic = syntheticVocabulary();
        checkTypicalStates(synthetic, new TokenMasks(synthetic));
        byte[][] llama = llamaVocabulary();
        checkTypicalStates(llama, new TokenMasks(llama));
    }

    private static void checkTypicalStates(byte[][] vocabulary, TokenMasks masks) {
        JsonGrammar g = GrammarAssert.grammar("""
                {"type":"object","properties":{"name":{"type":"string"},"n":{"type":"number"},
                 "code":{"type":"string","pattern":"^[A-Z]{2}\\\\d+$"},"d":{"type":"string","format":"date"}}}""");
        for (String prefix : List.of("", "{", "{\"", "{\"name\": \"Ada ", "{\"name\":\"x\\", "{\"name\":\"\\u00",
                "{\"name\":\"é", "{\"n\":-1", "{\"n\":2.5e", "{\"code\":\"AB1", "{\"d\":\"2024-0", "{\"n\":1 ,")) {
            JsonState state = g.start().accept(prefix);
            assertThat(state).as(prefix).isNotNull();
            assertMaskIsBruteForce(masks, vocabulary, state);
        }
        JsonState partial = g.start().accept("{\"name\":\"").accept(new byte[] {(byte) 0xE2, (byte) 0x82});
        assertMaskIsBruteForce(masks, vocabulary, partial);
        assertMaskIsBruteForce(masks, vocabulary, JsonSchema.anyValue().start());
    }

    private static void checkRandomSchemas(byte[][] vocabulary, TokenMasks masks, int cases, int walks,
                                           int bruteForceEvery) {
        Random r = new Random(20240611);
        int ended = 0;
        int total = 0;
        int[] visits = {0};
        for (int c = 0; c < cases; c++) {
            JsonNode schemaNode = c % 10 == 9 ? RandomSchemas.recursive(r) : RandomSchemas.schema(r, 3);
            JsonGrammar grammar = JsonSchema.compile(schemaNode);
            Schema validator = VALIDATORS.getSchema(schemaNode.toString(), InputFormat.JSON);
            for (int w = 0; w < walks; w++) {
                total++;
                byte[] out = RandomWalk.walk(grammar, masks, vocabulary, r, (state, bytes) -> {
                    if (visits[0]++ % bruteForceEvery == 0) assertMaskIsBruteForce(masks, vocabulary, state);
                });
                if (out == null) continue;
                ended++;
                String text = strictUtf8(out);
                assertValid(schemaNode, validator, text);
                assertThat(grammar.matches(text)).isTrue();
            }
        }
        assertThat(ended).as("walks that ended").isGreaterThanOrEqualTo(total * 95 / 100);
    }

    private static void assertValid(JsonNode schema, Schema validator, String text) {
        try {
            GrammarAssert.JSON.reader().with(DeserializationFeature.FAIL_ON_TRAILING_TOKENS).readTree(text);
        } catch (JsonProcessingException e) {
            throw new AssertionError("not JSON: " + text + " (schema " + schema + "): " + e.getOriginalMessage());
        }
        List<Error> errors = validator.validate(text, InputFormat.JSON);
        assertThat(errors).as("errors of %s against %s", text, schema).isEmpty();
    }

    private static String strictUtf8(byte[] bytes) {
        try {
            return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(bytes)).toString();
        } catch (CharacterCodingException e) {
            throw new AssertionError("invalid UTF-8: " + Arrays.toString(bytes));
        }
    }

    static void assertMaskIsBruteForce(TokenMasks masks, byte[][] vocabulary, GrammarState<?> state) {
        long[] words = masks.allowed(state);
        for (int id = 0; id < vocabulary.length; id++) {
            boolean expected = vocabulary[id] != null && vocabulary[id].length > 0
                    && state.accept(vocabulary[id]) != null;
            boolean actual = (words[id >>> 6] >>> id & 1) != 0;
            if (expected != actual) {
                throw new AssertionError("token " + id + " " + Arrays.toString(vocabulary[id]) + " mask " + actual
                        + ", bytes " + expected + " at " + state);
            }
        }
    }

    @Test
    void everyRejectedByteIsInvalidJsonOrADocumentedBound() throws IOException {
        byte[][] vocabulary = syntheticVocabulary();
        TokenMasks masks = new TokenMasks(vocabulary);
        Random r = new Random(7);
        JsonFactory factory = new JsonFactory();
        for (int w = 0; w < 60; w++) {
            JsonGrammar grammar = w % 2 == 0 ? JsonSchema.anyValue() : JsonSchema.jsonObject();
            List<byte[]> prefixes = new ArrayList<>();
            List<GrammarState<?>> states = new ArrayList<>();
            RandomWalk.walk(grammar, masks, vocabulary, r, (state, bytes) -> {
                states.add(state);
                prefixes.add(bytes);
            });
            for (int i = 0; i < states.size(); i++) {
                GrammarState<?> state = states.get(i);
                byte[] prefix = prefixes.get(i);
                if (state.canEnd() || prefix.length == 0 && grammar == JsonSchema.jsonObject()) continue;
                for (int b = 0; b < 256; b++) {
                    if (state.accept(b) != null) continue;
                    byte[] bytes = Arrays.copyOf(prefix, prefix.length + 1);
                    bytes[prefix.length] = (byte) b;
                    assertThat(isInvalidJsonPrefix(factory, bytes) || isDocumentedBound(prefix, b))
                            .as("byte %s rejected after %s", b, Arrays.toString(prefix)).isTrue();
                }
            }
        }
    }

    /** Whether no JSON text begins with {@code bytes}: malformed UTF-8, or Jackson fails before the input ends. */
    private static boolean isInvalidJsonPrefix(JsonFactory factory, byte[] bytes) throws IOException {
        CharsetDecoder decoder = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT);
        CoderResult utf8 = decoder.decode(ByteBuffer.wrap(bytes), CharBuffer.allocate(bytes.length), false);
        if (utf8.isMalformed()) return true;
        // Jackson's non-blocking parser reports a stray +, non-ASCII byte or escape only as an early end of input
        int b = bytes[bytes.length - 1] & 0xFF;
        int last = bytes.length > 1 ? bytes[bytes.length - 2] : 0;
        int where = stringPosition(Arrays.copyOf(bytes, bytes.length - 1));
        if ((b == '+' && last != 'e' && last != 'E' || b >= 0x80) && where == 0) return true;
        if (where == 2 && "\"\\/bfnrtu".indexOf(b) < 0) return true;
        // nor does Java's decoder flag a surrogate, overlong or too large second byte before the third
        int lead = last & 0xFF;
        if (lead == 0xE0 && b < 0xA0 || lead == 0xED && b >= 0xA0 || lead == 0xF0 && b < 0x90
                || lead == 0xF4 && b >= 0x90) {
            return true;
        }
        try (JsonParser p = factory.createNonBlockingByteArrayParser()) {
            ByteArrayFeeder feeder = (ByteArrayFeeder) p.getNonBlockingInputFeeder();
            feeder.feedInput(bytes, 0, bytes.length);
            feeder.endOfInput();
            while (p.nextToken() != null) {
                if (p.getParsingContext().inRoot()) return true;
            }
            return false;
        } catch (JsonEOFException e) {
            return false;
        } catch (JsonProcessingException e) {
            return true;
        }
    }

    /** Where the end of {@code bytes} is: 0 outside strings, 1 inside one, 2 inside one just after a backslash. */
    private static int stringPosition(byte[] bytes) {
        int at = 0;
        for (byte b : bytes) {
            if (at == 2) {
                at = 1;
            } else if (b == '"') {
                at = 1 - at;
            } else if (b == '\\' && at == 1) {
                at = 2;
            }
        }
        return at;
    }

    /**
     * Bytes JSON allows but the grammar bounds: whitespace (carriage returns never), digits past the limits,
     * escapes of surrogates or in names of free properties, a byte order mark.
     */
    private static boolean isDocumentedBound(byte[] prefix, int b) {
        if (JsonLimits.isWhitespace(b) || b == '\r' || b == '\\') return true;
        if (prefix.length == 0 && b == 0xEF) return true;
        int digits = 0;
        while (digits < prefix.length && Character.isDigit(prefix[prefix.length - 1 - digits])) digits++;
        if (b >= '0' && b <= '9' && digits >= JsonLimits.MAX_EXPONENT_DIGITS) return true;
        String tail = new String(prefix, Math.max(0, prefix.length - 5), Math.min(5, prefix.length),
                StandardCharsets.ISO_8859_1);
        return tail.contains("\\u") && Character.digit(b, 16) >= 0;
    }
}
