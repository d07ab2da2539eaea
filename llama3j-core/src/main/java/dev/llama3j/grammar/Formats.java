package dev.llama3j.grammar;

import java.util.Map;

/**
 * The string formats that can be enforced, as patterns: RFC 3339 {@code date}, {@code time} and
 * {@code date-time} (UTC offset or {@code Z}; February has 28 days and no leap second is produced) and
 * {@code uuid}. Any other format is rejected rather than silently ignored.
 */
final class Formats {
    private Formats() {}

    private static final String DATE = "\\d{4}-(02-(0[1-9]|1\\d|2[0-8])|(0[469]|11)-(0[1-9]|[12]\\d|30)"
            + "|(0[13578]|1[02])-(0[1-9]|[12]\\d|3[01]))";
    private static final String TIME = "([01]\\d|2[0-3]):[0-5]\\d:[0-5]\\d(\\.\\d{1,9})?"
            + "(Z|[+-]([01]\\d|2[0-3]):[0-5]\\d)";
    private static final String HEX = "[0-9a-fA-F]";
    private static final Map<String, String> PATTERNS = Map.of(
            "date", "^" + DATE + "$",
            "time", "^" + TIME + "$",
            "date-time", "^" + DATE + "T" + TIME + "$",
            "uuid", "^" + HEX + "{8}-" + HEX + "{4}-" + HEX + "{4}-" + HEX + "{4}-" + HEX + "{12}$");

    /** The anchored pattern of {@code format}, or null when it is not supported. */
    static String pattern(String format) {
        return PATTERNS.get(format);
    }
}
