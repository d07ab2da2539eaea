package dev.llama3j.cli;

import java.util.List;

/**
 * llama-bench's markdown table: its columns, alignments and widths. A width is a minimum, as in llama-bench; a
 * column whose values are known before the first row (all but t/s) is as wide as its longest value, so rows
 * printed one by one as they are measured still line up.
 */
final class BenchTable {
    static final List<String> COLUMNS = List.of("model", "size", "params", "backend", "threads", "test", "t/s");
    private static final int[] MIN_WIDTHS = {30, 10, 10, 10, 7, 15, 20};
    private static final boolean[] RIGHT_ALIGNED = {false, true, true, false, true, true, true};

    private final int[] widths = MIN_WIDTHS.clone();

    /** @param knownValues per column, the values it will hold that are known in advance (none for t/s) */
    BenchTable(List<List<String>> knownValues) {
        for (int c = 0; c < knownValues.size(); c++) {
            for (String v : knownValues.get(c)) {
                widths[c] = Math.max(widths[c], v.length());
            }
        }
    }

    String header() {
        return line(COLUMNS.toArray(String[]::new));
    }

    String separator() {
        StringBuilder b = new StringBuilder("|");
        for (int c = 0; c < widths.length; c++) {
            b.append(' ').append("-".repeat(widths[c] - 1)).append(RIGHT_ALIGNED[c] ? ':' : '-').append(" |");
        }
        return b.toString();
    }

    /** One row: a cell longer than its column widens that row only, as in llama-bench. */
    String line(String... cells) {
        StringBuilder b = new StringBuilder("|");
        for (int c = 0; c < widths.length; c++) {
            String pad = " ".repeat(Math.max(0, widths[c] - cells[c].length()));
            b.append(' ').append(RIGHT_ALIGNED[c] ? pad + cells[c] : cells[c] + pad).append(" |");
        }
        return b.toString();
    }

    /** llama-bench's size cell: MiB below 1 GiB, else GiB. */
    static String size(long bytes) {
        return bytes < (1L << 30) ? String.format("%.2f MiB", bytes / 1048576.0)
                : String.format("%.2f GiB", bytes / 1073741824.0);
    }

    /** llama-bench's params cell: millions below a billion, else billions. */
    static String params(long n) {
        return n < 1_000_000_000L ? String.format("%.2f M", n / 1e6) : String.format("%.2f B", n / 1e9);
    }

    /** llama-bench's t/s cell: mean ± standard deviation. */
    static String rate(double mean, double stddev) {
        return String.format("%.2f ± %.2f", mean, stddev);
    }
}
