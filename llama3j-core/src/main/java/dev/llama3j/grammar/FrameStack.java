package dev.llama3j.grammar;

/**
 * An immutable linked stack of frames with a cached hash: one way the output so far can be read. Stacks share
 * their lower part, so advancing by a byte allocates at most the frames that change.
 */
final class FrameStack {
    /** The stack of the finished top-level value: nothing may follow. */
    static final FrameStack DONE = new FrameStack(RootFrame.INSTANCE, null);

    private final Frame top;
    private final FrameStack below;
    private final int hash;

    FrameStack(Frame top, FrameStack below) {
        this.top = top;
        this.below = below;
        this.hash = 31 * (below == null ? 0 : below.hash) + top.hashCode();
    }

    Frame top() {
        return top;
    }

    FrameStack below() {
        return below;
    }

    /** This stack with its top replaced (itself when the frame is the same). */
    FrameStack with(Frame frame) {
        return frame == top ? this : new FrameStack(frame, below);
    }

    FrameStack push(Frame frame) {
        return new FrameStack(frame, this);
    }

    /** Whether the whole top-level value may end here. */
    boolean canEnd() {
        return this == DONE || top.canEnd() && below == DONE;
    }

    @Override
    public int hashCode() {
        return hash;
    }

    @Override
    public boolean equals(Object o) {
        if (!(o instanceof FrameStack other)) return false;
        FrameStack a = this;
        FrameStack b = other;
        while (a != b) {
            if (a == null || b == null || a.hash != b.hash || !a.top.equals(b.top)) return false;
            a = a.below;
            b = b.below;
        }
        return true;
    }

    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder("[");
        for (FrameStack s = this; s != null; s = s.below) sb.append(s.top).append(s.below != null ? " > " : "]");
        return sb.toString();
    }
}
