package dev.llama3j.grammar;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Flattens parsed GBNF rules into a {@link GbnfProgram}. Groups of several alternatives become rules of their own;
 * {@code x{m,n}} becomes m copies of x and a chain of n - m optional ones, {@code x*} (and the open end of
 * {@code x+}, {@code x{m,}}) a rule {@code L ::= x L | ""}. Then it checks what the matcher relies on: every rule
 * used is defined and {@code root} is; every rule that root reaches can match some finite text (alternatives that
 * cannot are dropped); and no rule reaches itself before reading a character through a reference that leaves
 * something to match after it (left recursion, which would grow a stack without end).
 */
final class GbnfCompiler {
    private final List<GbnfExpr.Rule> defs;
    private final Map<String, Integer> index = new HashMap<>();
    /** By rule: its alternatives; a symbol >= 0 is the set sets[s], < 0 the rule ~s. */
    private final List<List<Symbols>> rules = new ArrayList<>();
    /** By rule: the defined rule it was made for (itself for one defined). */
    private final List<Integer> owner = new ArrayList<>();
    private final List<int[]> sets = new ArrayList<>();
    private int symbols;
    private int current;

    private GbnfCompiler(List<GbnfExpr.Rule> defs) {
        this.defs = defs;
    }

    static GbnfProgram compile(List<GbnfExpr.Rule> defs) {
        return new GbnfCompiler(defs).program();
    }

    private GbnfProgram program() {
        for (GbnfExpr.Rule d : defs) {
            Integer first = index.putIfAbsent(d.name(), index.size());
            if (first != null) {
                GbnfExpr.Rule earlier = defs.get(first);
                throw GbnfException.at(d.line(), d.column(), "rule " + d.name() + " is defined twice (first at line "
                        + earlier.line() + ")");
            }
            rules.add(null);
            owner.add(index.size() - 1);
        }
        Integer root = index.get("root");
        if (root == null) throw new GbnfException("no rule named root: the output is what root ::= ... matches");
        for (int r = 0; r < defs.size(); r++) {
            current = r;
            rules.set(r, alternatives(defs.get(r).body()));
        }
        boolean[] productive = closure(true);
        checkProductive(root, productive);
        prune(productive);
        checkLeftRecursion();
        return flatten(root);
    }

    private List<Symbols> alternatives(GbnfExpr body) {
        List<Symbols> alts = new ArrayList<>();
        if (body instanceof GbnfExpr.Choice c) {
            for (GbnfExpr o : c.options()) alts.add(sequence(o));
        } else {
            alts.add(sequence(body));
        }
        return alts;
    }

    private Symbols sequence(GbnfExpr e) {
        Symbols out = new Symbols();
        append(e, out);
        return out;
    }

    private void append(GbnfExpr e, Symbols out) {
        switch (e) {
            case GbnfExpr.Chars c -> {
                sets.add(c.set());
                add(out, sets.size() - 1);
            }
            case GbnfExpr.Ref r -> {
                Integer target = index.get(r.name());
                if (target == null) {
                    throw GbnfException.at(r.line(), r.column(), "rule " + r.name() + " is not defined");
                }
                add(out, ~target);
            }
            case GbnfExpr.Sequence s -> {
                for (GbnfExpr item : s.items()) append(item, out);
            }
            case GbnfExpr.Choice c -> add(out, ~newRule(alternatives(c)));
            case GbnfExpr.Repeat r -> repeat(r, out);
        }
    }

    private void repeat(GbnfExpr.Repeat r, Symbols out) {
        Symbols item = sequence(r.item());
        int unit = item.size() == 1 ? item.get(0) : ~newRule(List.of(item));
        for (int k = 0; k < r.min(); k++) add(out, unit);
        if (r.max() < 0) {
            int loop = newRule(new ArrayList<>());
            Symbols again = new Symbols();
            add(again, unit);
            add(again, ~loop);
            rules.get(loop).addAll(List.of(again, new Symbols()));
            add(out, ~loop);
            return;
        }
        int tail = 0;
        for (int k = r.min(); k < r.max(); k++) {
            Symbols some = new Symbols();
            add(some, unit);
            if (tail != 0) add(some, tail);
            tail = ~newRule(List.of(some, new Symbols()));
        }
        if (tail != 0) add(out, tail);
    }

