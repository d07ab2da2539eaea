package dev.llama3j.guard;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/**
 * A Llama Guard answer: safe or not, the violated category codes, the probability the model gave "unsafe" where
 * its verdict begins (Meta's classifier score), and whether the answer had one of the two shapes the prompt asks
 * for. An answer of any other shape counts as unsafe, with no codes.
 */
public record GuardVerdict(boolean safe, List<String> categories, double unsafeScore, boolean wellFormed,
                           String answer) {
    private static final Pattern CODES = Pattern.compile("S\\d+(\\s*,\\s*S\\d+)*");

    public GuardVerdict {
        categories = List.copyOf(categories);
    }

    /**
     * Reads an answer: first line (after any leading whitespace, which the models generate first) {@code safe} or
     * {@code unsafe}; after {@code unsafe}, a line of comma-separated codes such as {@code S1,S10}.
     */
    public static GuardVerdict parse(String answer, double unsafeScore) {
        String[] lines = answer.strip().split("\n", -1);
        String first = lines[0].strip();
        if (lines.length == 1 && first.equals("safe")) {
            return new GuardVerdict(true, List.of(), unsafeScore, true, answer);
        }
        if (lines.length == 2 && first.equals("unsafe") && CODES.matcher(lines[1].strip()).matches()) {
            List<String> codes = new ArrayList<>();
            for (String c : lines[1].split(",")) {
                codes.add(c.strip());
            }
            return new GuardVerdict(false, codes, unsafeScore, true, answer);
        }
        return new GuardVerdict(false, List.of(), unsafeScore, false, answer);
    }
}
