package dev.llama3j.tokenizer;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static dev.llama3j.tokenizer.GroundTruth.tokenizer;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The pre-tokenizer on tricky input. Expected pieces are hand-derived from the regex
 * {@code (?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+}
 * (first matching alternative wins, with backtracking inside it); the reasoning is in each comment.
 */
class TokenizerSplitTest {

    static List<String> pieces(String text) {
        int[] cp = Utf8.codePoints(text);
        List<String> out = new ArrayList<>();
        for (int i = 0; i < cp.length; ) {
            int end = PreTokenizer.pieceEnd(cp, i, cp.length);
            out.add(new String(cp, i, end - i));
            i = end;
        }
        return out;
    }

    @Test
    void contractionsAreCaseInsensitive() {
        // alternative 1 under (?i): 'M, 'LL and 'Re match. "'xyz" is no contraction, so at the start the
        // apostrophe is the optional one-character prefix of \p{L}+; after a space it cannot be (the prefix
        // is at most one character), and ' ?[^\s\p{L}\p{N}]+' takes " '" instead
        assertThat(pieces("'xyz I'M sure you'LL see they'Re 'abc"))
                .containsExactly("'xyz", " I", "'M", " sure", " you", "'LL", " see", " they", "'Re", " '", "abc");
    }

    @Test
    void longSFoldsToSInContractions() {
        // the Rust regex engine folds case with Unicode simple folding, where U+017F (long s) ~ 's',
        // so "'ſ" is the contraction "'s"; the letters after it start a new piece
        assertThat(pieces("x'ſt")).containsExactly("x", "'ſ", "t");
    }

    @Test
    void digitsGoInGroupsOfThree() {
        // \p{N}{1,3}; a letter prefix cannot take a digit; '٣' (Arabic-Indic three) and '½' are \p{N} too
        assertThat(pieces("12345678 ab12 ٣٣٣٣ ½½"))
                .containsExactly("123", "456", "78", " ab", "12", " ", "٣٣٣", "٣", " ", "½½");
    }

    @Test
    void whitespaceBeforeAWordKeepsOneSpaceForTheWord() {
        // "   x": \s+(?!\S) backtracks to give "  ", then " x" is [^\r\n\p{L}\p{N}]?\p{L}+;
        // at the end of the text the whole run matches \s+(?!\S)
        assertThat(pieces("a   x   ")).containsExactly("a", "  ", " x", "   ");
    }

    @Test
    void crlfRunsEndAtTheLastNewline() {
        // \s*[\r\n]+ takes the run up to and including its last newline; the two spaces then split
        // as above ("  " before 'b' -> " " + " b"); a tab before a letter joins it like a space
        assertThat(pieces("a\r\n\r\n  b\n \tc")).containsExactly("a", "\r\n\r\n", " ", " b", "\n", " ", "\tc");
    }

    @Test
    void punctuationTakesOneLeadingSpaceAndTrailingNewlines() {
        // ' ?[^\s\p{L}\p{N}]+[\r\n]*'
        assertThat(pieces("x ...!\n\ny (\"z")).containsExactly("x", " ...!\n\n", "y", " (\"", "z");
    }

    @Test
    void supplementaryCharactersAreOneCharacter() {
        // U+1D400.. (mathematical bold capitals) are letters outside the BMP: one \p{L}+ run;
        // emoji are "other" (So): one run of [^\s\p{L}\p{N}]+ with the leading space
        assertThat(pieces("𝐀𝐁𝐂 😀😀!")).containsExactly("𝐀𝐁𝐂", " 😀😀!");
    }

    @Test
    void combiningMarksAreNotLetters() {
        // U+0301 is Mn: after "e" it cannot extend \p{L}+; as the optional prefix it joins the letters after it
        assertThat(pieces("e\u0301t e\u0301")).containsExactly("e", "\u0301t", " e", "\u0301");
    }

    @Test
    void informationSeparatorsAreNotRegexSpaceButArePythonSpace() {
        // U+001F is not \s (regex) but is str.isspace() (Meta's strip/split): here it is "other" punctuation
        assertThat(pieces("a\u001Fb")).containsExactly("a", "\u001Fb");
        assertThat(PythonText.strip("\u001F\u00A0x\u3000\u0085")).isEqualTo("x");
        assertThat(PythonText.strip("\u200Bx\uFEFF")).isEqualTo("\u200Bx\uFEFF");
    }

    @Test
    void loneSurrogatesEncodeAsReplacementCharacter() {
        // tiktoken cannot pass a lone surrogate to its Rust core: it re-decodes the text with
        // errors="replace", which turns each lone surrogate into U+FFFD
        assertThat(tokenizer().encode("a\uD800b\uDC00", false, false))
                .containsExactly(tokenizer().encode("a\uFFFDb\uFFFD", false, false));
        // a proper pair is one character
        assertThat(tokenizer().decode(tokenizer().encode("\uD83D\uDE00", false, false))).isEqualTo("\uD83D\uDE00");
    }

    @Test
    void metasLengthSplitsMatchTheGroundTruth() {
        // runs of more than 25,000 space/non-space characters and texts over 400,000 characters (also with
        // astral characters, which count as one character each, as in Python)
        List<String> tags = List.of("split-25k", "split-25k-isspace", "split-25k-astral", "split-400k", "split-400k-astral");
        int checked = 0;
        for (JsonNode c : GroundTruth.cases("tokenizer-cases.jsonl")) {
            if (tags.contains(c.get("tag").textValue())) {
                assertThat(tokenizer().encode(c.get("text").textValue(), c.get("bos").booleanValue(),
                        c.get("eos").booleanValue())).as(c.get("tag").textValue()).isEqualTo(GroundTruth.ints(c.get("ids")));
                checked++;
            }
        }
        assertThat(checked).isEqualTo(11);
    }

    @Test
    void longWhitespaceRunIsCutAt25000() {
        // 30,000 spaces then "x": Meta cuts the run after 25,000 characters, so tiktoken sees 25,000 spaces
        // (one piece: \s+(?!\S) at the end of its input) and then 5,000 spaces + "x"
        // (4,999 spaces, then " x"). Encoding the parts separately must give the same ids.
        Tokenizer t = tokenizer();
        int[] whole = t.encode(" ".repeat(30_000) + "x", false, false);
        List<Integer> expected = new ArrayList<>();
        for (int id : t.encode(" ".repeat(25_000), false, false)) {
            expected.add(id);
        }
        for (int id : t.encode(" ".repeat(4_999), false, false)) {
            expected.add(id);
        }
        for (int id : t.encode(" x", false, false)) {
            expected.add(id);
        }
        assertThat(whole).isEqualTo(expected.stream().mapToInt(Integer::intValue).toArray());
        assertThat(t.decode(whole)).isEqualTo(" ".repeat(30_000) + "x");
    }
}
