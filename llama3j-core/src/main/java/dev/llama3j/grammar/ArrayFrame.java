package dev.llama3j.grammar;

import java.util.List;

/** Inside an array after {@code count} items (capped where more items change nothing). */
record ArrayFrame(Shape.ArrayShape shape, int phase, int ws, int count) implements Frame {
    static final int OPEN = 0;
    static final int AFTER_VALUE = 1;
    static final int AFTER_COMMA = 2;

    static ArrayFrame open(Shape.ArrayShape shape) {
        return new ArrayFrame(shape, OPEN, 0, 0);
    }

    @Override
    public void accept(int b, FrameStack self, List<FrameStack> out) {
        if (JsonLimits.isWhitespace(b)) {
            if (ws < JsonLimits.MAX_WHITESPACE) out.add(self.with(new ArrayFrame(shape, phase, ws + 1, count)));
            return;
        }
        if (phase == AFTER_VALUE) {
            if (b == ',' && shape.item(count) != null) {
                out.add(self.with(new ArrayFrame(shape, AFTER_COMMA, 0, count)));
            } else if (b == ']' && count >= shape.minItems) {
                out.add(self.below());
            }
            return;
        }
        if (phase == OPEN && b == ']' && shape.minItems == 0) {
            out.add(self.below());
            return;
        }
        Shape item = shape.item(count);
        if (item != null) {
            int after = Math.min(count + 1, Math.max(count, shape.countCap()));
            ValueFrame.start(item, b, self.with(new ArrayFrame(shape, AFTER_VALUE, 0, after)), out);
        }
    }
}
