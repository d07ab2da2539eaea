package dev.llama3j.grammar;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * Compiles the simple regular expressions of JSON Schema's {@code pattern} (literal characters, classes such as
 * {@code [a-z0-9_]} and {@code [^"]}, {@code \d \w \s \D \W \S}, {@code .}, groups with {@code |}, quantifiers
 * {@code * + ? {m} {m,} {m,n}}, and {@code ^}/{@code $} at the very ends) into a {@link CodePointDfa}, with
 * JSON Schema's search semantics: without anchors the pattern may match anywhere in the string. Anything else
 * (backreferences, lookaround, word boundaries, lazy quantifiers, Unicode properties) is rejected.
 * {@code \s} means ASCII whitespace and {@code .} excludes the line terminators of both ECMAScript and Java, so
 * that what is generated matches under either engine.
 */
final class PatternCompiler {
    private static final int MAX_REPEAT = 1000;
    private static final int MAX_NFA_STATES = 20_000;
    private static final int[] ANY = {0, CodePointDfa.MAX_CODE_POINT};
    private static final int[] DIGIT = {'0', '9'};
    private static final int[] WORD = {'0', '9', 'A', 'Z', '_', '_', 'a', 'z'};
    private static final int[] ASCII_SPACE = {'\t', '\r', ' ', ' '};
    private static final int[] ECMA_SPACE = {'\t', '\r', ' ', ' ', 0xA0, 0xA0, 0x1680, 0x1680, 0x2000, 0x200A,
            0x2028, 0x2029, 0x202F, 0x202F, 0x205F, 0x205F, 0x3000, 0x3000, 0xFEFF, 0xFEFF};
    private static final int[] DOT = complement(new int[] {'\n', '\n', '\r', '\r', 0x85, 0x85, 0x2028, 0x2029});

    /** A parsed expression. */
    private sealed interface Node {}

    private record Chars(int[] ranges) implements Node {}

    private record Concat(List<Node> parts) implements Node {}

    private record Alternation(List<Node> options) implements Node {}

    private record Repeat(Node body, int min, int max) implements Node {}

    private final String pattern;
    private final String pointer;
    private final int[] cps;
    private int pos;

    private PatternCompiler(String pattern, String pointer) {
        this.pattern = pattern;
        this.pointer = pointer;
        this.cps = pattern.codePoints().toArray();
    }

    /** The automaton of the strings that {@code pattern} matches somewhere (or wholly, where anchored). */
    static CodePointDfa compile(String pattern, String pointer) {
        return new PatternCompiler(pattern, pointer).compile();
    }

    private CodePointDfa compile() {
        boolean anchoredStart = pos < cps.length && cps[pos] == '^';
        if (anchoredStart) pos++;
        List<Node> options = new ArrayList<>();
        options.add(concatenation());
        while (pos < cps.length && cps[pos] == '|') {
            pos++;
            options.add(concatenation());
        }
        Node body = options.size() == 1 ? options.getFirst() : new Alternation(options);
        boolean anchoredEnd = pos < cps.length && cps[pos] == '$';
        if (anchoredEnd) pos++;
        if (pos < cps.length) {
            throw error(cps[pos] == ')' ? "unbalanced )" : "'" + Character.toString(cps[pos]) + "' here");
        }
        if ((anchoredStart || anchoredEnd) && options.size() > 1) {
            throw error("anchors around a top-level |: wrap the alternatives in a group");
        }
        List<Node> whole = new ArrayList<>();
        if (!anchoredStart) whole.add(new Repeat(new Chars(ANY), 0, -1));
        whole.add(body);
        if (!anchoredEnd) whole.add(new Repeat(new Chars(ANY), 0, -1));
        return new Nfa().determinize(new Concat(whole));
    }

    private Node alternation() {
        List<Node> options = new ArrayList<>();
        options.add(concatenation());
        while (pos < cps.length && cps[pos] == '|') {
            pos++;
            options.add(concatenation());
        }
        return options.size() == 1 ? options.getFirst() : new Alternation(options);
    }

    private Node concatenation() {
        List<Node> parts = new ArrayList<>();
        while (pos < cps.length && cps[pos] != '|' && cps[pos] != ')') {
            if (cps[pos] == '$' && pos == cps.length - 1) break;
            parts.add(quantified(atom()));
        }
        return parts.size() == 1 ? parts.getFirst() : new Concat(parts);
    }

    private Node quantified(Node atom) {
        if (pos >= cps.length) return atom;
        int c = cps[pos];
        int min;
        int max;
        if (c == '*' || c == '+' || c == '?') {
            pos++;
            min = c == '+' ? 1 : 0;
            max = c == '?' ? 1 : -1;
        } else if (c == '{') {
            pos++;
            min = number();
            max = min;
            if (pos < cps.length && cps[pos] == ',') {
                pos++;
                max = pos < cps.length && cps[pos] == '}' ? -1 : number();
            }
            expect('}');
            if (max >= 0 && max < min) throw error("{" + min + "," + max + "}");
            if (Math.max(min, max) > MAX_REPEAT) throw error("repetition over " + MAX_REPEAT);
        } else {
            return atom;
        }
        if (pos < cps.length && (cps[pos] == '?' || cps[pos] == '+' || cps[pos] == '*' || cps[pos] == '{')) {
            throw error("lazy, possessive or stacked quantifier");
        }
        return new Repeat(atom, min, max);
    }

    private int number() {
        int start = pos;
        while (pos < cps.length && cps[pos] >= '0' && cps[pos] <= '9' && pos - start < 6) pos++;
        if (pos == start) throw error("quantifier without a number");
        return Integer.parseInt(new String(cps, start, pos - start));
    }

    private void expect(int c) {
        if (pos >= cps.length || cps[pos] != c) throw error("expected '" + Character.toString(c) + "'");
        pos++;
    }

    private Node atom() {
        int c = cps[pos++];
        switch (c) {
            case '(' -> {
                if (pos < cps.length && cps[pos] == '?') {
                    if (pos + 1 < cps.length && cps[pos + 1] == ':') {
                        pos += 2;
                    } else {
                        throw error("lookaround or named group");
                    }
                }
                Node inner = alternation();
                expect(')');
                return inner;
            }
            case '[' -> {
                return new Chars(characterClass());
            }
            case '.' -> {
                return new Chars(DOT);
            }
            case '\\' -> {
                return new Chars(escape(false));
            }
            case '^', '$' -> throw error("anchor inside the pattern");
            case '*', '+', '?', '{' -> throw error("quantifier without an operand");
            default -> {
                return new Chars(new int[] {c, c});
            }
        }
    }

    /** The ranges of a class, after its opening bracket. */
    private int[] characterClass() {
        boolean negated = pos < cps.length && cps[pos] == '^';
        if (negated) pos++;
        List<int[]> parts = new ArrayList<>();
        boolean first = true;
        while (true) {
            if (pos >= cps.length) throw error("unterminated [");
            int c = cps[pos++];
            if (c == ']' && !first) break;
            first = false;
            int[] item = c == '\\' ? escape(true) : new int[] {c, c};
            boolean single = item.length == 2 && item[0] == item[1];
            if (single && pos + 1 < cps.length && cps[pos] == '-' && cps[pos + 1] != ']') {
                pos++;
                int d = cps[pos++];
                int[] end = d == '\\' ? escape(true) : new int[] {d, d};
                if (end.length != 2 || end[0] != end[1] || end[0] < item[0]) throw error("bad range in [...]");
                item = new int[] {item[0], end[0]};
            }
            parts.add(item);
        }
        int[] set = union(parts);
        return negated ? complement(set) : set;
    }

    /** The ranges of an escape, after its backslash. */
    private int[] escape(boolean inClass) {
        if (pos >= cps.length) throw error("trailing backslash");
        int c = cps[pos++];
        return switch (c) {
            case 'd' -> DIGIT;
            case 'D' -> complement(DIGIT);
            case 'w' -> WORD;
            case 'W' -> complement(WORD);
            case 's' -> ASCII_SPACE;
            case 'S' -> complement(ECMA_SPACE);
            case 'n' -> new int[] {'\n', '\n'};
            case 't' -> new int[] {'\t', '\t'};
            case 'r' -> new int[] {'\r', '\r'};
            case 'f' -> new int[] {'\f', '\f'};
            case 'v' -> new int[] {0x0B, 0x0B};
            case 'u' -> {
                if (pos + 4 > cps.length) throw error("short \\u escape");
                int v;
                try {
                    v = Integer.parseInt(new String(cps, pos, 4), 16);
                } catch (NumberFormatException e) {
                    throw error("bad \\u escape");
                }
                pos += 4;
                yield new int[] {v, v};
            }
            default -> {
                if (c < 128 && !Character.isLetterOrDigit(c) || c == '-' && inClass) yield new int[] {c, c};
                throw error(c >= '1' && c <= '9' ? "backreference \\" + Character.toString(c)
                        : "escape \\" + Character.toString(c));
            }
        };
    }

    private UnsupportedSchemaException error(String what) {
        return UnsupportedSchemaException.at(pointer, "unsupported pattern \"" + pattern + "\" (" + what + ")");
    }

    /** Sorted disjoint ranges covering every given range. */
    private static int[] union(List<int[]> sets) {
        List<int[]> all = new ArrayList<>();
        for (int[] s : sets) {
            for (int i = 0; i < s.length; i += 2) all.add(new int[] {s[i], s[i + 1]});
        }
        all.sort((a, b) -> Integer.compare(a[0], b[0]));
        List<Integer> out = new ArrayList<>();
        for (int[] r : all) {
            int n = out.size();
            if (n > 0 && r[0] <= out.get(n - 1) + 1) {
                out.set(n - 1, Math.max(out.get(n - 1), r[1]));
            } else {
                out.add(r[0]);
                out.add(r[1]);
            }
        }
        return out.stream().mapToInt(Integer::intValue).toArray();
    }

    /** The code points not in sorted disjoint {@code ranges}. */
    private static int[] complement(int[] ranges) {
        List<Integer> out = new ArrayList<>();
        int next = 0;
        for (int i = 0; i < ranges.length; i += 2) {
            if (ranges[i] > next) {
                out.add(next);
                out.add(ranges[i] - 1);
            }
            next = ranges[i + 1] + 1;
        }
        if (next <= CodePointDfa.MAX_CODE_POINT) {
            out.add(next);
            out.add(CodePointDfa.MAX_CODE_POINT);
        }
        return out.stream().mapToInt(Integer::intValue).toArray();
    }

    /** Thompson's construction, then the subset construction over range boundaries. */
    private final class Nfa {
        private final List<List<Integer>> epsilon = new ArrayList<>();
        private final List<List<int[]>> edges = new ArrayList<>();

        private int state() {
            if (epsilon.size() >= MAX_NFA_STATES) throw error("too large once repetitions are expanded");
            epsilon.add(new ArrayList<>());
            edges.add(new ArrayList<>());
            return epsilon.size() - 1;
        }

        /** Builds {@code node} between new states; returns {start, end}. */
        private int[] build(Node node) {
            int start = state();
            int end = state();
            switch (node) {
                case Chars c -> {
                    int[] r = c.ranges();
                    for (int i = 0; i < r.length; i += 2) {
                        // surrogates never come out of valid UTF-8 nor of the escapes that strings allow
                        if (r[i] < 0xD800) edges.get(start).add(new int[] {r[i], Math.min(r[i + 1], 0xD7FF), end});
                        if (r[i + 1] > 0xDFFF) edges.get(start).add(new int[] {Math.max(r[i], 0xE000), r[i + 1], end});
                    }
                }
                case Concat c -> {
                    int at = start;
                    for (Node part : c.parts()) {
                        int[] f = build(part);
                        epsilon.get(at).add(f[0]);
                        at = f[1];
                    }
                    epsilon.get(at).add(end);
                }
                case Alternation a -> {
                    for (Node option : a.options()) {
                        int[] f = build(option);
                        epsilon.get(start).add(f[0]);
                        epsilon.get(f[1]).add(end);
                    }
                }
                case Repeat r -> {
                    int at = start;
                    for (int i = 0; i < r.min(); i++) {
                        int[] f = build(r.body());
                        epsilon.get(at).add(f[0]);
                        at = f[1];
                    }
                    if (r.max() < 0) {
                        int[] f = build(r.body());
                        epsilon.get(at).add(f[0]);
                        epsilon.get(f[1]).add(at);
                    } else {
                        for (int i = r.min(); i < r.max(); i++) {
                            int[] f = build(r.body());
                            epsilon.get(at).add(f[0]);
                            epsilon.get(at).add(end);
                            at = f[1];
                        }
                    }
                    epsilon.get(at).add(end);
                }
            }
            return new int[] {start, end};
        }

        private int[] closure(int[] states) {
            TreeSet<Integer> seen = new TreeSet<>();
            ArrayDeque<Integer> work = new ArrayDeque<>();
            for (int s : states) {
                if (seen.add(s)) work.add(s);
            }
            while (!work.isEmpty()) {
                for (int t : epsilon.get(work.poll())) {
                    if (seen.add(t)) work.add(t);
                }
            }
            return seen.stream().mapToInt(Integer::intValue).toArray();
        }

        CodePointDfa determinize(Node root) {
            int[] f = build(root);
            int accept = f[1];
            CodePointDfa.Builder dfa = new CodePointDfa.Builder();
            Map<List<Integer>, Integer> index = new HashMap<>();
            List<int[]> sets = new ArrayList<>();
            int[] first = closure(new int[] {f[0]});
            index.put(key(first), dfa.addState(contains(first, accept)));
            sets.add(first);
            for (int d = 0; d < sets.size(); d++) {
                List<int[]> out = new ArrayList<>();
                for (int s : sets.get(d)) out.addAll(edges.get(s));
                TreeSet<Integer> cuts = new TreeSet<>();
                for (int[] e : out) {
                    cuts.add(e[0]);
                    cuts.add(e[1] + 1);
                }
                Integer[] points = cuts.toArray(new Integer[0]);
                for (int i = 0; i + 1 < points.length; i++) {
                    int lo = points[i];
                    int hi = points[i + 1] - 1;
                    int[] next = out.stream().filter(e -> e[0] <= lo && e[1] >= hi).mapToInt(e -> e[2])
                            .distinct().toArray();
                    if (next.length == 0) continue;
                    int[] target = closure(next);
                    Integer t = index.get(key(target));
                    if (t == null) {
                        t = dfa.addState(contains(target, accept));
                        index.put(key(target), t);
                        sets.add(target);
                    }
                    dfa.addEdge(d, lo, hi, t);
                }
            }
            return dfa.build();
        }

        private static List<Integer> key(int[] set) {
            return Arrays.stream(set).boxed().toList();
        }

        private static boolean contains(int[] sorted, int s) {
            return Arrays.binarySearch(sorted, s) >= 0;
        }
    }
}
