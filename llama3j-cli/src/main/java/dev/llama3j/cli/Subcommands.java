package dev.llama3j.cli;

import java.util.List;

/** The subcommands of {@code llama3j}, in the order the help lists them. */
final class Subcommands {
    private Subcommands() {}

    static List<Object> all() {
        return List.of(new CompleteCommand(), new ChatCommand(), new TokenizeCommand(), new ConformanceCommand(),
                new ConvertCommand(), new SynthCommand(), new BenchCommand(), new BenchTokenizerCommand(), new ServeCommand(),
                new GuardCommand(), new DownloadCommand(), new ListCommand());
    }

    /**
     * The subcommand called {@code name} alone, or null for any other word. A switch, not a table of suppliers:
     * only the named command's class is loaded, and picocli reads only its annotations (see
     * {@link Main#commandLine(String...)}).
     */
    static Object named(String name) {
        return switch (name) {
            case "complete" -> new CompleteCommand();
            case "chat" -> new ChatCommand();
            case "tokenize" -> new TokenizeCommand();
            case "conformance" -> new ConformanceCommand();
            case "convert" -> new ConvertCommand();
            case "synth" -> new SynthCommand();
            case "bench" -> new BenchCommand();
            case "bench-tokenizer" -> new BenchTokenizerCommand();
            case "serve" -> new ServeCommand();
            case "guard" -> new GuardCommand();
            case "download" -> new DownloadCommand();
            case "list" -> new ListCommand();
            default -> null;
        };
    }
}
