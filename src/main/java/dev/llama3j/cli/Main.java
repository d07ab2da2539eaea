package dev.llama3j.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** Entry point of the {@code llama3j} command line. */
@Command(name = "llama3j",
        mixinStandardHelpOptions = true,
        version = "llama3j 0.1.0",
        description = "Meta Llama 3 inference for the JVM.",
        subcommands = {CommandLine.HelpCommand.class})
public final class Main implements Runnable {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(System.out);
    }

    /** Builds the command line with every subcommand and the project's error handling. */
    public static CommandLine commandLine() {
        CommandLine cl = new CommandLine(new Main());
        for (Object sub : Subcommands.all()) {
            cl.addSubcommand(sub);
        }
        cl.setExecutionExceptionHandler(new UserErrors());
        return cl;
    }

    public static void main(String[] args) {
        StartupClock.mainStarted();
        int code = commandLine().execute(args);
        System.out.flush();
        System.exit(code);
    }
}