    private int newRule(List<Symbols> alts) {
        if (rules.size() >= GbnfLimits.MAX_RULES) {
            throw tooLarge("more than " + GbnfLimits.MAX_RULES + " rules");
        }
        rules.add(new ArrayList<>(alts));
        owner.add(current);
        return rules.size() - 1;
    }

    private void add(Symbols out, int symbol) {
        if (++symbols > GbnfLimits.MAX_SYMBOLS) throw tooLarge("more than " + GbnfLimits.MAX_SYMBOLS + " symbols");
        out.add(symbol);
    }

    private GbnfException tooLarge(String what) {
        GbnfExpr.Rule d = defs.get(current);
        return GbnfException.at(d.line(), d.column(), "the grammar is too large: " + what + " once groups and "
                + "repetitions are expanded (in rule " + d.name() + ")");
    }

    /**
     * Which rules can match some text ({@code productive}: some finite text; else: the empty text), as a least
     * fixed point: a rule qualifies once one of its alternatives has only qualifying symbols. Linear: each
     * alternative counts the rule symbols it still waits for.
     */
    private boolean[] closure(boolean productive) {
        int n = rules.size();
        boolean[] done = new boolean[n];
        List<int[]> waiting = new ArrayList<>();
        List<List<Integer>> users = new ArrayList<>();
        for (int r = 0; r < n; r++) users.add(new ArrayList<>());
        ArrayDeque<Integer> ready = new ArrayDeque<>();
        for (int r = 0; r < n; r++) {
            for (Symbols alt : rules.get(r)) {
                int pending = 0;
                boolean possible = true;
                for (int k = 0; k < alt.size(); k++) {
                    int s = alt.get(k);
                    if (s < 0) {
                        pending++;
                        users.get(~s).add(waiting.size());
                    } else if (!productive || sets.get(s).length == 0) {
                        possible = false;
                    }
                }
                waiting.add(new int[] {r, possible ? pending : -1});
                if (possible && pending == 0 && !done[r]) {
                    done[r] = true;
                    ready.add(r);
                }
            }
        }
        while (!ready.isEmpty()) {
            for (int a : users.get(ready.poll())) {
                int[] w = waiting.get(a);
                if (w[1] > 0 && --w[1] == 0 && !done[w[0]]) {
                    done[w[0]] = true;
                    ready.add(w[0]);
                }
            }
        }
        return done;
    }

    /** Every defined rule that root reaches must match some finite text. */
    private void checkProductive(int root, boolean[] productive) {
        boolean[] reached = new boolean[rules.size()];
        ArrayDeque<Integer> work = new ArrayDeque<>(List.of(root));
        reached[root] = true;
        while (!work.isEmpty()) {
            for (Symbols alt : rules.get(work.poll())) {
                for (int k = 0; k < alt.size(); k++) {
                    int s = alt.get(k);
                    if (s < 0 && !reached[~s]) {
                        reached[~s] = true;
                        work.add(~s);
                    }
                }
            }
        }
        for (int r = 0; r < defs.size(); r++) {
            if (reached[r] && !productive[r]) {
                GbnfExpr.Rule d = defs.get(r);
                throw GbnfException.at(d.line(), d.column(), "rule " + d.name() + " matches no text that ends (each "
                        + "alternative refers to it again or to such a rule, or has an empty class)");
            }
        }
    }

    /** Drops the alternatives that cannot match a finite text. */
    private void prune(boolean[] productive) {
        for (List<Symbols> alts : rules) {
            alts.removeIf(alt -> {
                for (int k = 0; k < alt.size(); k++) {
                    int s = alt.get(k);
                    if (s < 0 ? !productive[~s] : sets.get(s).length == 0) return true;
                }
                return false;
            });
        }
    }

