package dev.llama3j.grammar;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;

/**
 * Where a constrained output stands: an immutable set of the stacks that read the bytes so far (usually one; more
 * while an anyOf has not decided). {@link #accept(int)} returns the next state without changing this one, and
 * remembers it, so that walking a vocabulary from a state computes each transition once. Every state reached
 * can still be completed into a valid value. States compare by value; they are safe to share between threads.
 */
public final class JsonState {
    private static final JsonState REJECTED = new JsonState(new FrameStack[0]);

    private final FrameStack[] stacks;
    private final int hash;
    /** The next state by byte, filled on demand; REJECTED marks a rejected byte. */
    private JsonState[] next;
    /** 0: not known yet, 1: complete, 2: not complete. */
    private byte complete;

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

    /** The state after output byte {@code b} (only its low 8 bits count), or null when the byte is not allowed. */
    public JsonState accept(int b) {
        int i = b & 0xFF;
        JsonState[] memo = next;
        if (memo == null) {
            memo = new JsonState[256];
            next = memo;
        }
        JsonState r = memo[i];
        if (r == null) {
            r = compute(i);
            memo[i] = r == null ? REJECTED : r;
        }
        return r == REJECTED ? null : r;
    }

    /**
     * {@link #accept(int)} without remembering the result (a transition already remembered is reused): for walks
     * over a vocabulary, whose many intermediate states would otherwise each keep a table of their own.
     */
    JsonState step(int b) {
        int i = b & 0xFF;
        JsonState[] memo = next;
        JsonState r = memo == null ? null : memo[i];
        if (r == null) {
            return compute(i);
        }
        return r == REJECTED ? null : r;
    }

    /** The state after all of {@code bytes}, or null when one of them is not allowed. */
    public JsonState accept(byte[] bytes) {
        JsonState s = this;
        for (int i = 0; i < bytes.length && s != null; i++) s = s.accept(bytes[i]);
        return s;
    }

    /** The state after the UTF-8 bytes of {@code text}, or null when they are not allowed. */
    public JsonState accept(String text) {
        return accept(text.getBytes(StandardCharsets.UTF_8));
    }

    /** Whether the output so far is a whole valid value, so that generation may stop here. */
    public boolean canEnd() {
        for (FrameStack s : stacks) {
            if (s.canEnd()) return true;
        }
        return false;
    }

    /** Whether the output so far is a whole valid value and no byte may follow: generation must stop here. */
    public boolean isComplete() {
        if (complete == 0) {
            boolean done = canEnd();
            for (int b = 0; b < 256 && done; b++) done = accept(b) == null;
            complete = (byte) (done ? 1 : 2);
        }
        return complete == 1;
    }

    /** Whether this state is inside a string that any plain text continues without changing the state. */
    boolean isFreeText() {
        return stacks.length == 1 && stacks[0].top() instanceof StringFrame f && f.isFreeText();
    }

    /** An equal state that remembers no transitions, for keeping as a cache key. */
    JsonState detached() {
        return new JsonState(stacks);
    }

    private JsonState compute(int b) {
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
