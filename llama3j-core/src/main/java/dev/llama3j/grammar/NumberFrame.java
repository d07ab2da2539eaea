package dev.llama3j.grammar;

import java.util.List;

/**
 * Inside a number, in JSON's grammar with bounded digit counts ({@link JsonLimits}). {@code digits} counts the
 * digits of the current part; for a bounded integer {@code mag} and {@code negative} hold the value so far, so
 * that a digit is accepted only when some integer in range can still come of it.
 */
record NumberFrame(Shape.NumberShape shape, int phase, int digits, long mag, boolean negative) implements Frame {
    static final int START = 0;
    static final int MINUS = 1;
    static final int ZERO = 2;
    static final int INTEGER = 3;
    static final int DOT = 4;
    static final int FRACTION = 5;
    static final int E = 6;
    static final int EXPONENT_SIGN = 7;
    static final int EXPONENT = 8;

    @Override
    public void accept(int b, FrameStack self, List<FrameStack> out) {
        NumberFrame next = next(b);
        if (next != null) {
            out.add(self.with(next));
        } else if (canEnd()) {
            Frame.endAndPass(b, self, out);
        }
    }

    @Override
    public boolean canEnd() {
        return switch (phase) {
            case ZERO -> shape.inRange(0);
            case INTEGER -> shape.inRange(negative ? -mag : mag);
            case FRACTION, EXPONENT -> true;
            default -> false;
        };
    }

    private NumberFrame next(int b) {
        boolean digit = b >= '0' && b <= '9';
        int d = b - '0';
        return switch (phase) {
            case START -> b == '-' ? (shape.viable(true, 0, 0) ? at(MINUS, 0, 0, true) : null)
                    : digit ? firstDigit(d, false) : null;
            case MINUS -> digit ? firstDigit(d, true) : null;
            case ZERO -> afterInteger(b);
            case INTEGER -> {
                if (!digit) yield afterInteger(b);
                if (digits >= JsonLimits.MAX_INTEGER_DIGITS) yield null;
                long value = shape.integer ? mag * 10 + d : 0;
                yield shape.viable(negative, value, digits + 1) ? at(INTEGER, digits + 1, value, negative) : null;
            }
            case DOT -> digit ? at(FRACTION, 1, 0, false) : null;
            case FRACTION -> digit ? (digits < JsonLimits.MAX_FRACTION_DIGITS ? at(FRACTION, digits + 1, 0, false)
                    : null) : b == 'e' || b == 'E' ? at(E, 0, 0, false) : null;
            case E -> b == '+' || b == '-' ? at(EXPONENT_SIGN, 0, 0, false) : digit ? at(EXPONENT, 1, 0, false)
                    : null;
            case EXPONENT_SIGN -> digit ? at(EXPONENT, 1, 0, false) : null;
            case EXPONENT -> digit && digits < JsonLimits.MAX_EXPONENT_DIGITS ? at(EXPONENT, digits + 1, 0, false)
                    : null;
            default -> throw new IllegalStateException("phase " + phase);
        };
    }

    private NumberFrame firstDigit(int d, boolean minus) {
        if (!shape.viable(minus, d, 1)) return null;
        boolean keep = shape.integer;
        return at(d == 0 ? ZERO : INTEGER, 1, keep ? d : 0, keep && minus);
    }

    private NumberFrame afterInteger(int b) {
        if (shape.integer) return null;
        return b == '.' ? at(DOT, 0, 0, false) : b == 'e' || b == 'E' ? at(E, 0, 0, false) : null;
    }

    private NumberFrame at(int newPhase, int newDigits, long newMag, boolean newNegative) {
        return new NumberFrame(shape, newPhase, newDigits, newMag, newNegative);
    }
}
