package dev.llama3j.grammar;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Sets of Unicode code points as sorted, disjoint, non-adjacent ranges {@code {lo0, hi0, lo1, hi1, ...}}, without
 * surrogates (UTF-8 cannot carry them): a GBNF grammar's terminals.
 */
final class CodePoints {
    private CodePoints() {}

    static final int MAX = 0x10FFFF;
    /** Every character: GBNF's {@code .}. */
    static final int[] ANY = {0, 0xD7FF, 0xE000, MAX};
    /** What {@link GrammarState#isFreeText()} calls plain text: no control character, quote or backslash. */
    static final int[] PLAIN_TEXT = normalize(List.of(new int[] {0x20, 0x21}, new int[] {0x23, 0x5B},
            new int[] {0x5D, 0x7E}, new int[] {0x80, MAX}));

    /** The union of {@code ranges} ({@code {lo, hi}} pairs, in any order) less the surrogates. */
    static int[] normalize(List<int[]> ranges) {
        List<int[]> split = new ArrayList<>();
        for (int[] r : ranges) {
            if (r[0] < 0xD800) split.add(new int[] {r[0], Math.min(r[1], 0xD7FF)});
            if (r[1] > 0xDFFF) split.add(new int[] {Math.max(r[0], 0xE000), r[1]});
        }
        split.removeIf(r -> r[0] > r[1]);
        split.sort((a, b) -> Integer.compare(a[0], b[0]));
        int[] out = new int[split.size() * 2];
        int n = 0;
        for (int[] r : split) {
            if (n > 0 && r[0] <= out[n - 1] + 1) {
                out[n - 1] = Math.max(out[n - 1], r[1]);
            } else {
                out[n++] = r[0];
                out[n++] = r[1];
            }
        }
        return Arrays.copyOf(out, n);
    }

    /** Every character not in {@code set}. */
    static int[] complement(int[] set) {
        List<int[]> ranges = new ArrayList<>();
        int from = 0;
        for (int i = 0; i < set.length; i += 2) {
            if (set[i] > from) ranges.add(new int[] {from, set[i] - 1});
            from = set[i + 1] + 1;
        }
        if (from <= MAX) ranges.add(new int[] {from, MAX});
        return normalize(ranges);
    }

    static boolean contains(int[] set, int cp) {
        int a = 0;
        int b = set.length / 2 - 1;
        while (a <= b) {
            int m = (a + b) >>> 1;
            if (cp < set[2 * m]) {
                b = m - 1;
            } else if (cp > set[2 * m + 1]) {
                a = m + 1;
            } else {
                return true;
            }
        }
        return false;
    }

    /** Whether some code point in {@code lo..hi} is in {@code set}. */
    static boolean intersects(int[] set, int lo, int hi) {
        for (int i = 0; i < set.length; i += 2) {
            if (set[i] <= hi && set[i + 1] >= lo) return true;
        }
        return false;
    }

    /** Whether every code point of {@code other} is in {@code set}. */
    static boolean containsAll(int[] set, int[] other) {
        for (int i = 0; i < other.length; i += 2) {
            boolean inside = false;
            for (int j = 0; j < set.length && !inside; j += 2) {
                inside = set[j] <= other[i] && set[j + 1] >= other[i + 1];
            }
            if (!inside) return false;
        }
        return true;
    }

    /** Whether some code point of {@code other} is in {@code set}. */
    static boolean intersects(int[] set, int[] other) {
        for (int i = 0; i < other.length; i += 2) {
            if (intersects(set, other[i], other[i + 1])) return true;
        }
        return false;
    }
}
