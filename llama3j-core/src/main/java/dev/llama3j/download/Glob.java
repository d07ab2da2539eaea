package dev.llama3j.download;

import java.util.List;
import java.util.regex.Pattern;

/**
 * {@code --include} patterns as {@code huggingface_hub} matches them (Python's {@code fnmatch}): {@code *} is any
 * run of characters, {@code /} included, {@code ?} one character, {@code [abc]} and {@code [!abc]} sets; a pattern
 * ending in {@code /} means everything under that folder.
 */
public final class Glob {
    private Glob() {}

    public static boolean anyMatches(List<String> patterns, String path) {
        return patterns.isEmpty() || patterns.stream().anyMatch(p -> toRegex(p).matcher(path).matches());
    }

    /** Each pattern compiled, or a one-line error naming the one that is not a valid pattern. */
    public static void check(List<String> patterns) {
        for (String p : patterns) {
            try {
                toRegex(p);
            } catch (java.util.regex.PatternSyntaxException e) {
                throw new dev.llama3j.LlamaException("--include '" + p + "' is not a valid pattern");
            }
        }
    }

    static Pattern toRegex(String glob) {
        String g = glob.endsWith("/") ? glob + "*" : glob;
        StringBuilder re = new StringBuilder();
        for (int i = 0; i < g.length(); i++) {
            char c = g.charAt(i);
            switch (c) {
                case '*' -> re.append(".*");
                case '?' -> re.append('.');
                case '[' -> {
                    int j = i + 1;
                    if (j < g.length() && g.charAt(j) == '!') {
                        j++;
                    }
                    if (j < g.length() && g.charAt(j) == ']') {
                        j++;
                    }
                    while (j < g.length() && g.charAt(j) != ']') {
                        j++;
                    }
                    if (j >= g.length()) {
                        re.append("\\[");
                    } else {
                        String set = g.substring(i + 1, j).replace("\\", "\\\\").replace("[", "\\[")
                                .replace("&", "\\&");
                        if (set.startsWith("!")) {
                            set = "^" + set.substring(1);
                        } else if (set.startsWith("^")) {
                            set = "\\" + set;
                        }
                        re.append('[').append(set).append(']');
                        i = j;
                    }
                }
                default -> re.append(Pattern.quote(String.valueOf(c)));
            }
        }
        return Pattern.compile(re.toString(), Pattern.DOTALL);
    }
}