    /**
     * Rejects a rule that reaches itself at the start of its text through a reference with something after it: the
     * matcher would push that reference's return without end. Those left edges are found among the strongly
     * connected components of all left edges (references after symbols that can match the empty text only); a
     * cycle of references that each end their alternative is harmless and allowed.
     */
    private void checkLeftRecursion() {
        boolean[] nullable = closure(false);
        int n = rules.size();
        List<List<int[]>> edges = new ArrayList<>();
        for (int r = 0; r < n; r++) {
            List<int[]> out = new ArrayList<>();
            for (Symbols alt : rules.get(r)) {
                for (int k = 0; k < alt.size(); k++) {
                    int s = alt.get(k);
                    if (s >= 0) break;
                    out.add(new int[] {~s, k == alt.size() - 1 ? 0 : 1});
                    if (!nullable[~s]) break;
                }
            }
            edges.add(out);
        }
        int[] component = StrongComponents.of(n, r -> edges.get(r).stream().mapToInt(e -> e[0]).toArray());
        for (int r = 0; r < n; r++) {
            for (int[] e : edges.get(r)) {
                if (e[1] == 1 && component[e[0]] == component[r]) throw leftRecursion(r, e[0], edges, component);
            }
        }
    }

    /** The error for the left edge {@code from -> to} on a cycle: the path back from {@code to}, by rule name. */
    private GbnfException leftRecursion(int from, int to, List<List<int[]>> edges, int[] component) {
        int[] parent = new int[rules.size()];
        Arrays.fill(parent, -1);
        parent[to] = to;
        ArrayDeque<Integer> work = new ArrayDeque<>(List.of(to));
        while (!work.isEmpty() && parent[from] < 0) {
            int r = work.poll();
            for (int[] e : edges.get(r)) {
                if (component[e[0]] == component[r] && parent[e[0]] < 0) {
                    parent[e[0]] = r;
                    work.add(e[0]);
                }
            }
        }
        List<String> names = new ArrayList<>();
        for (int r = from; ; r = parent[r]) {
            names.addFirst(defs.get(owner.get(r)).name());
            if (r == to) break;
        }
        names.addFirst(defs.get(owner.get(from)).name());
        List<String> path = new ArrayList<>();
        for (String name : names) {
            if (path.isEmpty() || !path.getLast().equals(name)) path.add(name);
        }
        if (path.size() == 1) path.add(path.getFirst());
        GbnfExpr.Rule d = defs.get(owner.get(from));
        return GbnfException.at(d.line(), d.column(), "left recursion: rule " + d.name() + " can reach itself before "
                + "matching any character (" + String.join(" -> ", path) + ")");
    }

    private GbnfProgram flatten(int root) {
        int positions = 0;
        for (List<Symbols> alts : rules) {
            for (Symbols alt : alts) positions += alt.size() + 1;
        }
        byte[] kind = new byte[positions];
        int[] rule = new int[positions];
        int[][] chars = new int[positions][];
        int[][] starts = new int[rules.size()][];
        int p = 0;
        for (int r = 0; r < rules.size(); r++) {
            List<Symbols> alts = rules.get(r);
            starts[r] = new int[alts.size()];
            for (int a = 0; a < alts.size(); a++) {
                starts[r][a] = p;
                Symbols alt = alts.get(a);
                for (int k = 0; k < alt.size(); k++, p++) {
                    int s = alt.get(k);
                    if (s < 0) {
                        kind[p] = GbnfProgram.REF;
                        rule[p] = ~s;
                    } else {
                        kind[p] = GbnfProgram.CHARS;
                        chars[p] = sets.get(s);
                    }
                }
                kind[p++] = GbnfProgram.END;
            }
        }
        return new GbnfProgram(kind, rule, chars, starts, root);
    }

    /** A growable list of symbols: one alternative. */
    private static final class Symbols {
        private int[] items = new int[4];
        private int size;

        void add(int symbol) {
            if (size == items.length) items = Arrays.copyOf(items, size * 2);
            items[size++] = symbol;
        }

        int get(int k) {
            return items[k];
        }

        int size() {
            return size;
        }
    }
}
