package dev.llama3j.grammar;

import java.util.Arrays;
import java.util.HashSet;

/**
 * Where an output under a GBNF grammar stands: the set of parse stacks that read its characters so far, and the
 * UTF-8 state of a character under way ({@link Utf8Step}; 0 between characters). The grammar is over code points,
 * the output comes in bytes: a byte that begins or continues a character is accepted while some stack's set still
 * holds a code point it can become, so a token may end inside a character and the next one finish it.
 */
public final class GbnfState extends GrammarState<GbnfState> {
    private final GbnfProgram program;
    private final GbnfStack[] stacks;
    private final int partial;
    /** Mid-character after free text: the state before the character, which every whole character leads back to. */
    private final GbnfState freeOrigin;
    private final int hash;
    /** 0: not known yet, 1: free text, 2: not. */
    private byte freeText;

    private GbnfState(GbnfProgram program, GbnfStack[] stacks, int partial, GbnfState freeOrigin) {
        this.program = program;
        this.stacks = stacks;
        this.partial = partial;
        this.freeOrigin = freeOrigin;
        int h = 31 * partial;
        for (GbnfStack s : stacks) h += s.hashCode();
        this.hash = h;
    }

    private GbnfState(GbnfProgram program, GbnfStack[] stacks, int partial) {
        this(program, stacks, partial, null);
    }

    /** The state before the first character: root's alternatives expanded. */
    static GbnfState start(GbnfProgram program) {
        GbnfStacks out = new GbnfStacks(program);
        for (int alt : program.alternatives[program.root]) out.expand(new GbnfStack(alt, null));
        return new GbnfState(program, out.toArray(), 0);
    }

    @Override
    public boolean canEnd() {
        if (partial != 0) return false;
        for (GbnfStack s : stacks) {
            if (s == GbnfStack.DONE) return true;
        }
        return false;
    }

    /** Free text where every plain character leads back here: the stacks whose set holds one hold them all. */
    @Override
    boolean isFreeText() {
        if (freeText == 0) {
            freeText = 2;   // while it is computed: the step it takes must not take the fast path
            freeText = (byte) (computeFreeText() ? 1 : 2);
        }
        return freeText == 1;
    }

    private boolean computeFreeText() {
        if (partial != 0) return false;
        boolean some = false;
        for (GbnfStack s : stacks) {
            if (s == GbnfStack.DONE) continue;
            int[] set = program.chars[s.pos];
            if (CodePoints.containsAll(set, CodePoints.PLAIN_TEXT)) {
                some = true;
            } else if (CodePoints.intersects(set, CodePoints.PLAIN_TEXT)) {
                return false;
            }
        }
        // every plain character takes the same stacks on, so one of them stands for all
        return some && equals(step('a'));
    }

    /** A step between characters expands rules: walks share the steps of equal states. */
    @Override
    boolean costlySteps() {
        return true;
    }

    @Override
    boolean midCharacter() {
        return partial != 0;
    }

    @Override
    GbnfState detached() {
        return new GbnfState(program, stacks, partial);
    }

    @Override
    GbnfState compute(int b) {
        if (partial == 0 && b < 0x80) {
            boolean plain = b >= 0x20 && b != '"' && b != '\\' && b != 0x7F;
            return plain && isFreeText() ? this : read(b);
        }
        int u = Utf8Step.next(partial, b);
        if (u < 0) return null;
        if (!Utf8Step.partial(u)) return freeOrigin != null ? freeOrigin : read(Utf8Step.codePoint(u));
        if (freeOrigin != null) return new GbnfState(program, stacks, u, freeOrigin);
        int lo = Utf8Step.low(u);
        int hi = Utf8Step.high(u);
        GbnfStack[] alive = new GbnfStack[stacks.length];
        int n = 0;
        for (GbnfStack s : stacks) {
            if (s != GbnfStack.DONE && CodePoints.intersects(program.chars[s.pos], lo, hi)) alive[n++] = s;
        }
        if (n == 0) return null;
        // every character past U+007F is plain text: after free text, it leads back to where it began
        GbnfState origin = partial == 0 && isFreeText() ? this : null;
        return new GbnfState(program, n == alive.length ? alive : Arrays.copyOf(alive, n), u, origin);
    }

    /** The state after the whole character {@code cp}: this one when nothing changes. */
    private GbnfState read(int cp) {
        GbnfStacks next = null;
        for (GbnfStack s : stacks) {
            if (s != GbnfStack.DONE && CodePoints.contains(program.chars[s.pos], cp)) {
                if (next == null) next = new GbnfStacks(program);
                next.expand(new GbnfStack(s.pos + 1, s.below));
            }
        }
        if (next == null) return null;
        GbnfState r = new GbnfState(program, next.toArray(), 0);
        return r.equals(this) ? this : r;
    }

    @Override
    public int hashCode() {
        return hash;
    }

    @Override
    public boolean equals(Object o) {
        if (this == o) return true;
        if (!(o instanceof GbnfState other) || other.hash != hash || other.partial != partial
                || other.program != program || other.stacks.length != stacks.length) {
            return false;
        }
        return Arrays.equals(stacks, other.stacks)
                || new HashSet<>(Arrays.asList(stacks)).equals(new HashSet<>(Arrays.asList(other.stacks)));
    }

    @Override
    public String toString() {
        return "GbnfState" + Arrays.toString(stacks) + (partial != 0 ? " partial " + partial : "");
    }
}
