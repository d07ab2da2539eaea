package dev.llama3j.grammar;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A deterministic automaton over Unicode code points with range transitions: what a JSON string's decoded
 * characters must spell (pattern, format, length). Every state can still reach an accepting one, so a string is
 * never led into a dead end; state 0 is the start.
 */
final class CodePointDfa {
    static final int MAX_CODE_POINT = 0x10FFFF;
    /** Most states any constructed automaton may have, so that a schema cannot make compilation explode. */
    static final int MAX_STATES = 50_000;

    private final int[][] lows;
    private final int[][] highs;
    private final int[][] targets;
    private final boolean[] accepting;

    /** By state: where every character leads, or -1 when characters lead to different places or nowhere. */
    private final int[] uniformTarget;

    private CodePointDfa(int[][] lows, int[][] highs, int[][] targets, boolean[] accepting) {
        this.lows = lows;
        this.highs = highs;
        this.targets = targets;
        this.accepting = accepting;
        this.uniformTarget = new int[accepting.length];
        for (int q = 0; q < accepting.length; q++) {
            int t = targets[q].length > 0 ? targets[q][0] : -1;
            int covered = 0;
            for (int i = 0; i < targets[q].length && t >= 0; i++) {
                if (targets[q][i] != t || lows[q][i] > covered) t = -1;
                covered = highs[q][i] + 1;
                if (covered == 0xD800) covered = 0xE000;
            }
            uniformTarget[q] = covered > MAX_CODE_POINT ? t : -1;
        }
    }

    /** Where every character leads from {@code state}, or -1 when it depends on the character. */
    int uniformTarget(int state) {
        return uniformTarget[state];
    }

    /** Any string. */
    static CodePointDfa anyString() {
        Builder b = new Builder();
        int s = b.addState(true);
        b.addEdge(s, 0, MAX_CODE_POINT, s);
        return b.build();
    }

    /** Strings of {@code min} to {@code max} code points ({@code max < 0}: no upper bound). */
    static CodePointDfa lengths(int min, int max) {
        int last = max >= 0 ? max : min;
        if (last >= MAX_STATES) throw new IllegalArgumentException("string length bound " + last + " is too large");
        Builder b = new Builder();
        for (int i = 0; i <= last; i++) b.addState(i >= min);
        for (int i = 0; i < last; i++) b.addEdge(i, 0, MAX_CODE_POINT, i + 1);
        if (max < 0) b.addEdge(last, 0, MAX_CODE_POINT, last);
        return b.build();
    }

    int size() {
        return accepting.length;
    }

    /** Whether no string is accepted (then the automaton has no state at all). */
    boolean isEmpty() {
        return accepting.length == 0;
    }

    boolean accepting(int state) {
        return accepting[state];
    }

    /** The state after code point {@code cp}, or -1. */
    int step(int state, int cp) {
        int[] lo = lows[state];
        int[] hi = highs[state];
        int a = 0;
        int b = lo.length - 1;
        while (a <= b) {
            int m = (a + b) >>> 1;
            if (cp < lo[m]) {
                b = m - 1;
            } else if (cp > hi[m]) {
                a = m + 1;
            } else {
                return targets[state][m];
            }
        }
        return -1;
    }

    /** Whether some code point in {@code from..to} has a transition from {@code state}. */
    boolean canStep(int state, int from, int to) {
        int[] lo = lows[state];
        int[] hi = highs[state];
        for (int i = 0; i < lo.length; i++) {
            if (lo[i] <= to && hi[i] >= from) return true;
        }
        return false;
    }

