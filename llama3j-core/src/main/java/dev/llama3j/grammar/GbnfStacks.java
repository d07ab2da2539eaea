package dev.llama3j.grammar;

import java.util.Arrays;
import java.util.HashSet;
import java.util.Set;

/**
 * The stacks one step of a GBNF matcher leads to: each stack added is expanded until a character set is on top
 * (references replaced by their rule's alternatives, ended rules popped), and kept once. A reference that ends
 * its alternative pushes no return (a tail call), so that repetitions run in constant stack depth. Bounded by
 * {@link GbnfLimits#MAX_STACKS} and {@link GbnfLimits#MAX_EXPANSIONS}. Most steps keep a handful of stacks, so
 * the sets are arrays searched in order until they grow. The expansion of a stack popped into (what follows a
 * rule's end) is kept on that stack: every character of a number or a string pops into the same one.
 */
final class GbnfStacks {
    private static final int SMALL = 16;
    /** Most nested expansions kept on stacks at once (each pops into the next), against deep recursion. */
    private static final int MAX_KEPT_DEPTH = 32;

    private final GbnfProgram program;
    private GbnfStack[] out = new GbnfStack[4];
    private int size;
    private Set<GbnfStack> outSet;
    private GbnfStack[] work = new GbnfStack[8];
    /** The reference tops expanded so far in this step: the same one twice adds nothing new. */
    private GbnfStack[] expanded;
    private int expansions;
    private Set<GbnfStack> expandedSet;
    private final int depth;

    GbnfStacks(GbnfProgram program) {
        this(program, 0);
    }

    private GbnfStacks(GbnfProgram program, int depth) {
        this.program = program;
        this.depth = depth;
    }

    /** Adds every stack with a character set on top (or DONE) that {@code s} leads to without reading. */
    void expand(GbnfStack s) {
        int top = 0;
        work[top++] = s;
        while (top > 0) {
            GbnfStack t = work[--top];
            if (t == GbnfStack.DONE) {
                keep(t);
                continue;
            }
            switch (program.kind[t.pos]) {
                case GbnfProgram.CHARS -> keep(t);
                case GbnfProgram.END -> {
                    GbnfStack rest = t.pop();
                    if (rest == GbnfStack.DONE || depth >= MAX_KEPT_DEPTH) {
                        work[top++] = rest;
                    } else {
                        for (GbnfStack e : expansionOf(rest)) keep(e);
                    }
                }
                default -> {
                    if (!firstExpansion(t)) continue;
                    int next = t.pos + 1;
                    GbnfStack back = program.kind[next] == GbnfProgram.END ? t.below : new GbnfStack(next, t.below);
                    int[] alts = program.alternatives[program.rule[t.pos]];
                    if (top + alts.length > work.length) work = Arrays.copyOf(work, (top + alts.length) * 2);
                    for (int k = alts.length - 1; k >= 0; k--) work[top++] = new GbnfStack(alts[k], back);
                }
            }
        }
    }

    /** The stacks {@code s} expands to, computed once and kept on it. */
    private GbnfStack[] expansionOf(GbnfStack s) {
        GbnfStack.Expanded e = s.expanded();
        if (e == null) {
            GbnfStacks own = new GbnfStacks(program, depth + 1);
            own.expand(s);
            e = new GbnfStack.Expanded(own.toArray());
            s.expanded(e);
        }
        return e.stacks();
    }

    private boolean firstExpansion(GbnfStack t) {
        if (expansions >= GbnfLimits.MAX_EXPANSIONS) throw ambiguous();
        if (expandedSet != null) {
            if (!expandedSet.add(t)) return false;
        } else {
            if (expanded == null) expanded = new GbnfStack[SMALL];
            for (int i = 0; i < expansions; i++) {
                if (expanded[i].equals(t)) return false;
            }
            if (expansions < SMALL) {
                expanded[expansions] = t;
            } else {
                expandedSet = new HashSet<>(Arrays.asList(expanded));
                expandedSet.add(t);
            }
        }
        expansions++;
        return true;
    }

    private void keep(GbnfStack s) {
        if (outSet != null) {
            if (!outSet.add(s)) return;
        } else {
            for (int i = 0; i < size; i++) {
                if (out[i].equals(s)) return;
            }
            if (size == SMALL) outSet = new HashSet<>(Arrays.asList(out).subList(0, size));
            if (outSet != null) outSet.add(s);
        }
        if (size == GbnfLimits.MAX_STACKS) throw ambiguous();
        if (size == out.length) out = Arrays.copyOf(out, size * 2);
        out[size++] = s;
    }

    boolean isEmpty() {
        return size == 0;
    }

    GbnfStack[] toArray() {
        return Arrays.copyOf(out, size);
    }

    private static GbnfException ambiguous() {
        return new GbnfException("the grammar is too ambiguous: the output so far can be read in more than "
                + GbnfLimits.MAX_STACKS + " ways at once (or needs more than " + GbnfLimits.MAX_EXPANSIONS
                + " rule expansions for one character); make its alternatives exclusive");
    }
}
