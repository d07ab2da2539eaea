package dev.llama3j.chat;

import dev.llama3j.LlamaException;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.List;
import java.util.Map;

/**
 * The text Python produces for JSON-like values in llama-models' tool-call rendering: {@code json.dumps}
 * with its defaults (ASCII only, ", " and ": " separators) and {@code str()} of scalars. The token ids of a
 * prompt depend on every character, so this follows Python exactly, including float {@code repr}.
 */
final class PythonLiterals {
    private PythonLiterals() {}

    /** {@code json.dumps(value)}. */
    static String jsonDumps(Object value) {
        StringBuilder sb = new StringBuilder();
        appendJson(value, sb);
        return sb.toString();
    }

    /** The {@code k=v, ...} of llama-models' python_list format. */
    static String keywordArguments(Map<String, Object> arguments) {
        StringBuilder sb = new StringBuilder();
        appendKeywords(arguments, sb);
        return sb.toString();
    }

    private static void appendJson(Object value, StringBuilder sb) {
        switch (value) {
            case null -> sb.append("null");
            case String s -> appendJsonString(s, sb);
            case Boolean b -> sb.append(b ? "true" : "false");
            case Double d when d.isNaN() -> sb.append("NaN");
            case Double d when d.isInfinite() -> sb.append(d > 0 ? "Infinity" : "-Infinity");
            case Map<?, ?> map -> {
                sb.append('{');
                boolean first = true;
                for (Map.Entry<?, ?> e : map.entrySet()) {
                    sb.append(first ? "" : ", ");
                    first = false;
                    appendJsonString(String.valueOf(e.getKey()), sb);
                    sb.append(": ");
                    appendJson(e.getValue(), sb);
                }
                sb.append('}');
            }
            case List<?> list -> {
                sb.append('[');
                for (int i = 0; i < list.size(); i++) {
                    sb.append(i == 0 ? "" : ", ");
                    appendJson(list.get(i), sb);
                }
                sb.append(']');
            }
            default -> sb.append(pythonNumber(value));
        }
    }

    private static void appendJsonString(String s, StringBuilder sb) {
        appendJsonString(s, true, sb);
    }

    /**
     * A JSON string as json.dumps writes it: quotes, backslashes and control characters escaped, and with
     * {@code asciiOnly} (its default ensure_ascii) everything outside printable ASCII too, as \\uXXXX (lower-case
     * hex, UTF-16 units).
     */
    static void appendJsonString(String s, boolean asciiOnly, StringBuilder sb) {
        sb.append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> sb.append("\\\"");
                case '\\' -> sb.append("\\\\");
                case '\n' -> sb.append("\\n");
                case '\r' -> sb.append("\\r");
                case '\t' -> sb.append("\\t");
                case '\b' -> sb.append("\\b");
                case '\f' -> sb.append("\\f");
                default -> {
                    if (c < 0x20 || (asciiOnly && c > 0x7E)) {
                        sb.append(String.format("\\u%04x", (int) c));
                    } else {
                        sb.append(c);
                    }
                }
            }
        }
        sb.append('"');
    }

    /** llama-models' {@code format_value}: strings quoted as-is, scalars as Python str(). */
    private static void appendPythonValue(Object value, StringBuilder sb) {
        switch (value) {
            case null -> sb.append("None");
            case String s -> sb.append('"').append(s).append('"');
            case Boolean b -> sb.append(b ? "True" : "False");
            case List<?> list -> {
                sb.append('[');
                for (int i = 0; i < list.size(); i++) {
                    sb.append(i == 0 ? "" : ", ");
                    appendPythonValue(list.get(i), sb);
                }
                sb.append(']');
            }
            case Map<?, ?> map -> {
                sb.append('{');
                appendKeywords(map, sb);
                sb.append('}');
            }
            default -> sb.append(pythonNumber(value));
        }
    }

    private static void appendKeywords(Map<?, ?> map, StringBuilder sb) {
        boolean first = true;
        for (Map.Entry<?, ?> e : map.entrySet()) {
            sb.append(first ? "" : ", ").append(e.getKey()).append('=');
            first = false;
            appendPythonValue(e.getValue(), sb);
        }
    }

    private static String pythonNumber(Object value) {
        return switch (value) {
            case Integer i -> i.toString();
            case Long l -> l.toString();
            case BigInteger b -> b.toString();
            case Double d -> floatRepr(d);
            case BigDecimal b -> floatRepr(b.doubleValue());
            default -> throw new LlamaException("unsupported tool argument value " + value + " ("
                    + value.getClass().getSimpleName() + "): expected a JSON value");
        };
    }

    /**
     * Python's {@code repr(float)}: the shortest digits that round-trip (as Java's Double.toString since
     * JDK 19), written positionally when the decimal exponent is in (-4, 16], else as d.ddde+XX.
     */
    static String floatRepr(double d) {
        if (Double.isNaN(d)) {
            return "nan";
        }
        if (Double.isInfinite(d)) {
            return d > 0 ? "inf" : "-inf";
        }
        String sign = (Double.doubleToRawLongBits(d) < 0) ? "-" : "";
        BigDecimal exact = new BigDecimal(Double.toString(Math.abs(d))).stripTrailingZeros();
        String digits = exact.unscaledValue().toString();
        int point = digits.length() - exact.scale(); // value = 0.digits * 10^point
        if (exact.signum() == 0) {
            return sign + "0.0";
        }
        if (point > -4 && point <= 16) {
            if (point <= 0) {
                return sign + "0." + "0".repeat(-point) + digits;
            }
            if (point >= digits.length()) {
                return sign + digits + "0".repeat(point - digits.length()) + ".0";
            }
            return sign + digits.substring(0, point) + "." + digits.substring(point);
        }
        int exponent = point - 1;
        String mantissa = digits.length() == 1 ? digits : digits.charAt(0) + "." + digits.substring(1);
        return sign + mantissa + "e" + (exponent < 0 ? "-" : "+") + (Math.abs(exponent) < 10 ? "0" : "")
                + Math.abs(exponent);
    }
}
