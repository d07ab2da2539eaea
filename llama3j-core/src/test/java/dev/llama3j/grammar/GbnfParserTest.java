package dev.llama3j.grammar;

import static dev.llama3j.grammar.GrammarAssert.accepts;
import static dev.llama3j.grammar.GrammarAssert.rejectsAt;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

/**
 * Every element of the GBNF notation, checked through what the compiled grammar matches (and the byte where it
 * first rejects), and every error: one line, its place, what was expected there.
 */
class GbnfParserTest {
    static GbnfGrammar g(String text) {
        return GbnfGrammar.compile(text);
    }

    static void fails(String text, String message) {
        assertThatThrownBy(() -> GbnfGrammar.compile(text)).isInstanceOf(GbnfException.class)
                .hasMessage(message).message().doesNotContain("\n");
    }

    @Test
    void alternativesSequencesAndGroups() {
        GbnfGrammar g = g("root ::= \"a\" \"b\" | \"c\" (\"d\" | \"e\" \"f\") \"g\"");
        accepts(g, "ab", "cdg", "cefg");
        rejectsAt(g, "a|c");
        rejectsAt(g, "ce|g");
        rejectsAt(g, "cdg|g");
        assertThat(g.matches("c")).isFalse();
    }

    @Test
    void repetitionOperators() {
        accepts(g("root ::= \"a\"* \"b\""), "b", "ab", "aaaab");
        accepts(g("root ::= \"a\"+ \"b\""), "ab", "aaab");
        rejectsAt(g("root ::= \"a\"+ \"b\""), "|b");
        accepts(g("root ::= \"a\"? \"b\""), "b", "ab");
        rejectsAt(g("root ::= \"a\"? \"b\""), "a|ab");
        GbnfGrammar exactly = g("root ::= \"ab\"{3}");
        accepts(exactly, "ababab");
        assertThat(exactly.matches("abab")).isFalse();
        rejectsAt(exactly, "ababab|a");
        GbnfGrammar atLeast = g("root ::= [0-9]{2,} \".\"");
        accepts(atLeast, "12.", "123456.");
        rejectsAt(atLeast, "1|.");
        GbnfGrammar between = g("root ::= [0-9]{1,3}");
        accepts(between, "1", "12", "123");
        rejectsAt(between, "123|4");
        GbnfGrammar spaced = g("root ::= \"x\"{ 0 , 2 } \"y\" { 2 }");
        accepts(spaced, "yy", "xyy", "xxyy");
        accepts(g("root ::= (\"a\" | \"b\")+ \"!\"?"), "abba", "b!");
        accepts(g("root ::= \"a\"?+ \"b\""), "b", "aab");
    }

    @Test
    void stringEscapes() {
        GbnfGrammar g = g("root ::= \"\\n\\t\\r\\\"\\\\\\[\\]\\x41\\u00e9\\U0001F600\"");
        accepts(g, "\n\t\r\"\\[]Aé😀");
        accepts(g("root ::= \"é€😀\""), "é€😀");
        accepts(g("root ::= \"\""), "");
    }

    @Test
    void characterClasses() {
        GbnfGrammar ranges = g("root ::= [a-cx0-2_]+");
        accepts(ranges, "abc", "x0_2");
        rejectsAt(ranges, "ab|d");
        GbnfGrammar negated = g("root ::= [^a-c\\n]+");
        accepts(negated, "xyz", "é€😀", "\t");
        rejectsAt(negated, "x|b");
        rejectsAt(negated, "x|\n");
        GbnfGrammar escaped = g("root ::= [\\]\\[\\\\\\x2D\\u00e9\\U0001F600^-]+");
        accepts(escaped, "][\\-é😀^-");
        rejectsAt(escaped, "|a");
        accepts(g("root ::= [-a]+"), "-a-");
        accepts(g("root ::= [ぁ-ゟ]+"), "ひらがな");
        accepts(g("root ::= [^]"), "\u0000", "😀");
        assertThat(g("root ::= \"a\" | []").matches("a")).isTrue();
    }

    @Test
    void anyCharacterIsOneCodePointOfAnyLength() {
        GbnfGrammar g = g("root ::= . . \".\"");
        accepts(g, "ab.", "\n\u0000.", "é😀.");
        rejectsAt(g, "ab.|c");
    }

    @Test
    void commentsNewlinesAndRuleNames() {
        GbnfGrammar g = g("""
                # a list of items
                root ::= (     # groups go on over lines
                    item-1
                    Item2      # names: letters, digits, dashes
                  )+ tail
                tail ::=
                  "." |
                  "!"
                item-1 ::= "a" # the first
                Item2 ::= "b"
                """);
        accepts(g, "ab.", "abab!");
        rejectsAt(g, "a|a");
        accepts(g("root ::= \"a\" b\r\nb ::= \"c\"\r\n"), "ac");
        accepts(g("root ::= | \"x\""), "", "x");
    }

    @Test
    void rulesReferEachOtherInAnyOrder() {
        GbnfGrammar g = g("root ::= list\nlist ::= \"[\" (item (\",\" item)*)? \"]\"\nitem ::= [0-9] | list");
        accepts(g, "[]", "[1,2]", "[[1],[[2,3]],4]");
        rejectsAt(g, "[1,|]");
    }

