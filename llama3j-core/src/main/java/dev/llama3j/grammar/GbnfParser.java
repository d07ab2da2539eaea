package dev.llama3j.grammar;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Reads llama.cpp's GBNF notation into {@link GbnfExpr} rules: {@code name ::= alternatives}, alternatives
 * separated by {@code |}, sequences, groups in parentheses, the postfix operators {@code * + ? {m} {m,} {m,n}},
 * strings in double quotes, classes {@code [...]} and {@code [^...]}, {@code .} (any character), rule names
 * (letters, digits and dashes) and {@code #} comments. A rule goes on over line ends only inside parentheses and
 * after {@code ::=} or {@code |}. Escapes, in strings and classes: {@code \n \r \t \\ \" \[ \]}, {@code \xHH},
 * {@code \}{@code uHHHH} and {@code \UHHHHHHHH}. Errors are {@link GbnfException}s naming the place and what was
 * expected there.
 */
final class GbnfParser {
    private final int[] text;
    /** Where each line begins, for the places in messages. */
    private final int[] lineStarts;
    private int i;
    private int nesting;
    /** Where the innermost open group began, or -1. */
    private int openGroup = -1;

    private GbnfParser(String text) {
        this.text = text.codePoints().toArray();
        List<Integer> starts = new ArrayList<>(List.of(0));
        for (int k = 0; k < this.text.length; k++) {
            if (this.text[k] == '\n') starts.add(k + 1);
        }
        this.lineStarts = starts.stream().mapToInt(Integer::intValue).toArray();
    }

    /** The rules of {@code text} in the order written. */
    static List<GbnfExpr.Rule> parse(String text) {
        if (text.length() > GbnfLimits.MAX_TEXT) {
            throw new GbnfException("the grammar has " + text.length() + " characters, more than the "
                    + GbnfLimits.MAX_TEXT + " allowed");
        }
        return new GbnfParser(text).rules();
    }

    private List<GbnfExpr.Rule> rules() {
        List<GbnfExpr.Rule> rules = new ArrayList<>();
        skipSpace(true);
        while (i < text.length) {
            rules.add(rule());
            skipSpace(true);
        }
        return rules;
    }

    private GbnfExpr.Rule rule() {
        int line = line(i);
        int column = column(i);
        if (!isNameChar(peek())) throw error("expected a rule name (letters, digits and dashes)");
        String name = name();
        skipSpace(false);
        if (!(peek() == ':' && peek(1) == ':' && peek(2) == '=')) {
            throw error("expected ::= after the rule name " + name);
        }
        i += 3;
        skipSpace(true);
        GbnfExpr body = alternatives(false);
        if (peek() == ')') throw error("unmatched )");
        return new GbnfExpr.Rule(name, body, line, column);
    }

    /** Sequences separated by |; stops before ) or, outside groups, a line end. */
    private GbnfExpr alternatives(boolean nested) {
        List<GbnfExpr> options = new ArrayList<>();
        options.add(sequence(nested));
        while (peek() == '|') {
            i++;
            skipSpace(true);
            options.add(sequence(nested));
        }
        return options.size() == 1 ? options.getFirst() : new GbnfExpr.Choice(options);
    }

    private GbnfExpr sequence(boolean nested) {
        List<GbnfExpr> items = new ArrayList<>();
        while (true) {
            skipSpace(nested);
            int c = peek();
            if (c < 0 || c == '|' || c == ')' || c == '\n') break;
            items.add(postfix(primary(nested), nested));
        }
        return items.size() == 1 ? items.getFirst() : new GbnfExpr.Sequence(items);
    }

    private GbnfExpr primary(boolean nested) {
        int c = peek();
        if (c == '"') return string();
        if (c == '[') return charClass();
        if (c == '.') {
            i++;
            return new GbnfExpr.Chars(CodePoints.ANY);
        }
        if (c == '(') return group();
        if (isNameChar(c)) {
            int line = line(i);
            int column = column(i);
            return new GbnfExpr.Ref(name(), line, column);
        }
        if (c == '<') throw error("token references <...> are not supported");
        throw error("expected a string, [class], rule name, (, ., | or "
                + (nested ? ") to close the ( at line " + line(openGroup) + ", column " + column(openGroup)
                : "a line end"));
    }

    private GbnfExpr group() {
        int outer = openGroup;
        openGroup = i;
        enter();
        i++;
        skipSpace(true);
        GbnfExpr inner = alternatives(true);
        if (peek() != ')') {
            throw error("expected ) to close the ( at line " + line(openGroup) + ", column " + column(openGroup));
        }
        i++;
        nesting--;
        openGroup = outer;
        return inner;
    }

    /** The operators after an item; each wraps what is before it. */
    private GbnfExpr postfix(GbnfExpr item, boolean nested) {
        int depth = 0;
        while (true) {
            int mark = i;
            skipSpace(nested);
            int c = peek();
            if (c != '*' && c != '+' && c != '?' && c != '{') {
                i = mark;
                nesting -= depth;
                return item;
            }
            enter();
            depth++;
            if (c == '{') {
                item = counted(item, line(i), column(i));
            } else {
                item = new GbnfExpr.Repeat(item, c == '+' ? 1 : 0, c == '?' ? 1 : -1, line(i), column(i));
                i++;
            }
        }
    }

    /** {@code {m}}, {@code {m,}} or {@code {m,n}}. */
    private GbnfExpr counted(GbnfExpr item, int line, int column) {
        i++;
        skipSpace(false);
        int min = count("expected a number after {");
        skipSpace(false);
        int max = min;
        if (peek() == ',') {
            i++;
            skipSpace(false);
            max = isDigit(peek()) ? count("expected a number") : -1;
            skipSpace(false);
        }
        if (peek() != '}') throw error("expected } to end the repetition begun at column " + column);
        i++;
        if (max >= 0 && max < min) {
            throw GbnfException.at(line, column, "repetition {" + min + "," + max + "} has its bounds reversed");
        }
        return new GbnfExpr.Repeat(item, min, max, line, column);
    }

    private int count(String expected) {
        if (!isDigit(peek())) throw error(expected);
        int at = i;
        long value = 0;
        while (isDigit(peek())) {
            value = Math.min(value * 10 + (text[i++] - '0'), Integer.MAX_VALUE);
        }
        if (value > GbnfLimits.MAX_REPETITION) {
            throw GbnfException.at(line(at), column(at), "repetition count " + value + " is above the limit of "
                    + GbnfLimits.MAX_REPETITION);
        }
        return (int) value;
    }

    private GbnfExpr string() {
        int open = i++;
        List<GbnfExpr> chars = new ArrayList<>();
        while (peek() != '"') {
            if (peek() < 0 || peek() == '\n') {
                throw error("expected \" to end the string begun at line " + line(open) + ", column " + column(open));
            }
            int at = i;
            int cp = character();
            if (cp >= 0xD800 && cp <= 0xDFFF) {
                throw GbnfException.at(line(at), column(at), String.format("U+%04X is a surrogate, not a character",
                        cp));
            }
            chars.add(new GbnfExpr.Chars(new int[] {cp, cp}));
        }
        i++;
        return chars.size() == 1 ? chars.getFirst() : new GbnfExpr.Sequence(chars);
    }

    private GbnfExpr charClass() {
        int open = i++;
        boolean negated = peek() == '^';
        if (negated) i++;
        List<int[]> ranges = new ArrayList<>();
        while (peek() != ']') {
            if (peek() < 0 || peek() == '\n') {
                throw error("expected ] to end the class begun at line " + line(open) + ", column " + column(open));
            }
            int at = i;
            int lo = character();
            int hi = lo;
            if (peek() == '-' && peek(1) != ']' && peek(1) >= 0) {
                i++;
                hi = character();
                if (hi < lo) {
                    throw GbnfException.at(line(at), column(at), String.format("range U+%04X-U+%04X is reversed",
                            lo, hi));
                }
            }
            ranges.add(new int[] {lo, hi});
        }
        i++;
        int[] set = CodePoints.normalize(ranges);
        return new GbnfExpr.Chars(negated ? CodePoints.complement(set) : set);
    }

    /** One character of a string or class, escapes decoded. */
    private int character() {
        int c = text[i++];
        if (c != '\\') return c;
        int e = peek();
        if (e < 0) throw error("expected an escape after \\");
        i++;
        return switch (e) {
            case 'n' -> '\n';
            case 'r' -> '\r';
            case 't' -> '\t';
            case '\\', '"', '[', ']' -> e;
            case 'x' -> hex(2, "\\x");
            case 'u' -> hex(4, "\\u");
            case 'U' -> hex(8, "\\U");
            default -> {
                i--;
                throw error("unknown escape \\" + shown(e) + " (expected \\n \\r \\t \\\\ \\\" \\[ \\] \\xHH"
                        + " \\uHHHH or \\UHHHHHHHH)");
            }
        };
    }

    private int hex(int digits, String escape) {
        int at = i - escape.length();
        long value = 0;
        for (int k = 0; k < digits; k++) {
            int c = peek();
            boolean ascii = c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F';
            if (!ascii) throw error("expected " + digits + " hex digits after " + escape);
            int d = Character.digit(c, 16);
            value = value * 16 + d;
            i++;
        }
        if (value > CodePoints.MAX) {
            throw GbnfException.at(line(at), column(at), escape + Long.toHexString(value).toUpperCase()
                    + " is beyond U+10FFFF");
        }
        return (int) value;
    }

    /** A character for a message: itself, or U+XXXX where it is a control, a line break or a space of its own. */
    private static String shown(int cp) {
        boolean plain = cp > 0x20 && !Character.isISOControl(cp) && !Character.isWhitespace(cp)
                && Character.getType(cp) != Character.LINE_SEPARATOR
                && Character.getType(cp) != Character.PARAGRAPH_SEPARATOR;
        return plain ? Character.toString(cp) : String.format("U+%04X", cp);
    }

    private String name() {
        int start = i;
        while (isNameChar(peek())) i++;
        return new String(text, start, i - start);
    }

    /** Skips spaces, tabs, carriage returns and comments, and line ends where {@code newlines}. */
    private void skipSpace(boolean newlines) {
        while (i < text.length) {
            int c = text[i];
            if (c == ' ' || c == '\t' || c == '\r' || c == '\n' && newlines) {
                i++;
            } else if (c == '#') {
                while (i < text.length && text[i] != '\n') i++;
            } else {
                return;
            }
        }
    }

    private void enter() {
        if (++nesting > GbnfLimits.MAX_NESTING) {
            throw error("groups and operators nested more than " + GbnfLimits.MAX_NESTING + " deep");
        }
    }

    private int peek() {
        return peek(0);
    }

    private int peek(int ahead) {
        return i + ahead < text.length ? text[i + ahead] : -1;
    }

    private static boolean isNameChar(int c) {
        return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || isDigit(c) || c == '-';
    }

    private static boolean isDigit(int c) {
        return c >= '0' && c <= '9';
    }

    private GbnfException error(String expected) {
        return GbnfException.at(line(i), column(i), (i < text.length ? "" : "at the end: ") + expected);
    }

    private int line(int at) {
        int k = Arrays.binarySearch(lineStarts, at);
        return k >= 0 ? k + 1 : -k - 1;
    }

    private int column(int at) {
        return at - lineStarts[line(at) - 1] + 1;
    }
}
