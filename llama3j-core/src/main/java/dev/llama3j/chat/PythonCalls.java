package dev.llama3j.chat;

import java.math.BigInteger;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A Python list of function calls with keyword arguments of literal values, the 3.2 "python_list" tool format:
 * {@code [get_weather(city="Paris", days=3), get_time(zone='CET')]}. What llama-models' {@code is_valid_python_list}
 * accepts and {@code parse_python_list_for_function_calls} reads (with {@code ast.literal_eval} for the values:
 * strings, numbers, True/False/None, lists, tuples as lists, dicts); anything else is not a call list.
 */
final class PythonCalls {
    private final String s;
    private int i;

    private PythonCalls(String s) {
        this.s = s;
    }

    /** The calls, or null when {@code text} is not a non-empty list of calls with keyword arguments only. */
    static List<Message.ToolCall> parse(String text) {
        try {
            PythonCalls p = new PythonCalls(text);
            List<Message.ToolCall> calls = p.list();
            p.space();
            return p.i == text.length() && !calls.isEmpty() ? calls : null;
        } catch (IllegalArgumentException e) {
            return null;
        }
    }

    private List<Message.ToolCall> list() {
        expect('[');
        List<Message.ToolCall> calls = new ArrayList<>();
        space();
        if (peek() == ']') {
            i++;
            return calls;
        }
        while (true) {
            calls.add(call());
            space();
            char c = next();
            if (c == ']') {
                return calls;
            }
            if (c != ',') {
                throw new IllegalArgumentException();
            }
            space();
            if (peek() == ']') {   // a trailing comma
                i++;
                return calls;
            }
        }
    }

    private Message.ToolCall call() {
        String name = identifier();
        space();
        expect('(');
        Map<String, Object> args = new LinkedHashMap<>();
        space();
        if (peek() == ')') {
            i++;
            return new Message.ToolCall(name, args);
        }
        while (true) {
            space();
            if (peek() == ')') {
                i++;
                return new Message.ToolCall(name, args);
            }
            String key = identifier();
            space();
            expect('=');
            space();
            args.put(key, value());
            space();
            char c = next();
            if (c == ')') {
                return new Message.ToolCall(name, args);
            }
            if (c != ',') {
                throw new IllegalArgumentException();
            }
        }
    }

    private Object value() {
        char c = peek();
        if (c == '"' || c == '\'') {
            return string();
        }
        if (c == '[' || c == '(') {
            char close = c == '[' ? ']' : ')';
            i++;
            List<Object> list = new ArrayList<>();
            space();
            while (peek() != close) {
                list.add(value());
                space();
                if (peek() == ',') {
                    i++;
                    space();
                } else if (peek() != close) {
                    throw new IllegalArgumentException();
                }
            }
            i++;
            return list;
        }
        if (c == '{') {
            i++;
            Map<String, Object> map = new LinkedHashMap<>();
            space();
            while (peek() != '}') {
                Object key = value();
                space();
                expect(':');
                space();
                map.put(String.valueOf(key), value());
                space();
                if (peek() == ',') {
                    i++;
                    space();
                } else if (peek() != '}') {
                    throw new IllegalArgumentException();
                }
            }
            i++;
            return map;
        }
        if (c == '-' || c == '+' || c == '.' || Character.isDigit(c)) {
            return number();
        }
        String word = identifier();
        return switch (word) {
            case "True" -> Boolean.TRUE;
            case "False" -> Boolean.FALSE;
            case "None" -> null;
            default -> throw new IllegalArgumentException();   // a name or call is not a literal
        };
    }

    private Object number() {
        int start = i;
        if (peek() == '-' || peek() == '+') {
            i++;
        }
        boolean decimal = false;
        while (i < s.length()) {
            char c = s.charAt(i);
            if (Character.isDigit(c) || c == '_') {
                i++;
            } else if (c == '.' || c == 'e' || c == 'E') {
                decimal = true;
                i++;
                if ((c == 'e' || c == 'E') && i < s.length() && (s.charAt(i) == '-' || s.charAt(i) == '+')) {
                    i++;
                }
            } else {
                break;
            }
        }
        String text = s.substring(start, i).replace("_", "");
        try {
            if (decimal) {
                return Double.parseDouble(text);
            }
            BigInteger b = new BigInteger(text.startsWith("+") ? text.substring(1) : text);
            return b.bitLength() < 32 ? (Object) b.intValue() : b.bitLength() < 64 ? (Object) b.longValue() : b;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(e);
        }
    }

    private String string() {
        char quote = next();
        StringBuilder b = new StringBuilder();
        while (true) {
            char c = next();
            if (c == quote) {
                return b.toString();
            }
            if (c == '\n') {
                throw new IllegalArgumentException();
            }
            if (c != '\\') {
                b.append(c);
                continue;
            }
            char e = next();
            switch (e) {
                case 'n' -> b.append('\n');
                case 't' -> b.append('\t');
                case 'r' -> b.append('\r');
                case '0' -> b.append('\0');
                case 'u' -> {
                    if (i + 4 > s.length()) {
                        throw new IllegalArgumentException();
                    }
                    b.append((char) Integer.parseInt(s.substring(i, i + 4), 16));
                    i += 4;
                }
                case '\\', '\'', '"' -> b.append(e);
                default -> b.append('\\').append(e);   // Python keeps unknown escapes as they are
            }
        }
    }

    private String identifier() {
        int start = i;
        while (i < s.length() && (Character.isLetterOrDigit(s.charAt(i)) || s.charAt(i) == '_')) {
            i++;
        }
        if (start == i || Character.isDigit(s.charAt(start))) {
            throw new IllegalArgumentException();
        }
        return s.substring(start, i);
    }

    private void space() {
        while (i < s.length() && Character.isWhitespace(s.charAt(i))) {
            i++;
        }
    }

    private char peek() {
        if (i >= s.length()) {
            throw new IllegalArgumentException();
        }
        return s.charAt(i);
    }

    private char next() {
        char c = peek();
        i++;
        return c;
    }

    private void expect(char c) {
        if (next() != c) {
            throw new IllegalArgumentException();
        }
    }
}
