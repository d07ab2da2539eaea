package dev.llama3j.grammar;

import static dev.llama3j.grammar.GrammarAssert.accepts;
import static dev.llama3j.grammar.GrammarAssert.firstRejected;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.llama3j.LlamaException;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * The GBNF matcher over bytes: characters split across tokens, invalid UTF-8, where an output may end, states as
 * values, the free-text shortcut of the masks, and the bounds that stop hostile grammars and ambiguous ones.
 */
class GbnfMatcherTest {
    static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void aCharacterMaySpanTokens() {
        GbnfGrammar g = GbnfGrammar.compile("root ::= \"€\" [😀-😂]");
        byte[] euro = utf8("€");
        GbnfState s = g.start().accept(Arrays.copyOf(euro, 1));
        assertThat(s).isNotNull();
        assertThat(s.canEnd()).isFalse();
        s = s.accept(Arrays.copyOfRange(euro, 1, 3));
        byte[] smile = utf8("😁");
        s = s.accept(Arrays.copyOf(smile, 2)).accept(Arrays.copyOfRange(smile, 2, 4));
        assertThat(s.canEnd()).isTrue();
        assertThat(s.isComplete()).isTrue();
    }

    @Test
    void aByteIsRejectedAsSoonAsNoCharacterOfTheSetCanFollow() {
        GbnfGrammar g = GbnfGrammar.compile("root ::= [a-zé]+");
        assertThat(firstRejected(g, "a€")).isEqualTo(1);
        assertThat(firstRejected(g, "éé")).isEqualTo(-1);
        // U+0100..U+013F all begin with 0xC4: none is in the set
        assertThat(firstRejected(g, "aĀ")).isEqualTo(1);
        GbnfGrammar emoji = GbnfGrammar.compile("root ::= [😀-😂]");
        // 0xF0 0x9F 0x98 could still become U+1F600; 0x99 rules it out at the third byte
        assertThat(firstRejected(emoji, new byte[] {(byte) 0xF0, (byte) 0x9F, (byte) 0x99})).isEqualTo(2);
    }

    @Test
    void invalidUtf8IsRejectedAtItsFirstBadByte() {
        GbnfGrammar any = GbnfGrammar.compile("root ::= .*");
        assertThat(firstRejected(any, new byte[] {'a', (byte) 0x80})).isEqualTo(1);
        assertThat(firstRejected(any, new byte[] {(byte) 0xC0, (byte) 0x80})).isEqualTo(0);
        assertThat(firstRejected(any, new byte[] {(byte) 0xED, (byte) 0xA0, (byte) 0x80})).isEqualTo(1);
        assertThat(firstRejected(any, new byte[] {(byte) 0xF5})).isEqualTo(0);
        assertThat(firstRejected(any, new byte[] {(byte) 0xE2, 'a'})).isEqualTo(1);
        assertThat(firstRejected(any, new byte[] {(byte) 0xE2, (byte) 0x82})).isEqualTo(2);
    }

    @Test
    void theOutputMayEndOnlyWhereRootCan() {
        GbnfGrammar g = GbnfGrammar.compile("root ::= \"a\" | \"ab\"");
        GbnfState start = g.start();
        assertThat(start.canEnd()).isFalse();
        GbnfState a = start.accept("a");
        assertThat(a.canEnd()).isTrue();
        assertThat(a.isComplete()).isFalse();
        assertThat(a.accept("b").isComplete()).isTrue();
        assertThat(a.accept("c")).isNull();
        assertThat(GbnfGrammar.compile("root ::= \"x\"*").start().canEnd()).isTrue();
    }

    @Test
    void statesAreValuesAndRememberTheirTransitions() {
        GbnfGrammar g = GbnfGrammar.compile("root ::= [a-z]* \".\"");
        GbnfState s = g.start();
        assertThat(s.accept('q')).isSameAs(s);
        assertThat(s.accept('.')).isSameAs(s.accept('.'));
        assertThat(g.start()).isEqualTo(s).hasSameHashCodeAs(s).isNotSameAs(s);
        assertThat(s.detached()).isEqualTo(s);
        assertThat(s.accept('.')).isNotEqualTo(s);
    }

    @Test
    void freeTextStatesLetThePlainTokensThroughWithoutAWalk() {
        GbnfState inString = GbnfGrammar.compile(GbnfJsonTest.JSON_GBNF).start().accept("{\"a\": \"xy");
        assertThat(inString.isFreeText()).isTrue();
        assertThat(GbnfGrammar.compile("root ::= [^\\n]* \"\\n\"").start().isFreeText()).isTrue();
        // a set that holds some plain characters but not all, or none: a walk
        assertThat(GbnfGrammar.compile("root ::= [a-z]*").start().isFreeText()).isFalse();
        assertThat(GbnfGrammar.compile("root ::= \"\\\"\"").start().isFreeText()).isFalse();
        byte[][] vocabulary = GrammarPropertyTest.syntheticVocabulary();
        TokenMasks masks = new TokenMasks(vocabulary);
        GrammarPropertyTest.assertMaskIsBruteForce(masks, vocabulary, inString);
        GrammarPropertyTest.assertMaskIsBruteForce(masks, vocabulary,
                GbnfGrammar.compile("root ::= [^\\n]* \"\\n\"").start());
    }