    @Test
    void syntaxErrorsNameThePlaceAndWhatWasExpected() {
        fails("root := \"a\"", "line 1, column 6: expected ::= after the rule name root");
        fails("root ::= \"a\"\n\"b\"", "line 2, column 1: expected a rule name (letters, digits and dashes)");
        fails("root ::= \"abc", "line 1, column 14: at the end: expected \" to end the string begun at line 1, "
                + "column 10");
        fails("root ::= \"ab\nc\"", "line 1, column 13: expected \" to end the string begun at line 1, column 10");
        fails("root ::= [a-z", "line 1, column 14: at the end: expected ] to end the class begun at line 1, "
                + "column 10");
        fails("root ::= (\"a\"\nx ::= \"b\"", "line 2, column 3: expected a string, [class], rule name, (, ., | "
                + "or ) to close the ( at line 1, column 10");
        fails("root ::= (\"a\"", "line 1, column 14: at the end: expected ) to close the ( at line 1, column 10");
        fails("root ::= \"a\" )", "line 1, column 14: unmatched )");
        fails("root ::= \"a\" }", "line 1, column 14: expected a string, [class], rule name, (, ., | or a line end");
        fails("root ::= \"\\q\"", "line 1, column 12: unknown escape \\q (expected \\n \\r \\t \\\\ \\\" \\[ \\] \\xHH"
                + " \\uHHHH or \\UHHHHHHHH)");
        fails("root ::= \"\\x4\"", "line 1, column 14: expected 2 hex digits after \\x");
        fails("root ::= \"\\u00G0\"", "line 1, column 15: expected 4 hex digits after \\u");
        fails("root ::= \"\\U00110000\"", "line 1, column 11: \\U110000 is beyond U+10FFFF");
        fails("root ::= \"\\uD800\"", "line 1, column 11: U+D800 is a surrogate, not a character");
        fails("root ::= [z-a]", "line 1, column 11: range U+007A-U+0061 is reversed");
        fails("root ::= \"a\"{3,2}", "line 1, column 13: repetition {3,2} has its bounds reversed");
        fails("root ::= \"a\"{x}", "line 1, column 14: expected a number after {");
        fails("root ::= \"a\"{2,3", "line 1, column 17: at the end: expected } to end the repetition begun at "
                + "column 13");
        fails("root ::= <think>", "line 1, column 10: token references <...> are not supported");
        fails("root_rule ::= \"a\"", "line 1, column 5: expected ::= after the rule name root");
    }

    @Test
    void undefinedMissingAndDuplicateRules() {
        fails("root ::= item+\nitem ::= \"a\" other", "line 2, column 14: rule other is not defined");
        fails("start ::= \"a\"", "no rule named root: the output is what root ::= ... matches");
        fails("", "no rule named root: the output is what root ::= ... matches");
        fails("root ::= \"a\"\nroot ::= \"b\"", "line 2, column 1: rule root is defined twice (first at line 1)");
    }

    @Test
    void leftRecursionIsRejectedWithItsCycle() {
        fails("root ::= root \"x\" | \"y\"", "line 1, column 1: left recursion: rule root can reach itself before "
                + "matching any character (root -> root)");
        fails("root ::= expr\nexpr ::= term \"+\" | \"1\"\nterm ::= expr \"*\" | \"2\"", "line 2, column 1: left "
                + "recursion: rule expr can reach itself before matching any character (expr -> term -> expr)");
        fails("root ::= a\na ::= b? a \"x\" | \"y\"\nb ::= \"b\"", "line 2, column 1: left recursion: rule a can "
                + "reach itself before matching any character (a -> a)");
        fails("root ::= (root \"x\")? \"y\"", "line 1, column 1: left recursion: rule root can reach itself before "
                + "matching any character (root -> root)");
    }

    @Test
    void harmlessCyclesAndEmptyLoopsAreAllowed() {
        // references that end their alternative push nothing: a cycle of them reads like a choice
        GbnfGrammar cycle = g("root ::= a\na ::= b | \"x\"\nb ::= a | \"y\"");
        accepts(cycle, "x", "y");
        rejectsAt(cycle, "x|y");
        // a repeated item that can be empty repeats its non-empty readings
        accepts(g("root ::= (\"a\"? \"b\"*)* \".\""), ".", "ab.", "bbaab.");
        accepts(g("root ::= (ws)* \"x\"\nws ::= [ ]*"), "x", "   x");
    }

    @Test
    void rulesThatNeverEndAreRejected() {
        fails("root ::= \"a\" root", "line 1, column 1: rule root matches no text that ends (each alternative "
                + "refers to it again or to such a rule, or has an empty class)");
        fails("root ::= \"a\" | list\nlist ::= item list\nitem ::= \"i\"", "line 2, column 1: rule list matches no"
                + " text that ends (each alternative refers to it again or to such a rule, or has an empty class)");
        fails("root ::= [^\\x00-\\U0010FFFF]", "line 1, column 1: rule root matches no text that ends (each "
                + "alternative refers to it again or to such a rule, or has an empty class)");
        // surrogates are no characters of UTF-8 text: a class of them only is empty
        fails("root ::= [\\uD800-\\uDFFF]", "line 1, column 1: rule root matches no text that ends (each "
                + "alternative refers to it again or to such a rule, or has an empty class)");
        // an alternative that cannot end is dropped where another can
        GbnfGrammar g = g("root ::= \"a\" | \"b\" []");
        accepts(g, "a");
        rejectsAt(g, "|b");
    }
}
