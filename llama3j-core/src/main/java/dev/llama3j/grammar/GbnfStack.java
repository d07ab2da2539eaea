package dev.llama3j.grammar;

/**
 * One way of reading a GBNF output: an immutable linked stack of program positions with a cached hash. The top
 * is the next symbol to match (a character set, once expanded); below it wait the positions to return to when
 * its rule ends. Stacks share their lower part. {@link #DONE}: root has ended, nothing may follow.
 */
final class GbnfStack {
    static final GbnfStack DONE = new GbnfStack(-1, null);

    final int pos;
    /** The rest, or null at the bottom (ending this rule ends root). */
    final GbnfStack below;
    private final int hash;
    /** What this stack expands to, once asked ({@link GbnfStacks}): a rule's continuation is popped into often. */
    private Expanded expanded;

    /** An expansion; a record so that its final field publishes the array safely to other threads. */
    record Expanded(GbnfStack[] stacks) {}

    GbnfStack(int pos, GbnfStack below) {
        this.pos = pos;
        this.below = below;
        this.hash = (below == null ? 0 : below.hash) * 0x9E3779B1 + pos;
    }

    Expanded expanded() {
        return expanded;
    }

    void expanded(Expanded e) {
        expanded = e;
    }

    /** What is left once the top's rule has ended. */
    GbnfStack pop() {
        return below == null ? DONE : below;
    }

    @Override
    public int hashCode() {
        return hash;
    }

    @Override
    public boolean equals(Object o) {
        if (!(o instanceof GbnfStack other)) return false;
        GbnfStack a = this;
        GbnfStack b = other;
        while (a != b) {
            if (a == null || b == null || a.hash != b.hash || a.pos != b.pos) return false;
            a = a.below;
            b = b.below;
        }
        return true;
    }

    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder("[");
        for (GbnfStack s = this; s != null; s = s.below) sb.append(s.pos).append(s.below != null ? " > " : "]");
        return sb.toString();
    }
}
