package dev.llama3j.grammar;

import java.util.List;

/** A value of a shape not begun yet: the top-level value before the first byte. */
record ValueFrame(Shape shape) implements Frame {
    @Override
    public void accept(int b, FrameStack self, List<FrameStack> out) {
        start(shape, b, self.below(), out);
    }

    /**
     * Begins a value of {@code shape} with its first byte {@code b} over {@code parent}, whose top already waits
     * after the value; one stack per alternative that can begin so.
     */
    static void start(Shape shape, int b, FrameStack parent, List<FrameStack> out) {
        for (Shape alternative : shape.alternatives()) {
            switch (alternative) {
                case Shape.ObjectShape o -> {
                    if (b == '{') out.add(parent.push(ObjectFrame.open(o)));
                }
                case Shape.ArrayShape a -> {
                    if (b == '[') out.add(parent.push(ArrayFrame.open(a)));
                }
                case Shape.StringShape s -> {
                    if (b == '"') out.add(parent.push(s.opened));
                }
                case Shape.NumberShape n -> {
                    if (b == '-' || b >= '0' && b <= '9') n.start.accept(b, parent.push(n.start), out);
                }
                case Shape.LiteralShape l -> l.start.accept(b, parent.push(l.start), out);
                default -> throw new IllegalStateException("unresolved shape " + alternative);
            }
        }
    }
}
