package dev.llama3j.grammar;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;

/**
 * Where a JSON output stands: an immutable set of the stacks that read the bytes so far (usually one; more while
 * an anyOf has not decided). Transitions are remembered as {@link GrammarState} describes.
 */
public final class JsonState extends GrammarState<JsonState> {
    private final FrameStack[] stacks;
    private final int hash;

    private JsonState(FrameStack[] stacks) {
        this.stacks = stacks;
        int h = 0;
        for (FrameStack s : stacks) h += s.hashCode();
        this.hash = h;
    }

    /** The state before the first byte of a value of {@code shape}. */
    static JsonState start(Shape shape) {
        return new JsonState(new FrameStack[] {FrameStack.DONE.push(new ValueFrame(shape))});
    }

    /** Whether the output so far is a whole valid value, so that generation may stop here. */
    @Override
    public boolean canEnd() {
        for (FrameStack s : stacks) {
            if (s.canEnd()) return true;
        }
        return false;
    }

    /** Whether this state is inside a string that any plain text continues without changing the state. */
    @Override
    boolean isFreeText() {
        return stacks.length == 1 && stacks[0].top() instanceof StringFrame f && f.isFreeText();
    }

    @Override
    JsonState detached() {
        return new JsonState(stacks);
    }

    @Override
    JsonState compute(int b) {
        List<FrameStack> out = new ArrayList<>(2);
        for (FrameStack s : stacks) s.top().accept(b, s, out);
        if (out.isEmpty()) return null;
        if (out.size() == 1) {
            FrameStack only = out.getFirst();
            return stacks.length == 1 && stacks[0] == only ? this : new JsonState(new FrameStack[] {only});
        }
        FrameStack[] distinct = new LinkedHashSet<>(out).toArray(new FrameStack[0]);
        return Arrays.equals(distinct, stacks) ? this : new JsonState(distinct);
    }

    @Override
    public int hashCode() {
        return hash;
    }

    @Override
    public boolean equals(Object o) {
        if (this == o) return true;
        if (!(o instanceof JsonState other) || other.hash != hash || other.stacks.length != stacks.length) {
            return false;
        }
        if (stacks.length == 1) return stacks[0].equals(other.stacks[0]);
        return new LinkedHashSet<>(Arrays.asList(stacks)).equals(new LinkedHashSet<>(Arrays.asList(other.stacks)));
    }

    @Override
    public String toString() {
        return "JsonState" + Arrays.toString(stacks);
    }
}
