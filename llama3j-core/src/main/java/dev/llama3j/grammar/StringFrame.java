package dev.llama3j.grammar;

import java.util.List;

/**
 * Inside a string whose decoded characters drive {@code dfa} (at state {@code q}). {@code escape} is 0 outside an
 * escape, 1 after a backslash, 2 + k after k hex digits of a Unicode escape (their value in {@code partial});
 * outside escapes {@code partial} is the UTF-8 state of a character under way. A byte is accepted only when the
 * character it begins or continues can still drive the automaton; surrogates are not allowed in escapes.
 */
record StringFrame(CodePointDfa dfa, int q, int escape, int partial) implements Frame {
    @Override
    public void accept(int b, FrameStack self, List<FrameStack> out) {
        StringFrame next = escape == 0 ? plain(b) : escape == 1 ? afterBackslash(b) : hexDigit(b);
        if (next == CLOSED) {
            out.add(self.below());
        } else if (next != null) {
            out.add(self.with(next));
        }
    }

    private static final StringFrame CLOSED = new StringFrame(null, -1, -1, -1);

    /** Whether every byte string of whole characters without quote, backslash or control leaves this frame as is. */
    boolean isFreeText() {
        return escape == 0 && partial == 0 && dfa.uniformTarget(q) == q;
    }

    private StringFrame plain(int b) {
        if (partial != 0) {
            int s = Utf8Step.next(partial, b);
            if (s < 0) return null;
            if (!Utf8Step.partial(s)) return character(Utf8Step.codePoint(s));
            if (!dfa.canStep(q, Utf8Step.low(s), Utf8Step.high(s))) return null;
            return new StringFrame(dfa, q, 0, dfa.uniformTarget(q) >= 0 ? Utf8Step.canonical(s) : s);
        }
        if (b == '"') return dfa.accepting(q) ? CLOSED : null;
        if (b == '\\') return canStepBmp(0, 0xFFFF) ? new StringFrame(dfa, q, 1, 0) : null;
        if (b < 0x20) return null;
        if (b < 0x80) return character(b);
        int s = Utf8Step.next(0, b);
        return s >= 0 && dfa.canStep(q, Utf8Step.low(s), Utf8Step.high(s)) ? new StringFrame(dfa, q, 0, s) : null;
    }

    private StringFrame afterBackslash(int b) {
        int cp = switch (b) {
            case '"', '\\', '/' -> b;
            case 'b' -> '\b';
            case 'f' -> '\f';
            case 'n' -> '\n';
            case 'r' -> '\r';
            case 't' -> '\t';
            default -> -1;
        };
        if (b == 'u') return canStepBmp(0, 0xFFFF) ? new StringFrame(dfa, q, 2, 0) : null;
        return cp >= 0 ? character(cp) : null;
    }

    private StringFrame hexDigit(int b) {
        int h = Character.digit(b, 16);
        if (h < 0 || b >= 0x80) return null;
        int value = partial * 16 + h;
        int digits = escape - 1;
        if (digits == 4) return value >= 0xD800 && value <= 0xDFFF ? null : character(value);
        int shift = 4 * (4 - digits);
        int lo = value << shift;
        return canStepBmp(lo, lo | ((1 << shift) - 1)) ? new StringFrame(dfa, q, escape + 1, value) : null;
    }

    /** The frame after a whole character: itself when the automaton stays put. */
    private StringFrame character(int cp) {
        int to = dfa.step(q, cp);
        if (to < 0) return null;
        return to == q && escape == 0 && partial == 0 ? this : new StringFrame(dfa, to, 0, 0);
    }

    /** Whether some code point in {@code lo..hi}, surrogates left out, can drive the automaton. */
    private boolean canStepBmp(int lo, int hi) {
        return lo <= 0xD7FF && dfa.canStep(q, lo, Math.min(hi, 0xD7FF))
                || hi >= 0xE000 && dfa.canStep(q, Math.max(lo, 0xE000), hi);
    }
}
