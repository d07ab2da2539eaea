package dev.llama3j.grammar;

import java.util.List;

/** Inside one of a literal shape's serializations, at trie {@code node}. */
record LiteralFrame(Shape.LiteralShape shape, int node) implements Frame {
    @Override
    public void accept(int b, FrameStack self, List<FrameStack> out) {
        ByteTrie trie = shape.values;
        int child = trie.child(node, b);
        if (child >= 0) {
            boolean finished = trie.value(child) >= 0 && !trie.hasChildren(child);
            out.add(finished ? self.below() : self.with(new LiteralFrame(shape, child)));
        } else if (canEnd()) {
            Frame.endAndPass(b, self, out);
        }
    }

    @Override
    public boolean canEnd() {
        return shape.values.value(node) >= 0;
    }
}
