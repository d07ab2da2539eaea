package dev.llama3j.grammar;

import java.util.List;

/**
 * Inside an object. {@code next} is the first declared property that may still come; in a key, {@code key} is the
 * position in the trie of declared names (-1: off it) and {@code free} the UTF-8 state of a name that is not
 * declared (-1: not possible); after a key, {@code chosen} is the declared property it named (-1: another name).
 */
record ObjectFrame(Shape.ObjectShape shape, int phase, int ws, int next, int key, int free, int chosen)
        implements Frame {
    static final int OPEN = 0;
    static final int KEY = 1;
    static final int AFTER_KEY = 2;
    static final int AFTER_COLON = 3;
    static final int AFTER_VALUE = 4;
    static final int AFTER_COMMA = 5;

    static ObjectFrame open(Shape.ObjectShape shape) {
        return new ObjectFrame(shape, OPEN, 0, 0, -1, -1, -1);
    }

    @Override
    public void accept(int b, FrameStack self, List<FrameStack> out) {
        if (phase != KEY && JsonLimits.isWhitespace(b)) {
            if (ws < JsonLimits.MAX_WHITESPACE) out.add(self.with(new ObjectFrame(shape, phase, ws + 1, next, key,
                    free, chosen)));
            return;
        }
        switch (phase) {
            case OPEN, AFTER_COMMA -> {
                if (b == '"') {
                    int f = shape.freeKeysAllowed(next) ? 0 : -1;
                    if (f == 0 || declaredAlive(0)) out.add(self.with(inKey(0, f)));
                } else if (b == '}' && phase == OPEN && shape.canClose(next)) {
                    out.add(self.below());
                }
            }
            case KEY -> keyByte(b, self, out);
            case AFTER_KEY -> {
                if (b == ':') out.add(self.with(new ObjectFrame(shape, AFTER_COLON, 0, next, -1, -1, chosen)));
            }
            case AFTER_COLON -> {
                Shape value = chosen >= 0 ? shape.properties.get(chosen).value() : shape.additional;
                int after = chosen >= 0 ? chosen + 1 : shape.properties.size();
                ObjectFrame waiting = new ObjectFrame(shape, AFTER_VALUE, 0, after, -1, -1, -1);
                ValueFrame.start(value, b, self.with(waiting), out);
            }
            case AFTER_VALUE -> {
                if (b == ',' && shape.keysPossible(next)) {
                    out.add(self.with(new ObjectFrame(shape, AFTER_COMMA, 0, next, -1, -1, -1)));
                } else if (b == '}' && shape.canClose(next)) {
                    out.add(self.below());
                }
            }
            default -> throw new IllegalStateException("phase " + phase);
        }
    }

    /**
     * A byte of a key: a declared name in reach (stored escaped, with its closing quote, so that a quote inside
     * the trie is an escaped one), or a free name.
     */
    private void keyByte(int b, FrameStack self, List<FrameStack> out) {
        int child = key >= 0 ? shape.keys.child(key, b) : -1;
        boolean declared = child >= 0 && declaredAlive(child);
        if (b == '"') {
            int named = child >= 0 ? shape.keys.value(child) : -1;
            if (declared && named >= 0) {
                out.add(self.with(new ObjectFrame(shape, AFTER_KEY, 0, next, -1, -1, named)));
            } else if (declared) {
                out.add(self.with(inKey(child, -1)));
            } else if (child < 0 && free == 0) {
                out.add(self.with(new ObjectFrame(shape, AFTER_KEY, 0, next, -1, -1, -1)));
            }
            return;
        }
        int f = free >= 0 ? freeNameStep(free, b) : -1;
        if (declared || f >= 0) out.add(self.with(inKey(child, f)));
    }

    private ObjectFrame inKey(int node, int freeState) {
        return new ObjectFrame(shape, KEY, 0, next, node, freeState, -1);
    }

    /** Whether a declared name that may come now lies at or below trie {@code node}. */
    private boolean declaredAlive(int node) {
        return next < shape.properties.size() && shape.keys.anyIndexIn(node, next, shape.windowEnd(next));
    }

    /** The UTF-8 state after byte {@code b} of a free name (no escapes, no control characters), or -1. */
    private static int freeNameStep(int state, int b) {
        if (b < 0x20 || b == '\\') return -1;
        if (b < 0x80) return state == 0 ? 0 : -1;
        int s = Utf8Step.next(state, b);
        return s < 0 ? -1 : Utf8Step.partial(s) ? s : 0;
    }
}