    /** The strings both automata accept. */
    CodePointDfa intersect(CodePointDfa other) {
        Builder b = new Builder();
        Map<Long, Integer> index = new HashMap<>();
        ArrayDeque<long[]> work = new ArrayDeque<>();
        if (isEmpty() || other.isEmpty()) return b.build();
        index.put(0L, b.addState(accepting[0] && other.accepting[0]));
        work.add(new long[] {0, 0});
        while (!work.isEmpty()) {
            long[] pair = work.poll();
            int p = (int) pair[0];
            int q = (int) pair[1];
            int from = index.get((long) p * MAX_STATES + q);
            int[] lo1 = lows[p], hi1 = highs[p], to1 = targets[p];
            int[] lo2 = other.lows[q], hi2 = other.highs[q], to2 = other.targets[q];
            for (int i = 0, j = 0; i < lo1.length && j < lo2.length; ) {
                int lo = Math.max(lo1[i], lo2[j]);
                int hi = Math.min(hi1[i], hi2[j]);
                if (lo <= hi) {
                    long key = (long) to1[i] * MAX_STATES + to2[j];
                    Integer target = index.get(key);
                    if (target == null) {
                        target = b.addState(accepting[to1[i]] && other.accepting[to2[j]]);
                        index.put(key, target);
                        work.add(new long[] {to1[i], to2[j]});
                    }
                    b.addEdge(from, lo, hi, target);
                }
                if (hi1[i] < hi2[j]) i++;
                else j++;
            }
        }
        return b.build();
    }

    /** Collects states and range edges, then keeps only the states on some path from the start to acceptance. */
    static final class Builder {
        private final List<List<int[]>> edges = new ArrayList<>();
        private final List<Boolean> accepts = new ArrayList<>();

        int addState(boolean accept) {
            if (accepts.size() >= MAX_STATES) {
                throw new IllegalArgumentException("string constraints need more than " + MAX_STATES + " states");
            }
            edges.add(new ArrayList<>());
            accepts.add(accept);
            return accepts.size() - 1;
        }

        /** An edge on {@code lo..hi}; a state's edges must be added in increasing, disjoint order. */
        void addEdge(int from, int lo, int hi, int to) {
            List<int[]> list = edges.get(from);
            if (!list.isEmpty()) {
                int[] last = list.getLast();
                if (last[2] == to && last[1] + 1 == lo) {
                    last[1] = hi;
                    return;
                }
            }
            list.add(new int[] {lo, hi, to});
        }

        CodePointDfa build() {
            int n = accepts.size();
            List<List<Integer>> reverse = new ArrayList<>();
            for (int s = 0; s < n; s++) reverse.add(new ArrayList<>());
            for (int s = 0; s < n; s++) {
                for (int[] e : edges.get(s)) reverse.get(e[2]).add(s);
            }
            boolean[] live = new boolean[n];
            ArrayDeque<Integer> pending = new ArrayDeque<>();
            for (int s = 0; s < n; s++) {
                if (accepts.get(s)) {
                    live[s] = true;
                    pending.add(s);
                }
            }
            while (!pending.isEmpty()) {
                for (int s : reverse.get(pending.poll())) {
                    if (!live[s]) {
                        live[s] = true;
                        pending.add(s);
                    }
                }
            }
            int[] renumber = new int[n];
            Arrays.fill(renumber, -1);
            int count = 0;
            if (n > 0 && live[0]) {
                ArrayDeque<Integer> work = new ArrayDeque<>();
                renumber[0] = count++;
                work.add(0);
                while (!work.isEmpty()) {
                    int s = work.poll();
                    for (int[] e : edges.get(s)) {
                        if (live[e[2]] && renumber[e[2]] < 0) {
                            renumber[e[2]] = count++;
                            work.add(e[2]);
                        }
                    }
                }
            }
            int[][] lo = new int[count][];
            int[][] hi = new int[count][];
            int[][] to = new int[count][];
            boolean[] acc = new boolean[count];
            for (int s = 0; s < n; s++) {
                int r = renumber[s];
                if (r < 0) continue;
                List<int[]> kept = edges.get(s).stream().filter(e -> renumber[e[2]] >= 0).toList();
                lo[r] = kept.stream().mapToInt(e -> e[0]).toArray();
                hi[r] = kept.stream().mapToInt(e -> e[1]).toArray();
                to[r] = kept.stream().mapToInt(e -> renumber[e[2]]).toArray();
                acc[r] = accepts.get(s);
            }
            return new CodePointDfa(lo, hi, to, acc);
        }
    }
}
