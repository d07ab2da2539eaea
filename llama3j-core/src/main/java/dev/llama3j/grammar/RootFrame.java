package dev.llama3j.grammar;

import java.util.List;

/** The bottom of every stack: the top-level value is finished and no byte, not even whitespace, may follow. */
enum RootFrame implements Frame {
    INSTANCE;

    @Override
    public void accept(int b, FrameStack self, List<FrameStack> out) {
    }
}
