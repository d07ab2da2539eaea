package dev.llama3j.grammar;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.DeserializationFeature;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Random;

/**
 * A context-free grammar against an independent matcher of the same language: JSON written in GBNF
 * ({@code json.gbnf}, bounded as {@link JsonLimits} bounds JSON) and {@link JsonSchema#anyValue()}. On random JSON
 * texts and near misses both reject at the same byte (or accept, or wait for more, alike), and in the states along
 * the way they allow the same tokens of the Llama 3 vocabulary.
 */
class GbnfJsonTest {
    static final String JSON_GBNF = resource("json.gbnf");
    private static final byte[] MUTATIONS = {'"', '\\', ',', ':', '{', '}', '[', ']', ' ', '\n', '\r', '\t', '0', '9',
            'a', 'e', 'E', '-', '+', '.', 'u', 'D', 0x7F, 0x01, (byte) 0xC3, (byte) 0xA9, (byte) 0x80, (byte) 0xED};

    static String resource(String name) {
        try (InputStream in = GbnfJsonTest.class.getResourceAsStream(name)) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Test
    void randomJsonAndNearMissesAreRejectedAtTheSameByte() {
        Grammar gbnf = GbnfGrammar.compile(JSON_GBNF);
        Grammar json = JsonSchema.anyValue();
        Random r = new Random(22);
        int whole = 0;
        int texts = 3000;
        for (int t = 0; t < texts; t++) {
            byte[] text = RandomJson.text(r).getBytes(StandardCharsets.UTF_8);
            int expected = GrammarAssert.firstRejected(json, text);
            assertThat(GrammarAssert.firstRejected(gbnf, text)).as(new String(text, StandardCharsets.UTF_8))
                    .isEqualTo(expected);
            if (expected < 0) whole++;
            for (int m = 0; m < 4; m++) {
                byte[] near = mutate(text, r);
                assertThat(GrammarAssert.firstRejected(gbnf, near)).as(Arrays.toString(near))
                        .isEqualTo(GrammarAssert.firstRejected(json, near));
            }
        }
        assertThat(whole).as("texts both accept whole").isGreaterThan(texts / 3);
    }

    @Test
    void bothAllowTheSameTokensAlongRandomJson() {
        byte[][] vocabulary = GrammarPropertyTest.llamaVocabulary();
        TokenMasks masks = new TokenMasks(vocabulary);
        Grammar gbnf = GbnfGrammar.compile(JSON_GBNF);
        Random r = new Random(5);
        int compared = 0;
        while (compared < 60) {
            byte[] text = RandomJson.text(r).getBytes(StandardCharsets.UTF_8);
            int cut = r.nextInt(text.length + 1);
            GrammarState<?> a = JsonSchema.anyValue().start().accept(Arrays.copyOf(text, cut));
            GrammarState<?> b = gbnf.start().accept(Arrays.copyOf(text, cut));
            assertThat(a == null).isEqualTo(b == null);
            if (a == null) continue;
            assertThat(b.canEnd()).isEqualTo(a.canEnd());
            assertThat(masks.allowed(b)).as("mask after %s", new String(text, 0, cut, StandardCharsets.UTF_8))
                    .isEqualTo(masks.allowed(a));
            compared++;
        }
    }

    @Test
    void randomWalksOfTheGbnfGrammarAreJson() throws IOException {
        byte[][] vocabulary = GrammarPropertyTest.syntheticVocabulary();
        TokenMasks masks = new TokenMasks(vocabulary);
        Grammar gbnf = GbnfGrammar.compile(JSON_GBNF);
        Random r = new Random(9);
        int ended = 0;
        for (int w = 0; w < 150; w++) {
            byte[] out = RandomWalk.walk(gbnf, masks, vocabulary, r, (state, bytes) -> { });
            if (out == null) continue;
            ended++;
            String text = new String(out, StandardCharsets.UTF_8);
            GrammarAssert.JSON.reader().with(DeserializationFeature.FAIL_ON_TRAILING_TOKENS).readTree(text);
            assertThat(JsonSchema.anyValue().matches(text)).as(text).isTrue();
        }
        assertThat(ended).isGreaterThan(140);
    }

    static byte[] mutate(byte[] text, Random r) {
        int at = r.nextInt(text.length + 1);
        byte b = MUTATIONS[r.nextInt(MUTATIONS.length)];
        return switch (r.nextInt(4)) {
            case 0 -> at == text.length ? text : concat(Arrays.copyOf(text, at), Arrays.copyOfRange(text, at + 1,
                    text.length));
            case 1 -> concat(Arrays.copyOf(text, at), new byte[] {b}, Arrays.copyOfRange(text, at, text.length));
            case 2 -> {
                byte[] c = text.clone();
                if (at < c.length) c[at] = b;
                yield c;
            }
            default -> Arrays.copyOf(text, at);
        };
    }

    private static byte[] concat(byte[]... parts) {
        int n = 0;
        for (byte[] p : parts) n += p.length;
        byte[] out = new byte[n];
        int k = 0;
        for (byte[] p : parts) {
            System.arraycopy(p, 0, out, k, p.length);
            k += p.length;
        }
        return out;
    }
}
