package dev.llama3j.grammar;

import java.util.Random;

/**
 * Random JSON texts that mostly keep to {@link JsonLimits} and now and then step just past a bound (21 whitespace
 * bytes, 16 digits, an escaped surrogate, a carriage return, an escape in a key, a raw control character), so that
 * matchers are tested on both sides of every bound.
 */
final class RandomJson {
    private RandomJson() {}

    private static final String[] CHARS = {"a", "b", "Z", " ", "é", "€", "😀", "\u007F", "/", "'", "0", "\\\"",
            "\\\\", "\\/", "\\b", "\\f", "\\n", "\\r", "\\t", "\\u00e9", "\\u20AC", "\\uD7FF", "\\uE000", "\\ud83d",
            "\\uDFFF", "\u0001", "\\x"};

    static String text(Random r) {
        StringBuilder out = new StringBuilder();
        value(r, 0, out);
        if (r.nextInt(30) == 0) out.append(ws(r));
        return out.toString();
    }

    private static void value(Random r, int depth, StringBuilder out) {
        switch (r.nextInt(depth >= 3 ? 3 : 5)) {
            case 0 -> string(r, false, out);
            case 1 -> number(r, out);
            case 2 -> out.append(new String[] {"true", "false", "null", "nul", "truex"}[r.nextInt(r.nextInt(12) == 0
                    ? 5 : 3)]);
            case 3 -> {
                out.append('{').append(ws(r));
                int n = r.nextInt(4);
                for (int i = 0; i < n; i++) {
                    if (i > 0) out.append(ws(r)).append(',').append(ws(r));
                    string(r, true, out);
                    out.append(ws(r)).append(':').append(ws(r));
                    value(r, depth + 1, out);
                }
                out.append(ws(r)).append('}');
            }
            default -> {
                out.append('[').append(ws(r));
                int n = r.nextInt(4);
                for (int i = 0; i < n; i++) {
                    if (i > 0) out.append(ws(r)).append(',').append(ws(r));
                    value(r, depth + 1, out);
                }
                out.append(ws(r)).append(']');
            }
        }
    }

    private static String ws(Random r) {
        int kind = r.nextInt(20);
        int n = kind < 12 ? 0 : kind < 18 ? 1 + r.nextInt(3) : 19 + r.nextInt(3);
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < n; i++) sb.append(r.nextInt(40) == 0 ? '\r' : " \t\n".charAt(r.nextInt(3)));
        return sb.toString();
    }

    private static void string(Random r, boolean key, StringBuilder out) {
        out.append('"');
        int n = r.nextInt(6);
        for (int i = 0; i < n; i++) {
            // keys mostly without escapes, which free keys do not take
            int pick = r.nextInt(key && r.nextInt(10) != 0 ? 8 : r.nextInt(6) == 0 ? CHARS.length : 20);
            out.append(CHARS[pick]);
        }
        out.append('"');
    }

    private static void number(Random r, StringBuilder out) {
        if (r.nextBoolean()) out.append('-');
        int intDigits = r.nextInt(8) == 0 ? 14 + r.nextInt(3) : 1 + r.nextInt(4);
        out.append(r.nextInt(5) == 0 ? '0' : (char) ('1' + r.nextInt(9)));
        digits(r, intDigits - 1, out);
        if (r.nextBoolean()) {
            out.append('.');
            digits(r, r.nextInt(8) == 0 ? 14 + r.nextInt(3) : 1 + r.nextInt(3), out);
        }
        if (r.nextInt(3) == 0) {
            out.append(r.nextBoolean() ? 'e' : 'E');
            if (r.nextBoolean()) out.append(r.nextBoolean() ? '+' : '-');
            digits(r, 1 + r.nextInt(3), out);
        }
    }

    private static void digits(Random r, int n, StringBuilder out) {
        for (int i = 0; i < n; i++) out.append((char) ('0' + r.nextInt(10)));
    }
}
