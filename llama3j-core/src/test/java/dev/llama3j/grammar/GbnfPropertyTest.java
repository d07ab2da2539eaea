package dev.llama3j.grammar;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.function.Predicate;
import java.util.regex.Pattern;

/**
 * GBNF grammars against independent oracles: for grammars whose language is regular, the same language written
 * by hand as a java.util.regex pattern; for nested brackets, a stack. Random strings and near misses of outputs
 * are matched alike; random walks over a vocabulary's masks end in outputs the oracle accepts, every prefix may
 * end exactly where the oracle accepts it whole, no walk meets a dead end, and masks equal a token-by-token check.
 */
class GbnfPropertyTest {
    /** A grammar, its oracle, the characters random strings are made of, and the tokens that help an output end. */
    record Case(String gbnf, Predicate<String> oracle, String alphabet, Predicate<byte[]> closes) {
        static Case regex(String gbnf, String regex, String alphabet, String closing) {
            Pattern p = Pattern.compile(regex, Pattern.DOTALL);
            return new Case(gbnf, s -> p.matcher(s).matches(), alphabet, containsOneOf(closing));
        }
    }

    static final List<Case> CASES = List.of(
            Case.regex("root ::= (\"yes\" | \"no\" | \"maybe\") \".\"", "(?:yes|no|maybe)\\.", "yesnomab.", "."),
            Case.regex("root ::= id (\",\" \" \"? id){0,3}\nid ::= [a-zA-Z_] [a-zA-Z0-9_]{0,7}",
                    "[a-zA-Z_][a-zA-Z0-9_]{0,7}(?:, ?[a-zA-Z_][a-zA-Z0-9_]{0,7}){0,3}", "aZ_09, .", ""),
            Case.regex("root ::= [0-9]{4} \"-\" (\"0\" [1-9] | \"1\" [0-2]) \"-\" ([0-2] [0-9] | \"3\" [01])",
                    "[0-9]{4}-(?:0[1-9]|1[0-2])-(?:[0-2][0-9]|3[01])", "0123459-", ""),
            Case.regex("root ::= (\"é\" | \"€\" | \"😀\" | [a-c] | [一-鿿])+ [!?]",
                    "(?:é|€|😀|[a-c]|[\\u4e00-\\u9fff])+[!?]", "éeu€😀😁ad一!?", "!?"),
            Case.regex("root ::= \"<\" [^<>\\n]* \">\" .?", "<[^<>\\n]*>.?", "<>a\n é😀", ">"),
            Case.regex("root ::= (\"ab\" | \"c\"){2,4} \"x\"{0,3} \".\"", "(?:ab|c){2,4}x{0,3}\\.", "abcx.", "."),
            Case.regex("""
                    # runs of a's and b's, any of them empty
                    root ::= (
                        "a"? "b"*   # an item may match nothing
                      )* "."
                    """, "(?:a?b*)*\\.", "ab.c", "."),
            Case.regex("root ::= \"\\x41\" [\\t ]{1,3} \"\\u00e9\\U0001F600\" (\"\\\\\" | \"\\\"\" | \"\\n\")",
                    "A[\\t ]{1,3}é😀(?:\\\\|\"|\\n)", "A \té😀\\\"\nx", "\\\"\n"),
            Case.regex("root ::= [^\\n]+ \"\\n\"", "[^\\n]+\\n", "ab \"\\\n😀", "\n"),
            Case.regex("root ::= row{1,3}\nrow ::= field (\",\" field)* \"\\n\"\nfield ::= [0-9]+ | \"\\\"\""
                    + " [^\"\\n]* \"\\\"\"", "(?:(?:[0-9]+|\"[^\"\\n]*\")(?:,(?:[0-9]+|\"[^\"\\n]*\"))*\\n){1,3}",
                    "09,\"a\n", "\n\""),
            new Case("root ::= b\nb ::= (\"(\" b \")\" | \"[\" b \"]\")*", GbnfPropertyTest::balanced, "()[]x",
                    GbnfPropertyTest::closesMoreThanItOpens));

    /** Whether {@code s} is brackets, each closed by its own kind in order. */
    static boolean balanced(String s) {
        ArrayDeque<Character> open = new ArrayDeque<>();
        for (char c : s.toCharArray()) {
            if (c == '(' || c == '[') {
                open.push(c);
            } else if (c == ')' || c == ']') {
                if (open.isEmpty() || open.pop() != (c == ')' ? '(' : '[')) return false;
            } else {
                return false;
            }
        }
        return open.isEmpty();
    }