    @Test
    void deepNestingMatchesWithoutOverflow() {
        GbnfGrammar g = GbnfGrammar.compile("root ::= a\na ::= \"(\" a \")\" | \"x\"");
        int n = 20_000;
        assertThat(g.matches("(".repeat(n) + "x" + ")".repeat(n))).isTrue();
        assertThat(g.matches("(".repeat(n) + "x" + ")".repeat(n - 1))).isFalse();
        StringBuilder chain = new StringBuilder("root ::= r0\n");
        for (int k = 0; k < 5000; k++) chain.append("r").append(k).append(" ::= r").append(k + 1).append(" \"x\"\n");
        chain.append("r5000 ::= \"y\"\n");
        assertThat(GbnfGrammar.compile(chain.toString()).matches("y" + "x".repeat(5000))).isTrue();
    }

    @Test
    void anAmbiguousGrammarIsStoppedWithAClearError() {
        // after n opening x's, every sequence of n closers is still possible: 2^n stacks
        GbnfGrammar g = GbnfGrammar.compile("root ::= a\na ::= \"x\" a \"y\" | \"x\" a \"z\" | \"\"");
        GbnfState s = g.start().accept("x".repeat(8));
        assertThat(s).isNotNull();
        assertThatThrownBy(() -> s.accept("x")).isInstanceOf(GbnfException.class)
                .hasMessageStartingWith("the grammar is too ambiguous: the output so far can be read in more than "
                        + GbnfLimits.MAX_STACKS + " ways at once");
        byte[][] vocabulary = GrammarPropertyTest.syntheticVocabulary();
        GrammarConstraint c = new GrammarConstraint(g, new TokenMasks(vocabulary), new int[0]);
        int x = 1 + 'x';
        for (int k = 0; k < 8; k++) c.accept(x);
        assertThatThrownBy(() -> c.restrict(new float[vocabulary.length], 0, vocabulary.length))
                .isInstanceOf(LlamaException.class).hasMessageStartingWith("the grammar is too ambiguous");
        assertThatThrownBy(() -> c.accept(x)).isInstanceOf(LlamaException.class)
                .hasMessageStartingWith("the grammar is too ambiguous");
    }

    @Test
    void hostileGrammarsHitTheirBounds() {
        assertThatThrownBy(() -> GbnfGrammar.compile("root ::= \"" + "a".repeat(GbnfLimits.MAX_TEXT) + "\""))
                .isInstanceOf(GbnfException.class).hasMessage("the grammar has " + (GbnfLimits.MAX_TEXT + 11)
                        + " characters, more than the " + GbnfLimits.MAX_TEXT + " allowed");
        String deep = "root ::= " + "(".repeat(GbnfLimits.MAX_NESTING + 1) + "\"a\"" + ")".repeat(101);
        assertThatThrownBy(() -> GbnfGrammar.compile(deep)).isInstanceOf(GbnfException.class)
                .hasMessage("line 1, column 110: groups and operators nested more than 100 deep");
        assertThatThrownBy(() -> GbnfGrammar.compile("root ::= \"a\"" + "?".repeat(200)))
                .isInstanceOf(GbnfException.class).hasMessageContaining("nested more than 100 deep");
        StringBuilder many = new StringBuilder("root ::= r0\n");
        for (int k = 0; k < 11; k++) many.append("r").append(k).append(" ::= \"a\"{0,10000}\n");
        assertThatThrownBy(() -> GbnfGrammar.compile(many.toString())).isInstanceOf(GbnfException.class)
                .hasMessage("line 11, column 1: the grammar is too large: more than 100000 rules once groups and "
                        + "repetitions are expanded (in rule r9)");
        StringBuilder wide = new StringBuilder("root ::= r0\n");
        for (int k = 0; k < 101; k++) wide.append("r").append(k).append(" ::= [a-z]{10000}\n");
        assertThatThrownBy(() -> GbnfGrammar.compile(wide.toString())).isInstanceOf(GbnfException.class)
                .hasMessageStartingWith("line 101, column 1: the grammar is too large: more than 1000000 symbols");
        // a nested count multiplies nothing: the repeated item is a rule, referred to n times
        accepts(GbnfGrammar.compile("root ::= ((\"a\"{1,100}){1,10000}){0,10000}"), "", "aaa");
        // but empty readings nested in counts multiply: 10^8 ways to read the empty text hit the bound
        assertThatThrownBy(() -> GbnfGrammar.compile("root ::= ((\"a\"{0,100}){0,10000}){0,10000}"))
                .isInstanceOf(GbnfException.class)
                .hasMessageStartingWith("the grammar is too ambiguous");
    }
}
