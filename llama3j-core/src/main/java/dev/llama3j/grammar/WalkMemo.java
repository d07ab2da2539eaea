package dev.llama3j.grammar;

import java.util.HashMap;
import java.util.Map;

/**
 * The transitions of one vocabulary walk ({@link TokenMasks}) between states that it reaches at several trie nodes:
 * a state met again is replaced by the one met first, which from then on remembers its transitions for the rest of
 * the walk. For grammars whose steps are costly (GBNF expansions) and whose states recur across tokens, such as
 * every position of a counted repetition. States met once keep no table; states inside a character (a cheap
 * step that only narrows a range) are passed through.
 */
final class WalkMemo {
    private static final Object REJECTED = new Object();

    private final Map<GrammarState<?>, Entry> seen = new HashMap<>();
    /** The last state stepped from and its entry: a walk steps from one state for all the children of a node. */
    private GrammarState<?> lastFrom;
    private Entry lastEntry;

    private static final class Entry {
        final GrammarState<?> state;
        /** By byte: the next state (met before), REJECTED or null (not known); made at the second meeting. */
        Object[] next;

        Entry(GrammarState<?> state) {
            this.state = state;
        }
    }

    /** The state after byte {@code b} from {@code from}, a state this memo returned or was given. */
    GrammarState<?> step(GrammarState<?> from, int b) {
        if (from.midCharacter()) {
            GrammarState<?> to = from.step(b);
            return to != null && !to.midCharacter() ? meet(to) : to;
        }
        if (from != lastFrom) {
            lastFrom = from;
            lastEntry = seen.get(from);
        }
        Entry e = lastEntry;
        int i = b & 0xFF;
        Object known = e != null && e.next != null ? e.next[i] : null;
        if (known != null) return known == REJECTED ? null : (GrammarState<?>) known;
        GrammarState<?> to = from.step(b);
        if (to != null && to != from && !to.midCharacter()) to = meet(to);
        if (e != null && e.next != null) e.next[i] = to == null ? REJECTED : to;
        return to;
    }

    /** The state equal to {@code s} met first (s itself the first time). */
    GrammarState<?> meet(GrammarState<?> s) {
        Entry e = seen.get(s);
        if (e == null) {
            seen.put(s, new Entry(s));
            return s;
        }
        if (e.next == null) e.next = new Object[256];
        return e.state;
    }
}
