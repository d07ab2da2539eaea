package dev.llama3j.grammar;

import java.util.List;

/**
 * One level of the matcher's stack: where the matcher stands inside one JSON value. Frames are immutable values
 * (records), so that equal positions compare equal and a state can be shared by every path that reaches it.
 */
sealed interface Frame permits RootFrame, ValueFrame, ObjectFrame, ArrayFrame, StringFrame, NumberFrame,
        LiteralFrame {
    /**
     * Feeds byte {@code b} (0..255) to this frame, the top of {@code self}, and adds every stack that results to
     * {@code out} (none: the byte is rejected). A finished value pops itself: its parent below already waits in
     * the phase after that value.
     */
    void accept(int b, FrameStack self, List<FrameStack> out);

    /** Whether the value may end here although it could go on (a number, an enum value that prefixes another). */
    default boolean canEnd() {
        return false;
    }

    /** Hands {@code b} to the parent of a value that ends here because {@code b} cannot continue it. */
    static void endAndPass(int b, FrameStack self, List<FrameStack> out) {
        FrameStack parent = self.below();
        parent.top().accept(b, parent, out);
    }
}
