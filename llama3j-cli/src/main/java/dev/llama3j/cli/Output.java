package dev.llama3j.cli;

import dev.llama3j.generate.Generator;
import dev.llama3j.generate.Llama;
import dev.llama3j.generate.TokenListener;
import dev.llama3j.generate.Utf8Stream;
import dev.llama3j.tokenizer.Tokenizer;

import java.io.PrintStream;
import java.util.List;

/** Printing shared by the generating commands: streamed tokens, logprob tables, the timing line. */
final class Output {
    private Output() {}

    /** A listener that prints row 0's tokens as they come, never splitting a multi-byte character. */
    static final class Streamer implements TokenListener {
        private final Llama llama;
        private final PrintStream out;
        private final Utf8Stream utf8;

        Streamer(Llama llama, PrintStream out) {
            this.llama = llama;
            this.out = out;
            this.utf8 = new Utf8Stream(b -> Tokenizer.decodeUtf8(b));
        }

        @Override
        public void onToken(int row, int token) {
            StartupClock.tokenOut();
            out.print(utf8.push(llama.tokenizer().tokenBytes(token)));
            out.flush();
        }

        void finish() {
            out.print(utf8.flush());
            out.flush();
        }
    }

    static void printLogprobs(PrintStream out, List<String> tokens, float[] logprobs) {
        if (tokens == null) {
            return;
        }
        for (int i = 0; i < tokens.size(); i++) {
            out.printf("  %-24s %9.4f%n", quoted(tokens.get(i)), logprobs[i]);
        }
    }

    private static String quoted(String s) {
        StringBuilder b = new StringBuilder("\"");
        for (char c : s.toCharArray()) {
            switch (c) {
                case '\n' -> b.append("\\n");
                case '\t' -> b.append("\\t");
                case '\r' -> b.append("\\r");
                case '"' -> b.append("\\\"");
                default -> b.append(c);
            }
        }
        return b.append('"').toString();
    }

    /**
     * The timing of one generation call on stderr; the first call of a run also gives the load time and the
     * start-up marks, which later calls (a chat's next turns) would only repeat.
     */
    static void printTiming(PrintStream err, Llama llama, Generator.Stats s, boolean first) {
        String rate = s.stepTokens() == 0 || s.stepNanos() == 0 ? ""
                : String.format(", %.1f tokens/s", s.stepTokensPerSecond());
        String reused = s.reusedTokens() == 0 ? "" : String.format(" (%d more reused)", s.reusedTokens());
        err.printf("llama3j: %sprompt %s%s, %.1f tokens/s | generation %s%s%n",
                first ? String.format("load %.2f s | ", llama.loadSeconds()) : "", tokens(s.prefillTokens()), reused,
                s.prefillTokensPerSecond(), tokens(s.generatedTokens()), rate);
        String startup = first ? StartupClock.describe() : null;
        if (startup != null) {
            err.println("llama3j: " + startup);
        }
    }

    private static String tokens(int n) {
        return n + (n == 1 ? " token" : " tokens");
    }
}
