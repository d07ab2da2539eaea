package dev.llama3j.cli;

import java.util.List;

/** The subcommands of {@code llama3j}, in the order the help lists them. */
final class Subcommands {
    private Subcommands() {}

    static List<Object> all() {
        return List.of(new CompleteCommand(), new ChatCommand(), new TokenizeCommand(), new ConformanceCommand(),
                new ConvertCommand(), new SynthCommand(), new BenchCommand(), new BenchTokenizerCommand());
    }
}
