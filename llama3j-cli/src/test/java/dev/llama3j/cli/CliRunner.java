package dev.llama3j.cli;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/** Runs the {@code llama3j} command line in-process with stdin/stdout/stderr redirected. */
final class CliRunner {
    private CliRunner() {}

    record Run(int exit, String stdout, String stderr) {
        /** What {@code complete} generated for each prompt: the text after its "> " in each separated block. */
        List<String> answers() {
            List<String> answers = new ArrayList<>();
            for (String block : stdout.split("\n==================================\n")) {
                int at = block.indexOf("\n> ");
                if (at >= 0) {
                    answers.add(block.substring(at + 3).strip());
                }
            }
            return answers;
        }
    }

    static Run run(byte[] stdin, String... args) {
        InputStream oldIn = System.in;
        PrintStream oldOut = System.out;
        PrintStream oldErr = System.err;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        try {
            System.setIn(new ByteArrayInputStream(stdin));
            System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
            System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
            int exit = Main.commandLine(args).execute(args);
            return new Run(exit, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
        } finally {
            System.setIn(oldIn);
            System.setOut(oldOut);
            System.setErr(oldErr);
        }
    }

    static Run run(String... args) {
        return run(new byte[0], args);
    }
}