    @Test
    void randomStringsAndNearMissesMatchAsTheOracleSays() {
        Random r = new Random(2024);
        byte[][] vocabulary = GrammarPropertyTest.syntheticVocabulary();
        TokenMasks masks = new TokenMasks(vocabulary);
        for (Case c : CASES) {
            GbnfGrammar g = GbnfGrammar.compile(c.gbnf());
            int[] alphabet = c.alphabet().codePoints().toArray();
            int positives = 0;
            for (int k = 0; k < 400; k++) {
                StringBuilder s = new StringBuilder();
                for (int n = r.nextInt(10); n > 0; n--) s.appendCodePoint(alphabet[r.nextInt(alphabet.length)]);
                positives += check(g, c, s.toString()) ? 1 : 0;
            }
            for (int w = 0; w < 60; w++) {
                byte[] out = RandomWalk.walk(g, masks, vocabulary, r, (state, bytes) -> { }, c.closes());
                if (out == null) continue;
                String text = new String(out, StandardCharsets.UTF_8);
                positives += check(g, c, text) ? 1 : 0;
                for (int m = 0; m < 5; m++) check(g, c, nearMiss(text, alphabet, r));
            }
            assertThat(positives).as("matches of %s", c.gbnf()).isGreaterThan(50);
        }
    }

    private static boolean check(GbnfGrammar g, Case c, String s) {
        boolean expected = c.oracle().test(s);
        assertThat(g.matches(s)).as("%s on %s", c.gbnf(), s).isEqualTo(expected);
        return expected;
    }

    private static String nearMiss(String text, int[] alphabet, Random r) {
        int[] cps = text.codePoints().toArray();
        int at = r.nextInt(cps.length + 1);
        StringBuilder s = new StringBuilder();
        for (int k = 0; k < cps.length; k++) {
            if (k == at) {
                switch (r.nextInt(3)) {
                    case 0 -> { }
                    case 1 -> s.appendCodePoint(alphabet[r.nextInt(alphabet.length)]).appendCodePoint(cps[k]);
                    default -> s.appendCodePoint(alphabet[r.nextInt(alphabet.length)]);
                }
            } else {
                s.appendCodePoint(cps[k]);
            }
        }
        return s.toString();
    }

    @Test
    void walksOverASyntheticVocabularyEndOnlyWhereTheOracleAccepts() {
        byte[][] vocabulary = GrammarPropertyTest.syntheticVocabulary();
        walk(vocabulary, new TokenMasks(vocabulary), 40, 1);
    }

    @Test
    void walksOverTheLlama3VocabularyEndOnlyWhereTheOracleAccepts() {
        byte[][] vocabulary = GrammarPropertyTest.llamaVocabulary();
        walk(vocabulary, new TokenMasks(vocabulary), 4, 40);
    }

    @Test
    @Tag("slow")
    void manyWalksOverTheLlama3VocabularyEndOnlyWhereTheOracleAccepts() {
        byte[][] vocabulary = GrammarPropertyTest.llamaVocabulary();
        walk(vocabulary, new TokenMasks(vocabulary), 40, 10);
    }

    /**
     * {@code walks} random outputs per case: every output that ends is whole for the oracle, every state on the way
     * may end exactly where its prefix is whole UTF-8 the oracle accepts, and every {@code bruteForceEvery}-th
     * mask equals a token-by-token check.
     */
    private static void walk(byte[][] vocabulary, TokenMasks masks, int walks, int bruteForceEvery) {
        Random r = new Random(7);
        int[] visits = {0};
        for (Case c : CASES) {
            GbnfGrammar g = GbnfGrammar.compile(c.gbnf());
            int ended = 0;
            for (int w = 0; w < walks; w++) {
                byte[] out = RandomWalk.walk(g, masks, vocabulary, r, (state, bytes) -> {
                    String prefix = strictUtf8(bytes);
                    boolean whole = prefix != null && c.oracle().test(prefix);
                    assertThat(state.canEnd()).as("%s may end after %s", c.gbnf(), prefix).isEqualTo(whole);
                    if (visits[0]++ % bruteForceEvery == 0) {
                        GrammarPropertyTest.assertMaskIsBruteForce(masks, vocabulary, state);
                    }
                }, c.closes());
                if (out == null) continue;
                ended++;
                String text = strictUtf8(out);
                assertThat(text).as("output of %s is UTF-8", c.gbnf()).isNotNull();
                assertThat(c.oracle().test(text)).as("%s accepts %s", c.gbnf(), text).isTrue();
            }
            assertThat(ended).as("walks of %s that ended", c.gbnf()).isGreaterThanOrEqualTo(walks * 9 / 10);
        }
    }

    static boolean closesMoreThanItOpens(byte[] token) {
        int depth = 0;
        for (byte b : token) depth += b == '(' || b == '[' ? 1 : b == ')' || b == ']' ? -1 : 0;
        return depth < 0;
    }

    private static Predicate<byte[]> containsOneOf(String bytes) {
        byte[] closing = bytes.getBytes(StandardCharsets.UTF_8);
        return token -> {
            for (byte b : token) {
                for (byte x : closing) {
                    if (b == x) return true;
                }
            }
            return false;
        };
    }

    /** The text of {@code bytes}, or null when they are not whole UTF-8. */
    private static String strictUtf8(byte[] bytes) {
        try {
            return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(bytes)).toString();
        } catch (CharacterCodingException e) {
            return null;
        }
    }
}
