package dev.llama3j.tokenizer;

/** Python {@code str} behaviour that Meta's code relies on. */
public final class PythonText {
    private PythonText() {}

    /**
     * {@code str.strip()}: removes leading and trailing characters for which {@code str.isspace()} is
     * true, which includes U+001C..U+001F, U+0085, U+00A0, U+3000 but not U+200B or U+FEFF.
     * No supplementary character is a space, so checking UTF-16 units is exact.
     */
    public static String strip(String s) {
        int from = 0;
        int to = s.length();
        while (from < to && CharClass.isPythonSpace(s.charAt(from))) {
            from++;
        }
        while (to > from && CharClass.isPythonSpace(s.charAt(to - 1))) {
            to--;
        }
        return s.substring(from, to);
    }
}
